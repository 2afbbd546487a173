// IPv4/UDP datagrams inside the tunnel, built and parsed without a network stack: the
// node's membership messages (UDP port kMembershipPort on each member's overlay address)
// are taken out of the decrypted packets before the stack sees them, and sent by handing
// a whole IP packet to the device as if it had been read from the TUN.
//
// Wire layout (RFC 791, RFC 768), no IPv4 options on the packets we build:
//   0                   1                   2                   3
//   |ver=4|ihl=5| tos=0 |         total length          |  IPv4 header, 20 bytes
//   |        identification         |flags|  frag offset  |
//   |  ttl=64   | proto=17 |       header checksum        |
//   |                       source address                 |
//   |                    destination address               |
//   |        source port           |      destination port   |  UDP header, 8 bytes
//   |          length              |        checksum         |  (over the pseudo-header)
//   |                     payload ...
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "base/bytes.h"

namespace dlog::node {

inline constexpr uint16_t kMembershipPort = 9094;
inline constexpr size_t kIpv4HeaderSize = 20;
inline constexpr size_t kUdpHeaderSize = 8;
// Largest payload BuildIpv4Udp accepts: one IPv4 packet of at most 65535 bytes.
inline constexpr size_t kMaxOverlayUdpPayload = 65535 - kIpv4HeaderSize - kUdpHeaderSize;

using Ipv4 = std::array<uint8_t, 4>;

struct OverlayUdp {
  Ipv4 src{};
  Ipv4 dst{};
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  ByteSpan payload;  // points into the parsed packet
};

// An IPv4 packet carrying one UDP datagram. Checksums filled; DF set, TTL 64.
// Precondition: payload.size() <= kMaxOverlayUdpPayload.
Bytes BuildIpv4Udp(const Ipv4& src, const Ipv4& dst, uint16_t src_port, uint16_t dst_port,
                   ByteSpan payload);

// The UDP datagram in `packet` if it is a well-formed, unfragmented IPv4/UDP packet whose
// header checksum, lengths and UDP checksum (when not 0) verify; nullopt otherwise.
std::optional<OverlayUdp> ParseIpv4Udp(ByteSpan packet);

// The Internet checksum (RFC 1071) of `data`, starting from the 32-bit partial sum `sum`.
uint16_t InternetChecksum(ByteSpan data, uint32_t sum = 0);

}  // namespace dlog::node
