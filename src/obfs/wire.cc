#include "obfs/wire.h"

#include <sodium.h>

#include <algorithm>
#include <cassert>
#include <cstring>

namespace dlog::obfs {
namespace {

constexpr uint8_t kWireGuardTransportType = 4;
// Bytes outside 0x20..0x7e: 0x00..0x1f and 0x7f..0xff.
constexpr unsigned kNonPrintableCount = 0x20 + 0x81;

uint8_t NonPrintable(uint16_t r) {
  const unsigned i = r % kNonPrintableCount;
  return uint8_t(i < 0x20 ? i : 0x7f + (i - 0x20));
}

void Nonce(const uint8_t* tag, const uint8_t* prefix, uint8_t nonce[kNonceSize]) {
  std::memcpy(nonce, tag, kTagSize);
  std::memcpy(nonce + kTagSize, prefix, kNonceSize - kTagSize);
}

// SipHash-2-4 rounds (Aumasson & Bernstein), on the four state words.
inline uint64_t Rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }
inline void SipRound(uint64_t& v0, uint64_t& v1, uint64_t& v2, uint64_t& v3) {
  v0 += v1;
  v1 = Rotl(v1, 13);
  v1 ^= v0;
  v0 = Rotl(v0, 32);
  v2 += v3;
  v3 = Rotl(v3, 16);
  v3 ^= v2;
  v0 += v3;
  v3 = Rotl(v3, 21);
  v3 ^= v0;
  v2 += v1;
  v1 = Rotl(v1, 17);
  v1 ^= v2;
  v2 = Rotl(v2, 32);
}

// The first kHeadMask (24) bytes of the mask: SipHash-2-4 with 128-bit output under the
// head key over the 12-byte nonce (its 16 bytes are exactly those of libsodium's
// crypto_shorthash_siphashx24), squeezed once more for bytes 16..23 (v1 ^= 0xdd, four
// rounds, as between the first two output words). One absorption and 12 finalisation
// rounds instead of three SipHash-2-4 calls (24 rounds).
void HeadMask(const DisguiseKeys& keys, const uint8_t nonce[kNonceSize], uint8_t out[kHeadMask]) {
  static_assert(kHeadMask == 24 && kNonceSize == 12);
  const uint64_t k0 = LoadLE64(keys.head.data()), k1 = LoadLE64(keys.head.data() + 8);
  uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1 ^ 0xee;
  uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
  const uint64_t m = LoadLE64(nonce);
  v3 ^= m;
  SipRound(v0, v1, v2, v3);
  SipRound(v0, v1, v2, v3);
  v0 ^= m;
  const uint64_t b = uint64_t(kNonceSize) << 56 | uint64_t(LoadLE32(nonce + 8));
  v3 ^= b;
  SipRound(v0, v1, v2, v3);
  SipRound(v0, v1, v2, v3);
  v0 ^= b;
  v2 ^= 0xee;
  for (size_t word = 0; word < kHeadMask / 8; ++word) {
    if (word > 0) v1 ^= 0xdd;
    for (int r = 0; r < 4; ++r) SipRound(v0, v1, v2, v3);
    StoreLE64(out + 8 * word, v0 ^ v1 ^ v2 ^ v3);
  }
}

// XORs region[from..n) with the mask: `head` for the first kHeadMask bytes, ChaCha20
// under the mask key (from its first keystream byte) for the rest.
void ApplyMask(const DisguiseKeys& keys, const uint8_t nonce[kNonceSize],
               const uint8_t head[kHeadMask], uint8_t* region, size_t from, size_t n) {
  for (size_t i = from; i < std::min(n, kHeadMask); ++i) region[i] ^= head[i];
  if (n > kHeadMask)
    crypto_stream_chacha20_ietf_xor_ic(region + kHeadMask, region + kHeadMask, n - kHeadMask, nonce,
                                       0, keys.mask.data());
}

// The tag: SipHash-2-4 over prefix ‖ separator ‖ LE16(size) ‖ masked plaintext. Header
// regions (transport, chaff) are assembled on the stack; a long message on the heap.
void ComputeTag(const DisguiseKeys& keys, ByteSpan prefix_and_sep, size_t size,
                ByteSpan masked_plain, uint8_t out[kTagSize]) {
  static_assert(crypto_shorthash_siphash24_BYTES == kTagSize);
  constexpr size_t kStack = kMaxPrefix + kSeparatorSize + 2 + kHeaderSize + kMaskedInnerHeader;
  const size_t n = prefix_and_sep.size() + 2 + masked_plain.size();
  uint8_t stack[kStack];
  Bytes heap;
  uint8_t* buf = stack;
  if (n > kStack) {
    heap.resize(n);
    buf = heap.data();
  }
  std::memcpy(buf, prefix_and_sep.data(), prefix_and_sep.size());
  buf[prefix_and_sep.size()] = uint8_t(size);
  buf[prefix_and_sep.size() + 1] = uint8_t(size >> 8);
  if (!masked_plain.empty())
    std::memcpy(buf + prefix_and_sep.size() + 2, masked_plain.data(), masked_plain.size());
  crypto_shorthash_siphash24(out, buf, n, keys.tag.data());
}

size_t ScanPrefix(ByteSpan d) {
  for (size_t i = 0; i < kMinPrefix; ++i)
    if (!IsPrintable(d[i])) return 0;
  for (size_t i = kMinPrefix; i <= kMaxPrefix && i < d.size(); ++i)
    if (!IsPrintable(d[i])) return i;
  return 0;
}

}  // namespace

