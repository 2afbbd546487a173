// IpAddress and UdpAddress: addresses as the discovery cores see them (no sockets here).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dlog::discovery {

struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // IPv4: first 4 bytes. Network byte order.
  uint32_t scope_id = 0;            // IPv6 link-local only (interface index)

  static IpAddress V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d);
  // Numeric forms only: "192.0.2.1", "fe80::1", "fe80::1%3" (numeric scope).
  static std::optional<IpAddress> Parse(std::string_view text);
  std::string ToString() const;  // "192.0.2.1", "fe80::1%3"
  bool IsLinkLocal() const;      // 169.254/16 or fe80::/10
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
};

struct UdpAddress {
  IpAddress ip;
  uint16_t port = 0;  // host byte order
  // "192.0.2.1:5353", "[fe80::1%3]:5353".
  std::string ToString() const;
  friend bool operator==(const UdpAddress&, const UdpAddress&) = default;
};

}  // namespace dlog::discovery
