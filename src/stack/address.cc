#include "stack/address.h"

#include <arpa/inet.h>

#include <charconv>

namespace dlog::stack {
namespace {

std::optional<uint32_t> ParseDecimal(std::string_view s, uint32_t max) {
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v > max) return {};
  return v;
}

}  // namespace

std::optional<IpAddress> IpAddress::Parse(std::string_view s) {
  if (s.size() >= INET6_ADDRSTRLEN) return {};
  std::string z(s);
  IpAddress ip;
  if (inet_pton(AF_INET, z.c_str(), ip.bytes.data()) == 1) return ip;
  ip.v6 = true;
  if (inet_pton(AF_INET6, z.c_str(), ip.bytes.data()) == 1) return ip;
  return {};
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf);
  return buf;
}

bool IpAddress::IsUnspecified() const {
  for (size_t i = 0; i < (v6 ? 16u : 4u); ++i)
    if (bytes[i] != 0) return false;
  return true;
}

std::optional<SocketAddress> SocketAddress::Parse(std::string_view s) {
  std::string_view host;
  std::string_view port;
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find("]:");
    if (close == std::string_view::npos) return {};
    host = s.substr(1, close - 1);
    port = s.substr(close + 2);
  } else {
    size_t colon = s.rfind(':');
    if (colon == std::string_view::npos) return {};
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
  }
  auto ip = IpAddress::Parse(host);
  auto p = ParseDecimal(port, 65535);
  if (!ip || !p || (!s.empty() && s.front() == '[') != ip->v6) return {};
  return SocketAddress{*ip, uint16_t(*p)};
}

std::string SocketAddress::ToString() const {
  std::string host = ip.ToString();
  return (ip.v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<IpInterface> IpInterface::Parse(std::string_view s) {
  size_t slash = s.find('/');
  if (slash == std::string_view::npos) return {};
  auto ip = IpAddress::Parse(s.substr(0, slash));
  if (!ip) return {};
  auto bits = ParseDecimal(s.substr(slash + 1), ip->v6 ? 128 : 32);
  if (!bits) return {};
  return IpInterface{*ip, uint8_t(*bits)};
}

std::string IpInterface::ToString() const {
  return ip.ToString() + "/" + std::to_string(prefix_len);
}

}  // namespace dlog::stack
