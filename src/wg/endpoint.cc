#include "wg/endpoint.h"

#include <arpa/inet.h>
#include <net/if.h>

#include <charconv>
#include <cstring>

namespace dlog::wg {

Bytes Endpoint::CookieBytes() const {
  Bytes b(addr.begin(), addr.begin() + (v6 ? 16 : 4));
  b.push_back(uint8_t(port >> 8));
  b.push_back(uint8_t(port));
  return b;
}

std::string Endpoint::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, addr.data(), buf, sizeof buf);
  std::string host = buf;
  if (v6 && scope_id != 0) host += "%" + std::to_string(scope_id);
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<Endpoint> Endpoint::Parse(std::string_view s) {
  Endpoint ep;
  std::string host;
  std::string_view port;
  if (!s.empty() && s.front() == '[') {
    auto close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':')
      return std::nullopt;
    host = std::string(s.substr(1, close - 1));
    port = s.substr(close + 2);
    ep.v6 = true;
  } else {
    auto colon = s.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = std::string(s.substr(0, colon));
    port = s.substr(colon + 1);
  }
  unsigned p = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc() || ptr != port.data() + port.size() || p == 0 || p > 65535)
    return std::nullopt;
  ep.port = uint16_t(p);
  if (ep.v6) {
    auto pct = host.find('%');
    if (pct != std::string::npos) {
      std::string scope = host.substr(pct + 1);
      host.resize(pct);
      ep.scope_id = if_nametoindex(scope.c_str());
      if (ep.scope_id == 0) {
        auto [p2, ec2] = std::from_chars(scope.data(), scope.data() + scope.size(), ep.scope_id);
        if (ec2 != std::errc() || p2 != scope.data() + scope.size()) return std::nullopt;
      }
    }
    if (inet_pton(AF_INET6, host.c_str(), ep.addr.data()) != 1) return std::nullopt;
  } else if (inet_pton(AF_INET, host.c_str(), ep.addr.data()) != 1) {
    return std::nullopt;
  }
  return ep;
}

}  // namespace dlog::wg
