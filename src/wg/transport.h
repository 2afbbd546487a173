// Transport data messages (paper §5.4.6): padding, sealing and opening, and the IP
// header fields the device routes and filters by.
//
//   msg = 4 || 0^3 || receiver (LE32) || counter (LE64) ||
//         AEAD(key, counter, P || 0^pad, empty AD)
//
// P is padded with zeros to a multiple of 16 bytes, but not past the MTU
// (wireguard-go calculatePaddingSize). A keepalive has an empty P.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "base/bytes.h"
#include "wg/keypair.h"
#include "wg/messages.h"

namespace dlog::wg {

size_t PaddedSize(size_t packet_size, size_t mtu);
inline size_t TransportMessageSize(size_t padded_size) {
  return kTransportHeaderSize + padded_size + kTagSize;
}

// Writes the header and the AEAD of `packet` padded to `padded_size` (>= packet.size())
// to `out`, which holds TransportMessageSize(padded_size) bytes.
void SealTransport(const Keypair& kp, uint64_t counter, ByteSpan packet, size_t padded_size,
                   uint8_t* out);

// Opens the ciphertext (after the header) into `out` (ciphertext.size() - 16 bytes).
[[nodiscard]] bool OpenTransport(const Keypair& kp, uint64_t counter, ByteSpan ciphertext,
                                 uint8_t* out);

struct IpHeader {
  bool v6 = false;
  const uint8_t* source = nullptr;       // 4 or 16 bytes, network order
  const uint8_t* destination = nullptr;  // 4 or 16 bytes, network order
  size_t total_length = 0;               // from the header; not checked against the buffer
};
// The header of an IPv4 (>= 20 bytes) or IPv6 (>= 40 bytes) packet; nullopt otherwise.
std::optional<IpHeader> ParseIpHeader(ByteSpan packet);
// The length to trim a decrypted packet to, or nullopt when the header's length is
// inconsistent with the buffer (as wireguard-go's receive path checks).
std::optional<size_t> InnerPacketLength(const IpHeader& header, size_t buffer_size);

}  // namespace dlog::wg
