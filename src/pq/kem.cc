#include "pq/kem.h"

#include <cstring>

namespace dlog::pq {

namespace {

crypto::MlKemParams ParamsOf(Algorithm a) {
  return a == Algorithm::kKyber768 ? crypto::MlKemParams::kMlKem768
                                   : crypto::MlKemParams::kMlKem1024;
}

}  // namespace

const char* AlgorithmName(Algorithm a) {
  return a == Algorithm::kKyber768 ? "kyber768" : "kyber1024";
}

const char* AlgorithmStandardName(Algorithm a) { return crypto::MlKemName(ParamsOf(a)); }

std::optional<Algorithm> AlgorithmFromName(std::string_view name) {
  if (name == "kyber768" || name == "ML-KEM-768") return Algorithm::kKyber768;
  if (name == "kyber1024" || name == "ML-KEM-1024") return Algorithm::kKyber1024;
  return std::nullopt;
}

KemSizes SizesOf(Algorithm a) {
  const crypto::MlKemParams p = ParamsOf(a);
  return {crypto::MlKemEncapsKeySize(p), crypto::MlKemDecapsKeySize(p),
          crypto::MlKemCiphertextSize(p)};
}

KemKeyPair KemKeyGen(Algorithm a, Rng& rng) {
  crypto::MlKemKeyPair kp = crypto::MlKemKeyGen(ParamsOf(a), rng);
  return {std::move(kp.ek), std::move(kp.dk)};
}

Result<KemKeyPair> KemKeyFromSeed(Algorithm a, ByteSpan seed) {
  Result<crypto::MlKemKeyPair> kp = crypto::MlKemKeyGenInternal(ParamsOf(a), seed);
  if (!kp.ok()) return kp.status();
  return KemKeyPair{std::move(kp->ek), std::move(kp->dk)};
}

Status KemEncaps(Algorithm a, ByteSpan ek, Rng& rng, uint8_t* ct, SharedKey& shared) {
  Result<crypto::MlKemEncapsulation> e = crypto::MlKemEncaps(ParamsOf(a), ek, rng);
  if (!e.ok()) return e.status();
  std::memcpy(ct, e->ciphertext.data(), e->ciphertext.size());
  shared = e->shared_key;
  return Status::Ok();
}

Status KemDecaps(Algorithm a, ByteSpan dk, ByteSpan ct, SharedKey& shared) {
  Result<crypto::MlKemSharedKey> k = crypto::MlKemDecaps(ParamsOf(a), dk, ct);
  if (!k.ok()) return k.status();
  shared = *k;
  return Status::Ok();
}

Status KemCheckPublicKey(Algorithm a, ByteSpan ek) {
  Status s = crypto::MlKemCheckEncapsKey(ParamsOf(a), ek);
  if (s.ok()) return s;
  return Status::Error(std::string("not an ") + AlgorithmStandardName(a) +
                       " public key: " + s.message());
}

}  // namespace dlog::pq
