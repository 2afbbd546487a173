// libFuzzer target for the UAPI text protocol: ParseSet on raw bodies and UapiSession on
// a raw byte stream cut into chunks at fuzzer-chosen points.
//
// Invariants checked (abort on violation):
//   - a parsed prefix re-formats and re-parses to itself, host bits clear;
//   - a parsed endpoint re-formats and re-parses to itself;
//   - the session only ever answers whole answers ("...errno=N\n\n"), and stays closed
//     once closed.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "net/uapi.h"
#include "net/uapi_session.h"

namespace {

using namespace dlog::net::uapi;

void Check(bool ok) {
  if (!ok) abort();
}

class EchoHandler : public UapiHandler {
 public:
  DeviceState Get() override { return state_; }
  std::optional<Error> Set(const SetRequest& req) override {
    if (req.listen_port) state_.listen_port = *req.listen_port;
    if (req.fwmark) state_.fwmark = *req.fwmark;
    for (const PeerChange& p : req.peers) {
      if (p.remove || state_.peers.size() >= 64) continue;
      PeerState& s = state_.peers.emplace_back();
      s.public_key = p.public_key;
      s.endpoint = p.endpoint;
      for (const AllowedIpChange& a : p.allowed_ips)
        if (!a.remove && s.allowed_ips.size() < 64) s.allowed_ips.push_back(a.prefix);
    }
    if (req.listen_port && *req.listen_port == 1) return Error{kErrPortInUse, "in use"};
    return std::nullopt;
  }

 private:
  DeviceState state_;
};

void CheckParse(std::string_view body) {
  SetParse r = ParseSet(body);
  for (const PeerChange& p : r.request.peers) {
    for (const AllowedIpChange& a : p.allowed_ips) {
      auto again = ParsePrefix(FormatPrefix(a.prefix));
      Check(again && *again == a.prefix);
    }
    if (p.endpoint) {
      auto again = ParseEndpoint(p.endpoint->ToString());
      Check(again && *again == *p.endpoint);
    }
  }
  if (r.error) Check(r.error->code < 0 && !r.error->message.empty());
}

void CheckSession(std::string_view stream, uint8_t chunk) {
  EchoHandler h;
  UapiSession s(h);
  std::string out;
  size_t step = chunk == 0 ? stream.size() + 1 : chunk;
  for (size_t i = 0; i < stream.size(); i += step) {
    bool was_closed = s.closed();
    std::string part = s.Feed(stream.substr(i, step));
    Check(!was_closed || part.empty());
    out += part;
  }
  out += s.Finish();
  Check(s.closed());
  // Every answer ends with "errno=N\n\n"; nothing follows the last one.
  while (!out.empty()) {
    size_t end = out.find("\n\n");
    Check(end != std::string::npos);
    std::string answer = out.substr(0, end + 1);
    size_t last = answer.rfind("errno=");
    Check(last != std::string::npos && answer.find('\n', last) == answer.size() - 1);
    out.erase(0, end + 2);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  CheckParse(input);
  CheckSession(input, data[0]);
  return 0;
}
