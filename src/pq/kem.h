// The KEMs of the PQ exchange: ML-KEM (FIPS 203, src/crypto/mlkem.h) behind the names
// dlog.toml uses for `pq_algorithm`.
//
//   pq_algorithm   static KEM (SKEM)   ephemeral KEM (EKEM)   ek     ct
//   "kyber1024"    ML-KEM-1024         ML-KEM-1024            1568   1568   (default)
//   "kyber768"     ML-KEM-768          ML-KEM-768             1184   1088
//
// One parameter set serves both roles (docs/PQ.md, "Choice of KEMs"): the ephemeral KEM
// carries forward secrecy, which is the property that protects recorded traffic, so it
// gets the same strength as the static one; ML-KEM-1024 costs microseconds more than
// ML-KEM-768, not milliseconds.
//
// Thread-compatible: no state.
#pragma once

#include <optional>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "base/rng.h"
#include "base/secret.h"
#include "crypto/mlkem.h"

namespace dlog::pq {

enum class Algorithm : uint8_t { kKyber768, kKyber1024 };

inline constexpr Algorithm kDefaultAlgorithm = Algorithm::kKyber1024;

// "kyber768" / "kyber1024" (the dlog.toml spelling).
const char* AlgorithmName(Algorithm a);
// "ML-KEM-768" / "ML-KEM-1024" (FIPS 203 spelling, used in key files and labels).
const char* AlgorithmStandardName(Algorithm a);
// Accepts either spelling; nullopt for anything else (ML-KEM-512 included).
std::optional<Algorithm> AlgorithmFromName(std::string_view name);

struct KemSizes {
  size_t ek;  // encapsulation (public) key
  size_t dk;  // decapsulation (secret) key
  size_t ct;  // ciphertext
};
KemSizes SizesOf(Algorithm a);

using SharedKey = Secret<32>;

struct KemKeyPair {
  Bytes ek;
  crypto::MlKemDecapsKey dk;
};

// ML-KEM.KeyGen with randomness from `rng`.
KemKeyPair KemKeyGen(Algorithm a, Rng& rng);
// ML-KEM.KeyGen_internal from a 64-byte seed d ‖ z (how secret key files store keys).
Result<KemKeyPair> KemKeyFromSeed(Algorithm a, ByteSpan seed);
// ML-KEM.Encaps after the encapsulation-key check; writes SizesOf(a).ct bytes to `ct`.
// Fails only when `ek` fails the FIPS 203 §7.2 check.
Status KemEncaps(Algorithm a, ByteSpan ek, Rng& rng, uint8_t* ct, SharedKey& shared);
// ML-KEM.Decaps (implicit rejection: a forged ciphertext yields a pseudorandom key, not
// an error). Fails only on wrong lengths or a malformed dk.
Status KemDecaps(Algorithm a, ByteSpan dk, ByteSpan ct, SharedKey& shared);
// FIPS 203 §7.2 check of a peer's public key, with a message naming the algorithm.
Status KemCheckPublicKey(Algorithm a, ByteSpan ek);

}  // namespace dlog::pq
