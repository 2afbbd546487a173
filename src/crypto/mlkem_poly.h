// ML-KEM polynomial arithmetic (internal): Z_q, R_q = Z_q[X]/(X^256 + 1) and its NTT
// image T_q (FIPS 203 §2.4, §4.2–4.3).
//
// Every coefficient is kept fully reduced in [0, q). Reductions use multiply-and-shift
// (Barrett), never `/` or `%`, so no operation on coefficients takes data-dependent time
// (KyberSlash: a division by q on a secret leaks through its latency). Only SampleNtt,
// which expands the public seed ρ, branches on its data.
#pragma once

#include <array>
#include <cstdint>

#include "base/bytes.h"

namespace dlog::crypto::mlkem {

constexpr int kN = 256;
constexpr uint32_t kQ = 3329;

// A polynomial in R_q, or its NTT representation in T_q: coefficient i is c[i].
struct Poly {
  std::array<uint16_t, kN> c;
};

// --- Z_q ---

// x mod q for x < 2q.
inline uint16_t CondSubQ(uint32_t x) {
  uint32_t y = x - kQ;  // wraps to >= 2^31 when x < q
  return uint16_t(y + (kQ & (0u - (y >> 31))));
}

// x mod q for any 32-bit x: Barrett with m = floor(2^32 / q). The estimate
// floor(x * m / 2^32) is floor(x / q) or one less, so one conditional subtraction remains.
inline uint16_t Reduce(uint32_t x) {
  constexpr uint64_t kM = (uint64_t{1} << 32) / kQ;
  uint32_t quotient = uint32_t((uint64_t{x} * kM) >> 32);
  return CondSubQ(x - quotient * kQ);
}

// floor(n / q) for n < 2^23, exact: M = ceil(2^35 / q) and n * (M q - 2^35) < 2^35.
inline uint32_t DivQ(uint32_t n) {
  constexpr uint64_t kM = ((uint64_t{1} << 35) + kQ - 1) / kQ;
  return uint32_t((uint64_t{n} * kM) >> 35);
}

inline uint16_t FieldAdd(uint16_t a, uint16_t b) { return CondSubQ(uint32_t{a} + b); }
inline uint16_t FieldSub(uint16_t a, uint16_t b) { return CondSubQ(uint32_t{a} + kQ - b); }
inline uint16_t FieldMul(uint16_t a, uint16_t b) { return Reduce(uint32_t{a} * b); }

// --- R_q and T_q ---

void PolyAdd(Poly& a, const Poly& b);  // a += b
void PolySub(Poly& a, const Poly& b);  // a -= b

void Ntt(Poly& f);         // Alg. 9, R_q -> T_q in place
void InverseNtt(Poly& f);  // Alg. 10, T_q -> R_q in place
// Alg. 11 MultiplyNTTs, accumulated: h += f ×_T g.
void MultiplyNttsAdd(Poly& h, const Poly& f, const Poly& g);

// --- Encodings (§4.2.1) ---

// Alg. 5 ByteEncode_d, 1 <= d <= 12: writes 32·d bytes. Coefficients must be < 2^d
// (d < 12) or < q (d = 12).
void ByteEncode(const Poly& f, int d, uint8_t* out);
// Alg. 6 ByteDecode_d: reads 32·d bytes. For d = 12 each value is reduced mod q.
void ByteDecode(const uint8_t* in, int d, Poly& f);

// Compress_d and Decompress_d (§4.2.1, eq. 4.7 and 4.8), coefficient-wise, 1 <= d <= 11.
void Compress(Poly& f, int d);
void Decompress(Poly& f, int d);

// --- Sampling (§4.2.2) ---

// Alg. 7 SampleNTT(ρ ‖ b0 ‖ b1): a uniform element of T_q from SHAKE128. Branches on
// its (public) input.
void SampleNtt(const uint8_t rho[32], uint8_t b0, uint8_t b1, Poly& a);
// Alg. 8 SamplePolyCBD_η from 64·η bytes of PRF output; η in {2, 3}.
void SamplePolyCbd(const uint8_t* b, int eta, Poly& f);

}  // namespace dlog::crypto::mlkem
