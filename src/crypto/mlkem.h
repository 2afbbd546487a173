// ML-KEM (FIPS 203, August 2024): module-lattice key encapsulation, written here.
//
// Sizes in bytes (FIPS 203 Table 3):
//
//   parameter set   ek     dk     ciphertext   shared key
//   ML-KEM-512       800   1632    768         32
//   ML-KEM-768      1184   2400   1088         32
//   ML-KEM-1024     1568   3168   1568         32
//
// Decapsulation key layout (Alg. 16), k = 2, 3, 4:
//
//   | dk_PKE = ByteEncode_12(ŝ) | ek          | H(ek) | z  |
//   | 384·k                     | 384·k + 32  | 32    | 32 |
//
// Input checks (§7.2, §7.3) are done by MlKemEncaps*/MlKemDecaps and reported as errors;
// an invalid ciphertext of the right length is not an error: Decaps then returns the
// implicit-rejection key J(z ‖ c), as the standard requires.
//
// Constant time: no branch or memory index depends on d, z, m, ŝ, the re-encryption
// check or the shared key (checked under valgrind, tests/ct/). Functions are
// thread-compatible (no shared state).
#pragma once

#include <optional>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "base/rng.h"
#include "base/secret.h"

namespace dlog::crypto {

enum class MlKemParams : uint8_t { kMlKem512, kMlKem768, kMlKem1024 };

constexpr size_t kMlKemSeedSize = 64;  // d ‖ z
constexpr size_t kMlKemMessageSize = 32;
constexpr size_t kMlKemSharedKeySize = 32;

using MlKemSharedKey = Secret<kMlKemSharedKeySize>;

// "ML-KEM-512", "ML-KEM-768", "ML-KEM-1024".
const char* MlKemName(MlKemParams params);
std::optional<MlKemParams> MlKemParamsFromName(std::string_view name);
size_t MlKemEncapsKeySize(MlKemParams params);
size_t MlKemDecapsKeySize(MlKemParams params);
size_t MlKemCiphertextSize(MlKemParams params);

// A decapsulation key's bytes: move-only, wiped on destruction. Never log it.
class MlKemDecapsKey {
 public:
  MlKemDecapsKey() = default;
  explicit MlKemDecapsKey(size_t size) : bytes_(size) {}
  explicit MlKemDecapsKey(ByteSpan bytes) : bytes_(bytes.begin(), bytes.end()) {}
  MlKemDecapsKey(MlKemDecapsKey&&) noexcept = default;
  MlKemDecapsKey& operator=(MlKemDecapsKey&& other) noexcept;
  MlKemDecapsKey(const MlKemDecapsKey&) = delete;
  MlKemDecapsKey& operator=(const MlKemDecapsKey&) = delete;
  ~MlKemDecapsKey() { Wipe(); }

  ByteSpan span() const { return bytes_; }
  uint8_t* data() { return bytes_.data(); }
  size_t size() const { return bytes_.size(); }
  void Wipe();

 private:
  Bytes bytes_;
};

struct MlKemKeyPair {
  Bytes ek;
  MlKemDecapsKey dk;
};

struct MlKemEncapsulation {
  Bytes ciphertext;
  MlKemSharedKey shared_key;
};

// Alg. 16 ML-KEM.KeyGen_internal(d, z) with seed = d ‖ z (64 bytes; otherwise an error).
Result<MlKemKeyPair> MlKemKeyGenInternal(MlKemParams params, ByteSpan seed);
// Alg. 19 ML-KEM.KeyGen: d and z drawn from `rng`.
MlKemKeyPair MlKemKeyGen(MlKemParams params, Rng& rng);

// §7.2 encapsulation key check: the length is 384·k + 32 and every encoded coefficient
// is below q (ByteEncode_12(ByteDecode_12(ek)) == ek).
Status MlKemCheckEncapsKey(MlKemParams params, ByteSpan ek);
// §7.3 decapsulation key check: the length is 768·k + 96 and the H(ek) it holds matches.
Status MlKemCheckDecapsKey(MlKemParams params, ByteSpan dk);

// Alg. 17 ML-KEM.Encaps_internal(ek, m), after MlKemCheckEncapsKey; m is 32 bytes.
Result<MlKemEncapsulation> MlKemEncapsInternal(MlKemParams params, ByteSpan ek, ByteSpan m);
// Alg. 20 ML-KEM.Encaps: m drawn from `rng`.
Result<MlKemEncapsulation> MlKemEncaps(MlKemParams params, ByteSpan ek, Rng& rng);

// Alg. 21 ML-KEM.Decaps (= Alg. 18 after the §7.3 checks): the ciphertext must be
// 32·(du·k + dv) bytes and dk must pass MlKemCheckDecapsKey. With implicit rejection.
Result<MlKemSharedKey> MlKemDecaps(MlKemParams params, ByteSpan dk, ByteSpan ciphertext);

}  // namespace dlog::crypto