size_t MaskedLength(Kind kind, size_t inner) {
  if (kind == Kind::kMessage) return HeaderSizeOf(kind) + inner;
  return kHeaderSize + std::min(inner, kMaskedInnerHeader);
}

Kind KindOf(ByteSpan inner) {
  return inner.size() >= kMaskedInnerHeader && inner[0] == kWireGuardTransportType
             ? Kind::kTransport
             : Kind::kMessage;
}

void Seal(const DisguiseKeys& keys, const SealSpec& spec, ByteSpan inner, Rng& rng,
          MutableByteSpan out) {
  const size_t L = spec.prefix_len;
  const size_t n = spec.kind == Kind::kChaff ? spec.chaff_len : inner.size();
  const size_t h = HeaderSizeOf(spec.kind);
  assert(L >= kMinPrefix && L <= kMaxPrefix && n <= kMaxInner);
  assert(out.size() == SealedSize(spec.kind, n, L, spec.padding));
  assert(spec.kind != Kind::kChaff || inner.empty());

  uint8_t* p = out.data();
  uint8_t draw[kMaxPrefix + 2];
  rng.Fill({draw, L + 2});
  for (size_t i = 0; i < L; ++i) p[i] = uint8_t(kPrefixAlphabet[draw[i] & 63]);
  p[L] = NonPrintable(uint16_t(draw[L] | draw[L + 1] << 8));

  uint8_t* region = p + L + kSeparatorSize + kTagSize;
  region[0] = uint8_t(spec.kind);
  region[1] = uint8_t(n);
  region[2] = uint8_t(n >> 8);
  if (spec.kind == Kind::kMessage) StoreLE32(region + kHeaderSize, spec.time_s);
  if (spec.kind == Kind::kChaff) {
    rng.Fill({region + h, n});
  } else if (n) {
    std::memcpy(region + h, inner.data(), n);
  }
  if (spec.padding) rng.Fill({region + h + n, spec.padding});

  const size_t masked = MaskedLength(spec.kind, n);
  uint8_t* tag = p + L + kSeparatorSize;
  ComputeTag(keys, {p, L + kSeparatorSize}, out.size(), {region, masked}, tag);
  uint8_t nonce[kNonceSize], head[kHeadMask];
  Nonce(tag, p, nonce);
  HeadMask(keys, nonce, head);
  ApplyMask(keys, nonce, head, region, 0, masked);
  sodium_memzero(head, sizeof head);
}

Opened Open(const DisguiseKeys& keys, MutableByteSpan d) {
  Opened r;
  if (d.size() < kMinDatagram) return r.error = OpenError::kShort, r;
  const size_t L = ScanPrefix(d);
  if (L == 0) return r.error = OpenError::kPrefix, r;
  const size_t region_at = L + kSeparatorSize + kTagSize;
  if (d.size() < region_at + kHeaderSize) return r.error = OpenError::kShort, r;
  uint8_t* tag = d.data() + L + kSeparatorSize;
  uint8_t* region = d.data() + region_at;
  const size_t avail = d.size() - region_at;

  uint8_t nonce[kNonceSize], head[kHeadMask];
  Nonce(tag, d.data(), nonce);
  HeadMask(keys, nonce, head);
  for (size_t i = 0; i < kHeaderSize; ++i) region[i] ^= head[i];
  const uint8_t kind = region[0];
  const size_t n = region[1] | size_t(region[2]) << 8;
  if (kind > uint8_t(Kind::kChaff)) return r.error = OpenError::kHeader, r;
  r.kind = Kind(kind);
  const size_t h = HeaderSizeOf(r.kind);
  if (avail < h + n || (r.kind == Kind::kTransport && n < kMaskedInnerHeader))
    return r.error = OpenError::kHeader, r;
  const size_t masked = MaskedLength(r.kind, n);
  ApplyMask(keys, nonce, head, region, kHeaderSize, masked);
  sodium_memzero(head, sizeof head);

  uint8_t expect[kTagSize];
  ComputeTag(keys, {d.data(), L + kSeparatorSize}, d.size(), {region, masked}, expect);
  if (!ConstantTimeEqual(expect, tag, kTagSize)) return r.error = OpenError::kTag, r;
  if (r.kind == Kind::kMessage) r.time_s = LoadLE32(region + kHeaderSize);
  std::memcpy(r.tag.data(), tag, kTagSize);
  r.inner = {region + h, n};
  r.prefix_len = L;
  r.padding = avail - h - n;
  return r;
}

}  // namespace dlog::obfs
