// Constant-time check of ML-KEM, ctgrind style: run under
//   valgrind --error-exitcode=1 mlkem_ct
// Secret inputs (d, z, m, dk) are marked undefined with VALGRIND_MAKE_MEM_UNDEFINED.
// Memcheck then reports every conditional jump and every memory address that depends on
// them, i.e. every secret-dependent branch or table index, anywhere in KeyGen, Encaps or
// Decaps. Values that are public by definition (ek, the ciphertext, the ek ‖ H(ek) bytes
// inside dk) are marked defined again before use, as an attacker sees them anyway; inside
// the library only ρ is declassified (crypto/mlkem_ct.h). Memcheck does not see the
// latency of a division, so `ct_no_division.sh` checks the object code separately.
//
// `--control=branch` and `--control=index` run deliberately variable-time code on a
// secret instead; the same harness must flag them (tests/ct/expect_flagged.sh).
//
// Built with -O2 -g (tests/ct/CMakeLists.txt), the optimisation level of release builds.
#include <valgrind/memcheck.h>

#include <cstdio>
#include <cstring>
#include <string_view>

#include "base/rng.h"
#include "crypto/mlkem.h"

namespace dlog::crypto {
namespace {

void MarkSecret(const void* p, size_t n) { VALGRIND_MAKE_MEM_UNDEFINED(p, n); }
void MarkPublic(const void* p, size_t n) { VALGRIND_MAKE_MEM_DEFINED(p, n); }

bool Fail(MlKemParams params, const char* what) {
  std::fprintf(stderr, "%s: %s\n", MlKemName(params), what);
  return false;
}

// KeyGen_internal, Encaps_internal, Decaps of a valid and of a tampered ciphertext.
bool CheckOnce(MlKemParams params, Rng& rng) {
  uint8_t seed[kMlKemSeedSize], m[kMlKemMessageSize];
  rng.Fill(seed);
  rng.Fill(m);
  MarkSecret(seed, sizeof seed);  // d ‖ z
  MarkSecret(m, sizeof m);

  Result<MlKemKeyPair> kp = MlKemKeyGenInternal(params, seed);
  if (!kp.ok()) return Fail(params, "KeyGen failed");
  Bytes& ek = kp->ek;
  MarkPublic(ek.data(), ek.size());
  // dk = dk_PKE ‖ ek ‖ H(ek) ‖ z: secret but for its copy of ek and H(ek).
  Bytes dk(kp->dk.span().begin(), kp->dk.span().end());
  MarkSecret(dk.data(), dk.size());
  MarkPublic(dk.data() + dk.size() - 64 - ek.size(), ek.size() + 32);

  Result<MlKemEncapsulation> enc = MlKemEncapsInternal(params, ek, m);
  if (!enc.ok()) return Fail(params, "Encaps failed");
  Bytes& c = enc->ciphertext;
  MarkPublic(c.data(), c.size());

  Result<MlKemSharedKey> accepted = MlKemDecaps(params, dk, c);
  Bytes tampered = c;
  tampered[rng.Uniform(uint32_t(c.size()))] ^= 0x01;
  Result<MlKemSharedKey> rejected = MlKemDecaps(params, dk, tampered);
  if (!accepted.ok() || !rejected.ok()) return Fail(params, "Decaps failed");

  // Checking the results is not under test: declassify them first.
  MarkPublic(enc->shared_key.data(), kMlKemSharedKeySize);
  MarkPublic(accepted->data(), kMlKemSharedKeySize);
  MarkPublic(rejected->data(), kMlKemSharedKeySize);
  if (!(*accepted == enc->shared_key)) return Fail(params, "Decaps disagrees with Encaps");
  if (*rejected == enc->shared_key) return Fail(params, "tampered ciphertext accepted");
  return true;
}

// Negative control: returns at the first differing byte (a secret-dependent branch).
__attribute__((noinline)) bool EarlyExitEqual(const uint8_t* a, const uint8_t* b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// Negative control: a table lookup at a secret index (a secret-dependent address).
__attribute__((noinline)) uint8_t SecretIndexedLookup(const uint8_t table[256], uint8_t index) {
  return table[index];
}

int RunControl(std::string_view control) {
  uint8_t key[32], guess[32], table[256];
  SeededRng rng(1);
  rng.Fill(key);
  std::memcpy(guess, key, sizeof key);
  rng.Fill(table);
  MarkSecret(key, sizeof key);
  volatile uint8_t sink;
  if (control == "branch") {
    sink = EarlyExitEqual(key, guess, sizeof key);
  } else if (control == "index") {
    sink = SecretIndexedLookup(table, key[0]);
  } else {
    std::fprintf(stderr, "unknown control %.*s\n", int(control.size()), control.data());
    return 2;
  }
  (void)sink;
  return 0;
}

int Run(int argc, char** argv) {
  if (argc == 2 && std::string_view(argv[1]).starts_with("--control=")) {
    return RunControl(std::string_view(argv[1]).substr(10));
  }
  if (RUNNING_ON_VALGRIND == 0) {
    std::fprintf(stderr, "run me under valgrind --error-exitcode=1\n");
    return 2;
  }
  SeededRng rng(203);
  for (MlKemParams params :
       {MlKemParams::kMlKem512, MlKemParams::kMlKem768, MlKemParams::kMlKem1024}) {
    for (int trial = 0; trial < 3; ++trial) {
      if (!CheckOnce(params, rng)) return 1;
    }
  }
  std::fprintf(stderr,
               "ML-KEM KeyGen/Encaps/Decaps ran; the valgrind error count is the verdict\n");
  return 0;
}

}  // namespace
}  // namespace dlog::crypto

int main(int argc, char** argv) { return dlog::crypto::Run(argc, argv); }
