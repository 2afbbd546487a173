// Endpoint: an underlay UDP address (IPv4 or IPv6) as the protocol core sees it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"

namespace dlog::wg {

struct Endpoint {
  bool v6 = false;
  // IPv4 uses the first 4 bytes; IPv6 all 16. Network byte order.
  std::array<uint8_t, 16> addr{};
  uint16_t port = 0;  // host byte order
  uint32_t scope_id = 0;

  bool IsSet() const { return port != 0; }
  // The bytes MAC2's cookie binds to: address (4 or 16 bytes) then port (big endian).
  Bytes CookieBytes() const;
  // "1.2.3.4:51820" or "[fe80::1%3]:51820" (as `wg` prints endpoints).
  std::string ToString() const;
  // Parses numeric forms only (no DNS): "1.2.3.4:5", "[::1]:5".
  static std::optional<Endpoint> Parse(std::string_view s);

  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

}  // namespace dlog::wg
