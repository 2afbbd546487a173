#include "crypto/keccak.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>

#include "base/secret.h"

namespace dlog::crypto {
namespace {

constexpr int kRounds = 24;

// rc(t) of FIPS 202 Alg. 5: output bit of the LFSR x^8 + x^6 + x^5 + x^4 + 1.
constexpr bool Rc(int t) {
  if (t % 255 == 0) return true;
  unsigned r = 1;  // R[j] is bit j
  for (int i = 1; i <= t % 255; ++i) {
    r <<= 1;
    unsigned r8 = (r >> 8) & 1;
    r ^= r8 | r8 << 4 | r8 << 5 | r8 << 6;
    r &= 0xFF;
  }
  return r & 1;
}

struct KeccakConstants {
  uint64_t round_constant[kRounds];  // RC of ι (Alg. 6)
  int rho_offset[25];                // ρ offsets (Alg. 2), by lane x + 5y
  int pi_source[25];                 // π (Alg. 3): A'[x, y] = A[(x + 3y) mod 5, x]
};

constexpr KeccakConstants MakeConstants() {
  KeccakConstants k{};
  for (int ir = 0; ir < kRounds; ++ir) {
    for (int j = 0; j <= 6; ++j) {
      if (Rc(j + 7 * ir)) k.round_constant[ir] |= uint64_t{1} << ((1 << j) - 1);
    }
  }
  int x = 1, y = 0;
  for (int t = 0; t < 24; ++t) {
    k.rho_offset[x + 5 * y] = ((t + 1) * (t + 2) / 2) % 64;
    int next_y = (2 * x + 3 * y) % 5;
    x = y;
    y = next_y;
  }
  for (int x2 = 0; x2 < 5; ++x2) {
    for (int y2 = 0; y2 < 5; ++y2) k.pi_source[x2 + 5 * y2] = (x2 + 3 * y2) % 5 + 5 * x2;
  }
  return k;
}

constexpr KeccakConstants kConstants = MakeConstants();
static_assert(kConstants.round_constant[0] == 0x0000000000000001);
static_assert(kConstants.round_constant[23] == 0x8000000080008008);

}  // namespace

// The inner loops are unrolled so that every index, π source and ρ offset becomes a
// constant (about five times faster than the rolled loops).
void KeccakF1600(uint64_t a[25]) {
  for (int ir = 0; ir < kRounds; ++ir) {
    // θ (Alg. 1)
    uint64_t c[5], d[5];
#pragma GCC unroll 5
    for (int x = 0; x < 5; ++x) c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
#pragma GCC unroll 5
    for (int x = 0; x < 5; ++x) d[x] = c[(x + 4) % 5] ^ std::rotl(c[(x + 1) % 5], 1);
#pragma GCC unroll 25
    for (int i = 0; i < 25; ++i) a[i] ^= d[i % 5];
    // ρ and π (Alg. 2, 3)
    uint64_t b[25];
#pragma GCC unroll 25
    for (int i = 0; i < 25; ++i) {
      int src = kConstants.pi_source[i];
      b[i] = std::rotl(a[src], kConstants.rho_offset[src]);
    }
    // χ (Alg. 4)
#pragma GCC unroll 5
    for (int y = 0; y < 25; y += 5) {
#pragma GCC unroll 5
      for (int x = 0; x < 5; ++x) a[y + x] = b[y + x] ^ (~b[y + (x + 1) % 5] & b[y + (x + 2) % 5]);
    }
    // ι (Alg. 6)
    a[0] ^= kConstants.round_constant[ir];
  }
}

KeccakSponge::KeccakSponge(size_t rate_bytes, uint8_t suffix) : rate_(rate_bytes), suffix_(suffix) {
  assert(rate_bytes > 0 && rate_bytes < 200 && rate_bytes % 8 == 0);
}

KeccakSponge::~KeccakSponge() { SecureZero(state_, sizeof state_); }

void KeccakSponge::Absorb(ByteSpan data) {
  assert(!squeezing_);
  while (!data.empty()) {
    if (pos_ == 0 && data.size() >= rate_) {  // whole block, lane by lane
      for (size_t i = 0; i < rate_ / 8; ++i) state_[i] ^= LoadLE64(&data[8 * i]);
      KeccakF1600(state_);
      data = data.subspan(rate_);
      continue;
    }
    size_t n = std::min(rate_ - pos_, data.size());
    for (size_t i = 0; i < n; ++i) XorByte(pos_ + i, data[i]);
    pos_ += n;
    data = data.subspan(n);
    if (pos_ == rate_) {
      KeccakF1600(state_);
      pos_ = 0;
    }
  }
}

// Domain suffix and pad10*1 (FIPS 202 Alg. 9), then the first permutation of squeezing.
void KeccakSponge::Pad() {
  XorByte(pos_, suffix_);
  XorByte(rate_ - 1, 0x80);
  KeccakF1600(state_);
  pos_ = 0;
  squeezing_ = true;
}

void KeccakSponge::Squeeze(MutableByteSpan out) {
  if (!squeezing_) Pad();
  while (!out.empty()) {
    if (pos_ == rate_) {
      KeccakF1600(state_);
      pos_ = 0;
    }
    size_t n = std::min(rate_ - pos_, out.size());
    for (size_t i = 0; i < n; ++i) out[i] = GetByte(pos_ + i);
    pos_ += n;
    out = out.subspan(n);
  }
}

void Sha3_256::Hash(std::initializer_list<ByteSpan> parts, uint8_t out[kSha3_256Size]) {
  Sha3_256 h;
  for (ByteSpan p : parts) h.Update(p);
  h.Final(out);
}

void Sha3_512::Hash(std::initializer_list<ByteSpan> parts, uint8_t out[kSha3_512Size]) {
  Sha3_512 h;
  for (ByteSpan p : parts) h.Update(p);
  h.Final(out);
}

void Shake128::Hash(std::initializer_list<ByteSpan> parts, MutableByteSpan out) {
  Shake128 x;
  for (ByteSpan p : parts) x.Absorb(p);
  x.Squeeze(out);
}

void Shake256::Hash(std::initializer_list<ByteSpan> parts, MutableByteSpan out) {
  Shake256 x;
  for (ByteSpan p : parts) x.Absorb(p);
  x.Squeeze(out);
}

}  // namespace dlog::crypto
