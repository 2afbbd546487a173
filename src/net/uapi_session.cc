#include "net/uapi_session.h"

#include "base/secret.h"

namespace dlog::net::uapi {
namespace {

// Position just past the first empty line ("\n" or "\r\n") at or after `from`, where
// `from` is at a line start; npos if there is none yet. `next_scan` gets the start of the
// last incomplete line, where the next search may resume.
size_t FindEmptyLine(std::string_view s, size_t from, size_t& next_scan) {
  size_t line = from;
  while (line < s.size()) {
    size_t nl = s.find('\n', line);
    if (nl == std::string_view::npos) break;
    if (nl == line || (nl == line + 1 && s[line] == '\r')) return nl + 1;
    line = nl + 1;
  }
  next_scan = line;
  return std::string_view::npos;
}

}  // namespace

std::string UapiSession::Feed(std::string_view bytes) {
  if (closed_) return {};
  buf_.append(bytes);
  std::string out;
  while (!closed_) {
    std::string step = Step();
    if (step.empty()) break;
    out += step;
  }
  return out;
}

std::string UapiSession::Finish() {
  if (closed_) return {};
  std::string out = state_ == State::kSetBody ? HandleSetBody(/*at_eof=*/true) : std::string();
  closed_ = true;
  return out;
}

// An empty result means "need more bytes" unless the session closed.
std::string UapiSession::Step() {
  switch (state_) {
    case State::kOp:
      return HandleOpLine();
    case State::kGet:
      return HandleGet();
    case State::kSetBody:
      return HandleSetBody(/*at_eof=*/false);
  }
  return {};
}

std::string UapiSession::HandleOpLine() {
  size_t nl = buf_.find('\n');
  if (nl == std::string::npos) {
    if (buf_.size() > kMaxLineBytes) closed_ = true;
    return {};
  }
  std::string_view op(buf_.data(), nl);
  if (op == "get=1") {
    state_ = State::kGet;
  } else if (op == "set=1") {
    state_ = State::kSetBody;
    scan_ = 0;
  } else {
    last_error_ = Error{kErrInvalid, "invalid UAPI operation"};
    closed_ = true;
    return {};
  }
  buf_.erase(0, nl + 1);
  return Step();
}

std::string UapiSession::HandleGet() {
  if (buf_.empty()) return {};
  if (buf_.front() != '\n') {
    last_error_ = Error{kErrInvalid, "trailing character in UAPI get"};
    closed_ = true;
    return FormatErrno(kErrInvalid);
  }
  buf_.erase(0, 1);
  state_ = State::kOp;
  last_error_.reset();
  return FormatGet(handler_.Get());
}

std::string UapiSession::HandleSetBody(bool at_eof) {
  size_t end = FindEmptyLine(buf_, scan_, scan_);
  if (end == std::string::npos && !at_eof) {
    if (buf_.size() > kMaxRequestBytes) {
      last_error_ = Error{kErrIo, "failed to read input: request too large"};
      closed_ = true;
      return FormatErrno(kErrIo);
    }
    return {};
  }
  if (end == std::string::npos) end = buf_.size();
  std::string out = AnswerSet(std::string_view(buf_.data(), end));
  SecureZero(buf_.data(), end);  // the request may carry private and preshared keys
  buf_.erase(0, end);
  state_ = State::kOp;
  return out;
}

std::string UapiSession::AnswerSet(std::string_view body) {
  SetParse parse = ParseSet(body);
  std::optional<Error> err = handler_.Set(parse.request);
  if (!err) err = std::move(parse.error);
  last_error_ = err;
  if (!err) return FormatErrno(0);
  closed_ = true;
  return FormatErrno(err->code);
}

}  // namespace dlog::net::uapi
