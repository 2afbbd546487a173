// A small HTTP/1.1 subset for the admin API (docs/ADMIN.md): one request per
// connection, no chunked bodies, bounded sizes. Sans-I/O: bytes in, requests out.
//
// Request accepted:   METHOD SP target SP HTTP/1.x CRLF *(name: value CRLF) CRLF [body]
//   with a Content-Length body of at most kMaxBody bytes and a head of at most kMaxHead.
// Anything else is an error value carrying the status code to answer with (400, 405,
// 413, 431, 505); the server answers it and closes.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"

namespace dlog::admin {

inline constexpr size_t kMaxHead = 8 * 1024;
inline constexpr size_t kMaxBody = 64 * 1024;

struct HttpRequest {
  std::string method;                          // GET, POST, DELETE
  std::string path;                            // the target without its query string
  std::map<std::string, std::string> query;    // ?a=b&c=d (percent-decoded)
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

struct HttpError {
  int status = 400;
  std::string message;
};

// Feed bytes as they arrive; after each Feed, done() or error() may become true.
class HttpRequestParser {
 public:
  void Feed(ByteSpan bytes);
  bool done() const { return done_; }
  const std::optional<HttpError>& error() const { return error_; }
  const HttpRequest& request() const { return request_; }

 private:
  void ParseHead(std::string_view head);
  void Fail(int status, std::string message);

  std::string buffer_;
  HttpRequest request_;
  std::optional<size_t> body_length_;  // known once the head is parsed
  bool done_ = false;
  std::optional<HttpError> error_;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// "HTTP/1.1 <status> <reason>\r\nContent-Type: ..\r\nContent-Length: ..\r\n
//  Connection: close\r\n\r\n<body>"
std::string EncodeResponse(const HttpResponse& response);
const char* ReasonPhrase(int status);

// The client side, for the `dlog` CLI: a whole response read until the server closed.
struct ParsedResponse {
  int status = 0;
  std::string body;
};
std::optional<ParsedResponse> ParseResponse(std::string_view bytes);

// Percent-decoding of one query component ('+' is a space); nullopt on a bad escape.
std::optional<std::string> PercentDecode(std::string_view s);
std::string PercentEncode(std::string_view s);

}  // namespace dlog::admin
