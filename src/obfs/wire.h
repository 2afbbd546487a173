// Sealing and opening one disguised datagram (the format is drawn in obfs/constants.h).
//
// Pure functions of the keys, the inner datagram and the randomness given: no state,
// no clock, thread-safe. Open works in place and rejects in constant work per byte of
// header: the prefix scan, one ChaCha20 block, one BLAKE2s over the tagged bytes.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/bytes.h"
#include "base/rng.h"
#include "obfs/constants.h"
#include "obfs/keys.h"

namespace dlog::obfs {

inline bool IsPrintable(uint8_t b) { return b >= 0x20 && b <= 0x7e; }

// Header bytes of the masked region for `kind`: kind ‖ length [‖ time].
inline size_t HeaderSizeOf(Kind kind) {
  return kind == Kind::kMessage ? kHeaderSize + kTimeSize : kHeaderSize;
}
// Bytes of the masked region that are masked and tagged, for an inner of `inner` bytes.
size_t MaskedLength(Kind kind, size_t inner);
// Total size of a sealed datagram.
inline size_t SealedSize(Kind kind, size_t inner, size_t prefix_len, size_t padding) {
  return prefix_len + kSeparatorSize + kTagSize + HeaderSizeOf(kind) + inner + padding;
}
// The kind an inner datagram travels as: kTransport for a WireGuard transport message
// (type 4, at least its 16-byte header long), kMessage for anything else.
Kind KindOf(ByteSpan inner);

struct SealSpec {
  Kind kind = Kind::kTransport;
  size_t prefix_len = kMinPrefix;  // kMinPrefix..kMaxPrefix
  size_t padding = 0;
  uint32_t time_s = 0;   // kMessage: Unix seconds, mod 2^32
  size_t chaff_len = 0;  // kChaff: length of the random inner
};

// Writes the datagram to `out`, which must hold exactly
// SealedSize(spec.kind, inner_len, spec.prefix_len, spec.padding) bytes, where inner_len
// is inner.size() (spec.chaff_len for kChaff, whose `inner` must be empty: its content
// is random). Prefix characters, the separator, chaff and padding come from `rng`.
void Seal(const DisguiseKeys& keys, const SealSpec& spec, ByteSpan inner, Rng& rng,
          MutableByteSpan out);

enum class OpenError : uint8_t {
  kNone,
  kShort,   // shorter than the smallest datagram
  kPrefix,  // not a printable prefix of 8..16 bytes ended by a separator
  kHeader,  // unknown kind, or a length that does not fit
  kTag,     // the tag does not authenticate
};

struct Opened {
  OpenError error = OpenError::kNone;
  Kind kind = Kind::kTransport;
  uint32_t time_s = 0;  // kMessage only
  MutableByteSpan inner;
  ByteArray<kTagSize> tag{};
  size_t prefix_len = 0;
  size_t padding = 0;
  bool ok() const { return error == OpenError::kNone; }
};

// Unmasks `datagram` in place and checks its tag. On success `inner` points into
// `datagram`; on failure the datagram's bytes are unspecified.
Opened Open(const DisguiseKeys& keys, MutableByteSpan datagram);

}  // namespace dlog::obfs
