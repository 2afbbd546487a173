#include "crypto/mlkem_kpke.h"

#include <array>
#include <cstring>

#include "base/secret.h"
#include "crypto/keccak.h"
#include "crypto/mlkem_ct.h"
#include "crypto/mlkem_poly.h"

namespace dlog::crypto::mlkem {
namespace {

using PolyVec = std::array<Poly, kMaxK>;

// SamplePolyCBD_η(PRF_η(s, n)), with PRF_η(s, n) = SHAKE256(s ‖ n, 64·η) (eq. 4.3).
void SampleCbdFromPrf(const uint8_t s[32], uint8_t n, int eta, Poly& f) {
  uint8_t prf[64 * 3];
  Shake256::Hash({{s, 32}, {&n, 1}}, {prf, 64 * size_t(eta)});
  SamplePolyCbd(prf, eta, f);
  SecureZero(prf, sizeof prf);
}

// Â[row][col] = SampleNTT(ρ ‖ col ‖ row) (Alg. 13 line 6, Alg. 14 line 6). Entries are
// expanded when used, so Â is never held whole.
void SampleMatrixEntry(const uint8_t rho[32], int row, int col, Poly& a) {
  SampleNtt(rho, uint8_t(col), uint8_t(row), a);
}

}  // namespace

void KpkeKeyGen(const ParamSet& p, const uint8_t d[32], uint8_t* ek_pke, uint8_t* dk_pke) {
  struct {
    uint8_t g_input[33];
    uint8_t rho_sigma[64];
    PolyVec s, e;
    Poly t;
  } sec;
  WipeOnExit wipe(sec);

  // (ρ, σ) = G(d ‖ k)
  std::memcpy(sec.g_input, d, 32);
  sec.g_input[32] = uint8_t(p.k);
  Sha3_512::Hash({{sec.g_input, 33}}, sec.rho_sigma);
  const uint8_t* rho = sec.rho_sigma;
  const uint8_t* sigma = sec.rho_sigma + 32;
  Declassify(rho, 32);  // published in ek

  uint8_t n = 0;
  for (int i = 0; i < p.k; ++i) SampleCbdFromPrf(sigma, n++, p.eta1, sec.s[i]);
  for (int i = 0; i < p.k; ++i) SampleCbdFromPrf(sigma, n++, p.eta1, sec.e[i]);
  for (int i = 0; i < p.k; ++i) {
    Ntt(sec.s[i]);
    Ntt(sec.e[i]);
  }
  // t̂ = Â ∘ ŝ + ê; ek_PKE = ByteEncode_12(t̂) ‖ ρ
  for (int i = 0; i < p.k; ++i) {
    sec.t = sec.e[i];
    for (int j = 0; j < p.k; ++j) {
      Poly a;
      SampleMatrixEntry(rho, i, j, a);
      MultiplyNttsAdd(sec.t, a, sec.s[j]);
    }
    ByteEncode(sec.t, 12, ek_pke + 384 * i);
  }
  std::memcpy(ek_pke + p.EncodedPolyVecSize(), rho, 32);
  // dk_PKE = ByteEncode_12(ŝ)
  for (int i = 0; i < p.k; ++i) ByteEncode(sec.s[i], 12, dk_pke + 384 * i);
}

void KpkeEncrypt(const ParamSet& p, const uint8_t* ek_pke, const uint8_t m[32], const uint8_t r[32],
                 uint8_t* c) {
  PolyVec t_hat;
  for (int i = 0; i < p.k; ++i) ByteDecode(ek_pke + 384 * i, 12, t_hat[i]);
  const uint8_t* rho = ek_pke + p.EncodedPolyVecSize();

  struct {
    PolyVec y, e1;
    Poly e2, acc, mu;
  } sec;
  WipeOnExit wipe(sec);

  uint8_t n = 0;
  for (int i = 0; i < p.k; ++i) SampleCbdFromPrf(r, n++, p.eta1, sec.y[i]);
  for (int i = 0; i < p.k; ++i) SampleCbdFromPrf(r, n++, p.eta2, sec.e1[i]);
  SampleCbdFromPrf(r, n++, p.eta2, sec.e2);
  for (int i = 0; i < p.k; ++i) Ntt(sec.y[i]);

  // u = NTT^-1(Â^T ∘ ŷ) + e1; c1 = ByteEncode_du(Compress_du(u))
  for (int i = 0; i < p.k; ++i) {
    sec.acc = Poly{};
    for (int j = 0; j < p.k; ++j) {
      Poly a;
      SampleMatrixEntry(rho, j, i, a);
      MultiplyNttsAdd(sec.acc, a, sec.y[j]);
    }
    InverseNtt(sec.acc);
    PolyAdd(sec.acc, sec.e1[i]);
    Compress(sec.acc, p.du);
    ByteEncode(sec.acc, p.du, c + 32 * p.du * i);
  }

  // v = NTT^-1(t̂^T ∘ ŷ) + e2 + Decompress_1(ByteDecode_1(m)); c2 = ByteEncode_dv(Compress_dv(v))
  sec.acc = Poly{};
  for (int i = 0; i < p.k; ++i) MultiplyNttsAdd(sec.acc, t_hat[i], sec.y[i]);
  InverseNtt(sec.acc);
  PolyAdd(sec.acc, sec.e2);
  ByteDecode(m, 1, sec.mu);
  Decompress(sec.mu, 1);
  PolyAdd(sec.acc, sec.mu);
  Compress(sec.acc, p.dv);
  ByteEncode(sec.acc, p.dv, c + 32 * p.du * p.k);
}

void KpkeDecrypt(const ParamSet& p, const uint8_t* dk_pke, const uint8_t* c, uint8_t m[32]) {
  struct {
    PolyVec s_hat, u;
    Poly v, w;
  } sec;
  WipeOnExit wipe(sec);

  // u' = Decompress_du(ByteDecode_du(c1)), v' = Decompress_dv(ByteDecode_dv(c2))
  for (int i = 0; i < p.k; ++i) {
    ByteDecode(c + 32 * p.du * i, p.du, sec.u[i]);
    Decompress(sec.u[i], p.du);
  }
  ByteDecode(c + 32 * p.du * p.k, p.dv, sec.v);
  Decompress(sec.v, p.dv);
  for (int i = 0; i < p.k; ++i) ByteDecode(dk_pke + 384 * i, 12, sec.s_hat[i]);

  // w = v' - NTT^-1(ŝ^T ∘ NTT(u')); m = ByteEncode_1(Compress_1(w))
  sec.w = Poly{};
  for (int i = 0; i < p.k; ++i) {
    Ntt(sec.u[i]);
    MultiplyNttsAdd(sec.w, sec.s_hat[i], sec.u[i]);
  }
  InverseNtt(sec.w);
  PolySub(sec.v, sec.w);
  Compress(sec.v, 1);
  ByteEncode(sec.v, 1, m);
}

}  // namespace dlog::crypto::mlkem
