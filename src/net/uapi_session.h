// UapiSession: one UAPI connection's state machine, sans-I/O. Bytes from the client go in,
// bytes to write back come out; requests reach the device through UapiHandler.
//
// A connection carries any number of sequential requests, as with wireguard-go:
//
//   "get=1\n" "\n"              → FormatGet(handler.Get())
//   "set=1\n" <lines> "\n"      → handler.Set(ParseSet(lines)) → "errno=N\n\n"
//   anything else as a first line → no answer; the connection is closed
//
// After a set that failed, or a get with trailing bytes ("get=1\nX"), the connection is
// closed once the answer is written (wireguard-go would go on to misread the rest of the
// failed request as an operation and close it too).
//
// Not thread-safe: one session per connection, driven by one thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "net/uapi.h"

namespace dlog::net::uapi {

class UapiHandler {
 public:
  virtual ~UapiHandler() = default;
  virtual DeviceState Get() = 0;
  // Applies `req` in order: private_key, listen_port, fwmark, replace_peers, then each peer
  // block. Stops at the first change that fails (e.g. kErrPortInUse when the port cannot
  // be bound) and returns it; the changes before it stay applied.
  virtual std::optional<Error> Set(const SetRequest& req) = 0;
};

class UapiSession {
 public:
  explicit UapiSession(UapiHandler& handler) : handler_(handler) {}

  // Consumes client bytes; returns the bytes to send back (may be empty).
  std::string Feed(std::string_view bytes);
  // The client shut its side: a set without its empty line is applied, as wireguard-go
  // applies what it read before EOF. Returns the last bytes to send back.
  std::string Finish();
  // Close the connection once the output returned so far is written.
  bool closed() const { return closed_; }
  // The last error answered, for the log.
  const std::optional<Error>& last_error() const { return last_error_; }

 private:
  enum class State { kOp, kGet, kSetBody };
  std::string Step();  // handles at most one request from the buffer
  std::string HandleOpLine();
  std::string HandleGet();
  std::string HandleSetBody(bool at_eof);
  std::string AnswerSet(std::string_view body);

  UapiHandler& handler_;
  std::string buf_;
  size_t scan_ = 0;  // kSetBody: bytes of buf_ already known to hold no empty line
  State state_ = State::kOp;
  bool closed_ = false;
  std::optional<Error> last_error_;
};

}  // namespace dlog::net::uapi
