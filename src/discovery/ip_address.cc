#include "discovery/ip_address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace dlog::discovery {

IpAddress IpAddress::V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  IpAddress ip;
  ip.bytes[0] = a;
  ip.bytes[1] = b;
  ip.bytes[2] = c;
  ip.bytes[3] = d;
  return ip;
}

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  IpAddress ip;
  std::string s(text);
  if (s.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, s.c_str(), ip.bytes.data()) != 1) return std::nullopt;
    return ip;
  }
  ip.v6 = true;
  if (auto pct = s.find('%'); pct != std::string::npos) {
    std::string_view scope = std::string_view(s).substr(pct + 1);
    auto [p, ec] = std::from_chars(scope.data(), scope.data() + scope.size(), ip.scope_id);
    if (scope.empty() || ec != std::errc() || p != scope.data() + scope.size()) {
      return std::nullopt;
    }
    s.resize(pct);
  }
  if (inet_pton(AF_INET6, s.c_str(), ip.bytes.data()) != 1) return std::nullopt;
  return ip;
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf);
  std::string s = buf;
  if (v6 && scope_id != 0) s += "%" + std::to_string(scope_id);
  return s;
}

bool IpAddress::IsLinkLocal() const {
  if (!v6) return bytes[0] == 169 && bytes[1] == 254;
  return bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80;
}

std::string UdpAddress::ToString() const {
  std::string p = std::to_string(port);
  return ip.v6 ? "[" + ip.ToString() + "]:" + p : ip.ToString() + ":" + p;
}

}  // namespace dlog::discovery
