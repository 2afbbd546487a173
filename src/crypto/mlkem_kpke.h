// K-PKE (FIPS 203 §5), the CPA-secure encryption scheme under ML-KEM (internal).
//
// Buffers are raw pointers of the sizes given by ParamSet; callers check lengths.
// Every function wipes its secret intermediates (s, e, y, e1, e2, PRF output) before
// returning.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dlog::crypto::mlkem {

constexpr int kMaxK = 4;

// One row of FIPS 203 Table 2, with the derived sizes of Table 3.
struct ParamSet {
  const char* name;
  int k;
  int eta1;
  int eta2;
  int du;
  int dv;

  constexpr size_t EncodedPolyVecSize() const { return 384 * size_t(k); }
  constexpr size_t EncapsKeySize() const { return EncodedPolyVecSize() + 32; }
  constexpr size_t DecapsKeySize() const { return 768 * size_t(k) + 96; }
  constexpr size_t CiphertextSize() const { return 32 * size_t(du * k + dv); }
};

constexpr ParamSet kMlKem512{"ML-KEM-512", 2, 3, 2, 10, 4};
constexpr ParamSet kMlKem768{"ML-KEM-768", 3, 2, 2, 10, 4};
constexpr ParamSet kMlKem1024{"ML-KEM-1024", 4, 2, 2, 11, 5};

static_assert(kMlKem512.EncapsKeySize() == 800 && kMlKem512.DecapsKeySize() == 1632 &&
              kMlKem512.CiphertextSize() == 768);
static_assert(kMlKem768.EncapsKeySize() == 1184 && kMlKem768.DecapsKeySize() == 2400 &&
              kMlKem768.CiphertextSize() == 1088);
static_assert(kMlKem1024.EncapsKeySize() == 1568 && kMlKem1024.DecapsKeySize() == 3168 &&
              kMlKem1024.CiphertextSize() == 1568);

// Alg. 13 K-PKE.KeyGen(d): writes ek_PKE (EncapsKeySize) and dk_PKE (EncodedPolyVecSize).
void KpkeKeyGen(const ParamSet& p, const uint8_t d[32], uint8_t* ek_pke, uint8_t* dk_pke);

// Alg. 14 K-PKE.Encrypt(ek_PKE, m, r): writes c (CiphertextSize). ek_PKE must have passed
// the modulus check; it is decoded as it stands.
void KpkeEncrypt(const ParamSet& p, const uint8_t* ek_pke, const uint8_t m[32], const uint8_t r[32],
                 uint8_t* c);

// Alg. 15 K-PKE.Decrypt(dk_PKE, c): writes the 32-byte message m.
void KpkeDecrypt(const ParamSet& p, const uint8_t* dk_pke, const uint8_t* c, uint8_t m[32]);

}  // namespace dlog::crypto::mlkem
