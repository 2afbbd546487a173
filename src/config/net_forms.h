// Checks of the address, name and key forms dlog.toml takes. Pure functions of text; no
// name resolution.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"

namespace dlog::config {

// A DNS name (RFC 1123 labels: letters, digits, '-', not at a label's ends; at most 253
// characters), with or without a final dot.
bool IsHostname(std::string_view s);
bool IsIpv4(std::string_view s);
bool IsIpv6(std::string_view s);

// "host:port", "192.0.2.7:51820" or "[2001:db8::7]:51820"; port 1–65535.
bool IsHostPort(std::string_view s);

// "10.0.0.0/24" with the given family and prefix length within [min_len, max_len]. Host
// bits must be zero; `network` gets the address with them cleared (for a suggestion).
enum class Family { kIpv4, kIpv6 };
bool IsCidr(std::string_view s, Family family, int min_len, int max_len, std::string* network);

// obfs's stock-peer forms: "192.0.2.0/24", "192.0.2.7", "192.0.2.7:51820", "fd00::/64",
// "[2001:db8::7]:51820".
bool IsStockPeer(std::string_view s);

// A name for a node, a cluster or a region: 1–63 letters, digits, '-', '_' or '.',
// starting with a letter or a digit.
bool IsName(std::string_view s);

// A WireGuard public key as `wg` prints it: canonical base64 of 32 bytes.
std::optional<ByteArray<32>> ParseWireguardKey(std::string_view s);

}  // namespace dlog::config
