#include "admin/http.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace dlog::admin {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The next CRLF-terminated line of `head` from `pos`; advances pos past the CRLF.
std::optional<std::string_view> NextLine(std::string_view head, size_t& pos) {
  size_t end = head.find("\r\n", pos);
  if (end == std::string_view::npos) return std::nullopt;
  auto line = head.substr(pos, end - pos);
  pos = end + 2;
  return line;
}

}  // namespace

std::optional<std::string> PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += char(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string PercentEncode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += char(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

void HttpRequestParser::Fail(int status, std::string message) {
  error_ = HttpError{status, std::move(message)};
}

void HttpRequestParser::Feed(ByteSpan bytes) {
  if (done_ || error_) return;
  buffer_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (!body_length_) {
    size_t end = buffer_.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (buffer_.size() > kMaxHead) Fail(431, "request head larger than 8 KiB");
      return;
    }
    if (end + 4 > kMaxHead) return Fail(431, "request head larger than 8 KiB");
    ParseHead(std::string_view(buffer_).substr(0, end + 2));
    if (error_) return;
    buffer_.erase(0, end + 4);
  }
  if (buffer_.size() > *body_length_) return Fail(400, "more bytes than Content-Length");
  if (buffer_.size() == *body_length_) {
    request_.body = std::move(buffer_);
    done_ = true;
  }
}

void HttpRequestParser::ParseHead(std::string_view head) {
  size_t pos = 0;
  auto line = NextLine(head, pos);
  if (!line) return Fail(400, "no request line");
  size_t sp1 = line->find(' '), sp2 = line->rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) return Fail(400, "malformed request line");
  std::string_view method = line->substr(0, sp1), target = line->substr(sp1 + 1, sp2 - sp1 - 1),
                   version = line->substr(sp2 + 1);
  if (!IsToken(method)) return Fail(400, "malformed method");
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return Fail(505, "only HTTP/1.x");
  if (target.empty() || target[0] != '/' || target.find(' ') != std::string_view::npos) {
    return Fail(400, "the target must be an absolute path");
  }
  request_.method = std::string(method);
  size_t q = target.find('?');
  auto path = PercentDecode(target.substr(0, q));
  if (!path) return Fail(400, "bad percent escape in the path");
  request_.path = *path;
  if (q != std::string_view::npos) {
    std::string_view rest = target.substr(q + 1);
    while (!rest.empty()) {
      size_t amp = rest.find('&');
      std::string_view kv = rest.substr(0, amp);
      size_t eq = kv.find('=');
      auto k = PercentDecode(kv.substr(0, eq));
      auto v = PercentDecode(eq == std::string_view::npos ? "" : kv.substr(eq + 1));
      if (!k || !v) return Fail(400, "bad percent escape in the query");
      if (request_.query.size() >= 32) return Fail(400, "too many query parameters");
      request_.query[*k] = *v;
      rest = amp == std::string_view::npos ? "" : rest.substr(amp + 1);
    }
  }
  while (auto h = NextLine(head, pos)) {
    size_t colon = h->find(':');
    if (colon == std::string_view::npos || !IsToken(h->substr(0, colon))) {
      return Fail(400, "malformed header line");
    }
    if (request_.headers.size() >= 64) return Fail(431, "too many headers");
    request_.headers[Lower(h->substr(0, colon))] = std::string(Trim(h->substr(colon + 1)));
  }
  if (request_.headers.count("transfer-encoding"))
    return Fail(400, "chunked bodies are not accepted");
  body_length_ = 0;
  if (auto it = request_.headers.find("content-length"); it != request_.headers.end()) {
    size_t n = 0;
    auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), n);
    if (ec != std::errc() || p != it->second.data() + it->second.size()) {
      return Fail(400, "malformed Content-Length");
    }
    if (n > kMaxBody) return Fail(413, "body larger than 64 KiB");
    body_length_ = n;
  }
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Content Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

std::string EncodeResponse(const HttpResponse& r) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + ReasonPhrase(r.status) + "\r\n";
  out += "Content-Type: " + r.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  out += "Cache-Control: no-store\r\nConnection: close\r\n\r\n";
  out += r.body;
  return out;
}

std::optional<ParsedResponse> ParseResponse(std::string_view bytes) {
  size_t end = bytes.find("\r\n\r\n");
  if (end == std::string_view::npos || bytes.substr(0, 9) != "HTTP/1.1 ") return std::nullopt;
  ParsedResponse r;
  auto code = bytes.substr(9, 3);
  auto [p, ec] = std::from_chars(code.data(), code.data() + code.size(), r.status);
  if (ec != std::errc() || p != code.data() + code.size()) return std::nullopt;
  r.body = std::string(bytes.substr(end + 4));
  return r;
}

}  // namespace dlog::admin
