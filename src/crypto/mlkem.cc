#include "crypto/mlkem.h"

#include <cassert>
#include <cstring>
#include <string>

#include "crypto/keccak.h"
#include "crypto/mlkem_ct.h"
#include "crypto/mlkem_kpke.h"
#include "crypto/mlkem_poly.h"

namespace dlog::crypto {
namespace {

using mlkem::ParamSet;

constexpr size_t kMaxCiphertextSize = mlkem::kMlKem1024.CiphertextSize();

const ParamSet* Find(MlKemParams params) {
  switch (params) {
    case MlKemParams::kMlKem512:
      return &mlkem::kMlKem512;
    case MlKemParams::kMlKem768:
      return &mlkem::kMlKem768;
    case MlKemParams::kMlKem1024:
      return &mlkem::kMlKem1024;
  }
  return nullptr;
}

Status UnknownParams() { return Status::Error("unknown ML-KEM parameter set"); }

Status LengthError(const ParamSet& p, const char* what, size_t want, size_t got) {
  return Status::Error(std::string(p.name) + " " + what + " must be " + std::to_string(want) +
                       " bytes, got " + std::to_string(got));
}

}  // namespace

const char* MlKemName(MlKemParams params) {
  const ParamSet* p = Find(params);
  return p ? p->name : "unknown";
}

std::optional<MlKemParams> MlKemParamsFromName(std::string_view name) {
  for (auto params : {MlKemParams::kMlKem512, MlKemParams::kMlKem768, MlKemParams::kMlKem1024}) {
    if (name == MlKemName(params)) return params;
  }
  return std::nullopt;
}

size_t MlKemEncapsKeySize(MlKemParams params) {
  const ParamSet* p = Find(params);
  return p ? p->EncapsKeySize() : 0;
}

size_t MlKemDecapsKeySize(MlKemParams params) {
  const ParamSet* p = Find(params);
  return p ? p->DecapsKeySize() : 0;
}

size_t MlKemCiphertextSize(MlKemParams params) {
  const ParamSet* p = Find(params);
  return p ? p->CiphertextSize() : 0;
}

MlKemDecapsKey& MlKemDecapsKey::operator=(MlKemDecapsKey&& other) noexcept {
  if (this != &other) {
    Wipe();
    bytes_ = std::move(other.bytes_);
  }
  return *this;
}

void MlKemDecapsKey::Wipe() { SecureZero(bytes_.data(), bytes_.size()); }

Result<MlKemKeyPair> MlKemKeyGenInternal(MlKemParams params, ByteSpan seed) {
  const ParamSet* p = Find(params);
  if (!p) return UnknownParams();
  if (seed.size() != kMlKemSeedSize) {
    return LengthError(*p, "key generation seed (d ‖ z)", kMlKemSeedSize, seed.size());
  }
  const uint8_t* d = seed.data();
  const uint8_t* z = seed.data() + 32;

  MlKemKeyPair kp{Bytes(p->EncapsKeySize()), MlKemDecapsKey(p->DecapsKeySize())};
  uint8_t* dk = kp.dk.data();
  mlkem::KpkeKeyGen(*p, d, kp.ek.data(), dk);
  // dk = dk_PKE ‖ ek ‖ H(ek) ‖ z
  uint8_t* dk_ek = dk + p->EncodedPolyVecSize();
  std::memcpy(dk_ek, kp.ek.data(), kp.ek.size());
  Sha3_256::Hash({kp.ek}, dk_ek + kp.ek.size());
  std::memcpy(dk_ek + kp.ek.size() + 32, z, 32);
  return kp;
}

MlKemKeyPair MlKemKeyGen(MlKemParams params, Rng& rng) {
  Secret<kMlKemSeedSize> seed;
  rng.Fill(seed.span());
  Result<MlKemKeyPair> kp = MlKemKeyGenInternal(params, seed.span());
  assert(kp.ok() && "MlKemKeyGen: unknown parameter set");
  return std::move(kp.value());
}

Status MlKemCheckEncapsKey(MlKemParams params, ByteSpan ek) {
  const ParamSet* p = Find(params);
  if (!p) return UnknownParams();
  if (ek.size() != p->EncapsKeySize()) {
    return LengthError(*p, "encapsulation key", p->EncapsKeySize(), ek.size());
  }
  for (int i = 0; i < p->k; ++i) {
    const uint8_t* encoded = ek.data() + 384 * i;
    mlkem::Poly f;
    uint8_t reencoded[384];
    mlkem::ByteDecode(encoded, 12, f);
    mlkem::ByteEncode(f, 12, reencoded);
    if (std::memcmp(reencoded, encoded, sizeof reencoded) != 0) {
      return Status::Error(std::string(p->name) +
                           " encapsulation key has a coefficient >= q (FIPS 203 §7.2)");
    }
  }
  return Status::Ok();
}

Status MlKemCheckDecapsKey(MlKemParams params, ByteSpan dk) {
  const ParamSet* p = Find(params);
  if (!p) return UnknownParams();
  if (dk.size() != p->DecapsKeySize()) {
    return LengthError(*p, "decapsulation key", p->DecapsKeySize(), dk.size());
  }
  ByteSpan ek = dk.subspan(p->EncodedPolyVecSize(), p->EncapsKeySize());
  const uint8_t* h = ek.data() + ek.size();
  uint8_t computed[32];
  Sha3_256::Hash({ek}, computed);
  if (!ConstantTimeEqual(computed, h, 32)) {
    return Status::Error(std::string(p->name) +
                         " decapsulation key is corrupt: H(ek) does not match (FIPS 203 §7.3)");
  }
  return Status::Ok();
}

Result<MlKemEncapsulation> MlKemEncapsInternal(MlKemParams params, ByteSpan ek, ByteSpan m) {
  if (Status s = MlKemCheckEncapsKey(params, ek); !s.ok()) return s;
  const ParamSet& p = *Find(params);
  if (m.size() != kMlKemMessageSize) {
    return LengthError(p, "encapsulation randomness m", kMlKemMessageSize, m.size());
  }
  struct {
    uint8_t m_h[64];  // m ‖ H(ek)
    uint8_t k_r[64];  // (K, r)
  } sec;
  mlkem::WipeOnExit wipe(sec);

  // (K, r) = G(m ‖ H(ek)); c = K-PKE.Encrypt(ek, m, r)
  std::memcpy(sec.m_h, m.data(), 32);
  Sha3_256::Hash({ek}, sec.m_h + 32);
  Sha3_512::Hash({{sec.m_h, 64}}, sec.k_r);
  MlKemEncapsulation out{Bytes(p.CiphertextSize()), MlKemSharedKey()};
  mlkem::KpkeEncrypt(p, ek.data(), sec.m_h, sec.k_r + 32, out.ciphertext.data());
  std::memcpy(out.shared_key.data(), sec.k_r, 32);
  return out;
}

Result<MlKemEncapsulation> MlKemEncaps(MlKemParams params, ByteSpan ek, Rng& rng) {
  Secret<kMlKemMessageSize> m;
  rng.Fill(m.span());
  return MlKemEncapsInternal(params, ek, m.span());
}

Result<MlKemSharedKey> MlKemDecaps(MlKemParams params, ByteSpan dk, ByteSpan ciphertext) {
  const ParamSet* p = Find(params);
  if (!p) return UnknownParams();
  if (ciphertext.size() != p->CiphertextSize()) {
    return LengthError(*p, "ciphertext", p->CiphertextSize(), ciphertext.size());
  }
  if (Status s = MlKemCheckDecapsKey(params, dk); !s.ok()) return s;

  const uint8_t* dk_pke = dk.data();
  const uint8_t* ek_pke = dk_pke + p->EncodedPolyVecSize();
  const uint8_t* h = ek_pke + p->EncapsKeySize();
  const uint8_t* z = h + 32;
  struct {
    uint8_t m_h[64];  // m' ‖ h
    uint8_t k_r[64];  // (K', r')
    uint8_t k_bar[32];
    uint8_t c_prime[kMaxCiphertextSize];
  } sec;
  mlkem::WipeOnExit wipe(sec);

  // Alg. 18: m' = K-PKE.Decrypt(dk_PKE, c); (K', r') = G(m' ‖ h); K̄ = J(z ‖ c);
  // c' = K-PKE.Encrypt(ek_PKE, m', r'); K = (c == c') ? K' : K̄, without branching.
  mlkem::KpkeDecrypt(*p, dk_pke, ciphertext.data(), sec.m_h);
  std::memcpy(sec.m_h + 32, h, 32);
  Sha3_512::Hash({{sec.m_h, 64}}, sec.k_r);
  Shake256::Hash({{z, 32}, ciphertext}, sec.k_bar);
  mlkem::KpkeEncrypt(*p, ek_pke, sec.m_h, sec.k_r + 32, sec.c_prime);
  uint8_t same = mlkem::CtEqualMask(ciphertext.data(), sec.c_prime, ciphertext.size());
  MlKemSharedKey key;
  mlkem::CtSelect(key.data(), sec.k_r, sec.k_bar, same, kMlKemSharedKeySize);
  return key;
}

}  // namespace dlog::crypto
