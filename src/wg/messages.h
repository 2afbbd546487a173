// WireGuard wire messages (paper §5.4, wireguard-go noise-protocol.go). Every integer
// is little endian; the first byte is the type and the next three are zero. The
// structs are byte arrays only, so they have no padding and alignment 1, and a
// datagram of the exact size is copied into one with memcpy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>

#include "base/bytes.h"

namespace dlog::wg {

enum MessageType : uint32_t {
  kMessageInitiation = 1,
  kMessageResponse = 2,
  kMessageCookieReply = 3,
  kMessageTransport = 4,
};

inline constexpr size_t kKeySize = 32;
inline constexpr size_t kTagSize = 16;        // Poly1305
inline constexpr size_t kMacSize = 16;        // keyed BLAKE2s-128
inline constexpr size_t kTimestampSize = 12;  // TAI64N
inline constexpr size_t kCookieNonceSize = 24;

// Handshake initiation, 148 bytes:
//   0      1      2      3      4                8
//   +------+------+------+------+----------------+
//   | 1    | 0    | 0    | 0    | sender (LE32)  |
//   +------+------+------+------+----------------+
//   8  unencrypted_ephemeral (32)
//   40 encrypted_static      (32 + 16 tag)
//   88 encrypted_timestamp   (12 + 16 tag)
//   116 mac1 (16)   132 mac2 (16)   148 end
struct MessageInitiation {
  uint8_t type[4];
  uint8_t sender[4];
  uint8_t ephemeral[kKeySize];
  uint8_t encrypted_static[kKeySize + kTagSize];
  uint8_t encrypted_timestamp[kTimestampSize + kTagSize];
  uint8_t mac1[kMacSize];
  uint8_t mac2[kMacSize];
};
static_assert(sizeof(MessageInitiation) == 148);
static_assert(offsetof(MessageInitiation, mac1) == 116);

// Handshake response, 92 bytes:
//   0 type=2,0,0,0   4 sender (LE32)   8 receiver (LE32)
//   12 unencrypted_ephemeral (32)
//   44 encrypted_nothing (0 + 16 tag)
//   60 mac1 (16)   76 mac2 (16)   92 end
struct MessageResponse {
  uint8_t type[4];
  uint8_t sender[4];
  uint8_t receiver[4];
  uint8_t ephemeral[kKeySize];
  uint8_t encrypted_nothing[kTagSize];
  uint8_t mac1[kMacSize];
  uint8_t mac2[kMacSize];
};
static_assert(sizeof(MessageResponse) == 92);
static_assert(offsetof(MessageResponse, mac1) == 60);

// Cookie reply, 64 bytes:
//   0 type=3,0,0,0   4 receiver (LE32)
//   8 nonce (24, random; XChaCha20-Poly1305)
//   32 encrypted_cookie (16 + 16 tag)   64 end
struct MessageCookieReply {
  uint8_t type[4];
  uint8_t receiver[4];
  uint8_t nonce[kCookieNonceSize];
  uint8_t encrypted_cookie[kMacSize + kTagSize];
};
static_assert(sizeof(MessageCookieReply) == 64);

// Transport data, 16-byte header then the AEAD of the padded IP packet:
//   0 type=4,0,0,0   4 receiver (LE32)   8 counter (LE64)
//   16 encrypted_encapsulated_packet (16*k + 16 tag; k = 0 is a keepalive)
struct MessageTransportHeader {
  uint8_t type[4];
  uint8_t receiver[4];
  uint8_t counter[8];
};
static_assert(sizeof(MessageTransportHeader) == 16);
inline constexpr size_t kTransportHeaderSize = sizeof(MessageTransportHeader);
inline constexpr size_t kKeepaliveSize = kTransportHeaderSize + kTagSize;  // 32
inline constexpr size_t kMaxMessageSize = 65535;
inline constexpr size_t kMaxContentSize = kMaxMessageSize - kKeepaliveSize;

// The type of a datagram: the first four bytes as LE32 (so the reserved bytes must be
// zero), or 0 when shorter than four bytes.
inline uint32_t MessageTypeOf(ByteSpan datagram) {
  return datagram.size() < 4 ? 0 : LoadLE32(datagram.data());
}

// Copies a datagram of exactly sizeof(T) bytes into a T.
template <typename T>
std::optional<T> ParseMessage(ByteSpan datagram) {
  if (datagram.size() != sizeof(T)) return std::nullopt;
  T msg;
  std::memcpy(&msg, datagram.data(), sizeof(T));
  return msg;
}

template <typename T>
ByteSpan MessageBytes(const T& msg) {
  return {reinterpret_cast<const uint8_t*>(&msg), sizeof(T)};
}

// The bytes MAC1 covers (everything before mac1) and MAC2 covers (everything before
// mac2), for initiation and response messages.
template <typename T>
ByteSpan BeforeMac1(const T& msg) {
  return {reinterpret_cast<const uint8_t*>(&msg), offsetof(T, mac1)};
}
template <typename T>
ByteSpan BeforeMac2(const T& msg) {
  return {reinterpret_cast<const uint8_t*>(&msg), offsetof(T, mac2)};
}

}  // namespace dlog::wg
