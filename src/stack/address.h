// IpAddress / SocketAddress: an overlay address (IPv4 or IPv6) and a TCP port, as a
// service sees the other end of a connection. Plain values; no name resolution.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dlog::stack {

struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // network byte order; IPv4 uses the first 4 bytes

  static IpAddress V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    IpAddress ip;
    ip.bytes = {a, b, c, d};
    return ip;
  }
  // Numeric forms only: "10.0.0.3", "fd00::3".
  static std::optional<IpAddress> Parse(std::string_view s);
  std::string ToString() const;
  bool IsUnspecified() const;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

struct SocketAddress {
  IpAddress ip;
  uint16_t port = 0;  // host byte order

  // "10.0.0.3:9092", "[fd00::3]:9092".
  static std::optional<SocketAddress> Parse(std::string_view s);
  std::string ToString() const;
  friend bool operator==(const SocketAddress&, const SocketAddress&) = default;
};

// An interface address with its prefix: "10.0.0.3/24".
struct IpInterface {
  IpAddress ip;
  uint8_t prefix_len = 0;  // 0..32 or 0..128

  static std::optional<IpInterface> Parse(std::string_view s);
  std::string ToString() const;
};

}  // namespace dlog::stack
