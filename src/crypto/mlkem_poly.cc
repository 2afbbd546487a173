#include "crypto/mlkem_poly.h"

#include "crypto/keccak.h"

namespace dlog::crypto::mlkem {
namespace {

constexpr uint8_t BitRev7(uint8_t i) {
  uint8_t r = 0;
  for (int b = 0; b < 7; ++b) r |= ((i >> b) & 1) << (6 - b);
  return r;
}

constexpr uint16_t PowModQ(uint32_t base, uint32_t e) {
  uint32_t result = 1;
  for (; e != 0; e >>= 1) {
    if (e & 1) result = result * base % kQ;
    base = base * base % kQ;
  }
  return uint16_t(result);
}

// ζ = 17 is a primitive 256th root of unity mod q (§4.3).
constexpr uint32_t kZeta = 17;
// 128^-1 mod q, the scale of Alg. 10 line 14.
constexpr uint16_t kInv128 = 3303;
static_assert(128 * kInv128 % kQ == 1);

struct NttConstants {
  uint16_t zeta[128];   // ζ^BitRev7(i) mod q (Alg. 9, 10)
  uint16_t gamma[128];  // ζ^(2·BitRev7(i) + 1) mod q (Alg. 11)
};

constexpr NttConstants MakeNttConstants() {
  NttConstants k{};
  for (int i = 0; i < 128; ++i) {
    k.zeta[i] = PowModQ(kZeta, BitRev7(uint8_t(i)));
    k.gamma[i] = PowModQ(kZeta, 2 * BitRev7(uint8_t(i)) + 1);
  }
  return k;
}

constexpr NttConstants kNtt = MakeNttConstants();
static_assert(kNtt.zeta[1] == 1729 && kNtt.gamma[0] == 17);

// Bit k of the byte string b, least significant bit first (Alg. 4 BytesToBits).
inline uint32_t Bit(const uint8_t* b, int k) { return (b[k >> 3] >> (k & 7)) & 1; }

}  // namespace

void PolyAdd(Poly& a, const Poly& b) {
  for (int i = 0; i < kN; ++i) a.c[i] = FieldAdd(a.c[i], b.c[i]);
}

void PolySub(Poly& a, const Poly& b) {
  for (int i = 0; i < kN; ++i) a.c[i] = FieldSub(a.c[i], b.c[i]);
}

// Alg. 9 and 10 count their ζ index i across the groups of each layer; here it is
// computed from the layer's group number instead (groups + g, and 2·groups - 1 - g), which
// keeps the loop bounds powers of two, free of divisions (tests/ct/ct_no_division.sh).
void Ntt(Poly& f) {
  for (int groups = 1, len = 128; len >= 2; groups <<= 1, len >>= 1) {
    for (int g = 0; g < groups; ++g) {
      const uint16_t zeta = kNtt.zeta[groups + g];
      const int start = 2 * len * g;
      for (int j = start; j < start + len; ++j) {
        uint16_t t = FieldMul(zeta, f.c[j + len]);
        f.c[j + len] = FieldSub(f.c[j], t);
        f.c[j] = FieldAdd(f.c[j], t);
      }
    }
  }
}

void InverseNtt(Poly& f) {
  for (int groups = 64, len = 2; len <= 128; groups >>= 1, len <<= 1) {
    for (int g = 0; g < groups; ++g) {
      const uint16_t zeta = kNtt.zeta[2 * groups - 1 - g];
      const int start = 2 * len * g;
      for (int j = start; j < start + len; ++j) {
        uint16_t t = f.c[j];
        f.c[j] = FieldAdd(t, f.c[j + len]);
        f.c[j + len] = FieldMul(zeta, FieldSub(f.c[j + len], t));
      }
    }
  }
  for (uint16_t& x : f.c) x = FieldMul(x, kInv128);
}

// Alg. 12 BaseCaseMultiply for each of the 128 degree-one factors X^2 - γ_i.
void MultiplyNttsAdd(Poly& h, const Poly& f, const Poly& g) {
  for (int i = 0; i < 128; ++i) {
    const uint32_t a0 = f.c[2 * i], a1 = f.c[2 * i + 1];
    const uint32_t b0 = g.c[2 * i], b1 = g.c[2 * i + 1];
    // Each sum is below 2q^2 + q < 2^25.
    uint32_t c0 = a0 * b0 + uint32_t{FieldMul(uint16_t(a1), uint16_t(b1))} * kNtt.gamma[i];
    uint32_t c1 = a0 * b1 + a1 * b0;
    h.c[2 * i] = Reduce(c0 + h.c[2 * i]);
    h.c[2 * i + 1] = Reduce(c1 + h.c[2 * i + 1]);
  }
}

void ByteEncode(const Poly& f, int d, uint8_t* out) {
  uint32_t acc = 0;  // holds fewer than 8 + 12 bits
  int bits = 0;
  for (int i = 0; i < kN; ++i) {
    acc |= uint32_t{f.c[i]} << bits;
    bits += d;
    while (bits >= 8) {
      *out++ = uint8_t(acc);
      acc >>= 8;
      bits -= 8;
    }
  }
}

void ByteDecode(const uint8_t* in, int d, Poly& f) {
  const uint32_t mask = (1u << d) - 1;
  uint32_t acc = 0;
  int bits = 0;
  for (int i = 0; i < kN; ++i) {
    while (bits < d) {
      acc |= uint32_t{*in++} << bits;
      bits += 8;
    }
    uint32_t v = acc & mask;
    f.c[i] = d == 12 ? CondSubQ(v) : uint16_t(v);  // v < 2^12 < 2q
    acc >>= d;
    bits -= d;
  }
}

// Compress_d(x) = round(2^d x / q) mod 2^d = floor((2^d x + (q-1)/2) / q) mod 2^d, since
// 2^d x / q is never a half-integer (q is odd).
void Compress(Poly& f, int d) {
  const uint32_t mask = (1u << d) - 1;
  for (uint16_t& x : f.c) x = uint16_t(DivQ((uint32_t{x} << d) + (kQ - 1) / 2) & mask);
}

// Decompress_d(y) = round(q y / 2^d), halves rounded up.
void Decompress(Poly& f, int d) {
  for (uint16_t& y : f.c) y = uint16_t((uint32_t{y} * kQ + (1u << (d - 1))) >> d);
}

void SampleNtt(const uint8_t rho[32], uint8_t b0, uint8_t b1, Poly& a) {
  Shake128 xof;
  xof.Absorb({rho, 32}).Absorb({&b0, 1}).Absorb({&b1, 1});
  // Squeezing a whole block gives the same stream as Alg. 7's three bytes at a time.
  // Each candidate is accepted with probability q / 2^12 ≈ 0.81, so 256 coefficients take
  // about 2.8 blocks; needing more than 20 blocks has probability far below 2^-1000.
  uint8_t block[Shake128::kRate];
  static_assert(Shake128::kRate % 3 == 0);
  int n = 0;
  while (n < kN) {
    xof.Squeeze(block);
    for (size_t p = 0; p < sizeof block && n < kN; p += 3) {
      uint16_t d1 = uint16_t(block[p] | (block[p + 1] & 0x0F) << 8);
      uint16_t d2 = uint16_t(block[p + 1] >> 4 | block[p + 2] << 4);
      if (d1 < kQ) a.c[n++] = d1;
      if (d2 < kQ && n < kN) a.c[n++] = d2;
    }
  }
}

void SamplePolyCbd(const uint8_t* b, int eta, Poly& f) {
  for (int i = 0; i < kN; ++i) {
    uint32_t x = 0, y = 0;
    for (int j = 0; j < eta; ++j) {
      x += Bit(b, 2 * i * eta + j);
      y += Bit(b, 2 * i * eta + eta + j);
    }
    f.c[i] = CondSubQ(x + kQ - y);
  }
}

}  // namespace dlog::crypto::mlkem
