// PQ key pairs and their files.
//
//   secret key file (mode 0600):  "dlog-pq-secret ML-KEM-1024 <base64 of the seed d ‖ z>\n"
//   public key file / text:       "dlog-pq-public ML-KEM-1024 <base64 of ek>\n"
//
// The secret file stores the 64-byte FIPS 203 seed (d ‖ z) rather than the 3168-byte
// decapsulation key: ML-KEM.KeyGen_internal regenerates the same pair from it (FIPS 203
// §7.1 allows storing the seed), and the file stays one short line. The public half is a
// single printable line meant to be pasted or mailed; a bare base64 key is accepted too
// (its length tells the parameter set).
//
// Loading refuses a secret file that group or others may read, like ssh does, with a
// message that says how to fix it. Files are written whole or not at all (temporary
// file, fsync, rename). Not thread-safe with respect to the same path.
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "base/rng.h"
#include "base/secret.h"
#include "pq/kem.h"

namespace dlog::pq {

inline constexpr char kSecretKeyTag[] = "dlog-pq-secret";
inline constexpr char kPublicKeyTag[] = "dlog-pq-public";

struct PublicKey {
  Algorithm algorithm = kDefaultAlgorithm;
  Bytes bytes;  // ML-KEM encapsulation key
};

struct KeyPair {
  Algorithm algorithm = kDefaultAlgorithm;
  Secret<64> seed;
  Bytes public_key;
  crypto::MlKemDecapsKey secret_key;
};

KeyPair GenerateKeyPair(Algorithm a, Rng& rng);
Result<KeyPair> KeyPairFromSeed(Algorithm a, const Secret<64>& seed);

// "dlog-pq-public ML-KEM-1024 <base64>" (no newline).
std::string FormatPublicKey(const PublicKey& key);
// Accepts FormatPublicKey's form or bare base64; checks the key (FIPS 203 §7.2).
Result<PublicKey> ParsePublicKey(std::string_view text);

Status WriteSecretKeyFile(const std::string& path, const KeyPair& key);    // 0600
Status WritePublicKeyFile(const std::string& path, const PublicKey& key);  // 0644
Result<KeyPair> ReadSecretKeyFile(const std::string& path);
Result<PublicKey> ReadPublicKeyFile(const std::string& path);

}  // namespace dlog::pq
