// SHA-3 and SHAKE (FIPS 202), written here for ML-KEM (FIPS 203 §4.1: H, J, G, PRF, XOF).
//
// All four functions are instances of one sponge over Keccak-p[1600, 24] (FIPS 202 §6):
//
//   function   rate (bytes)   suffix bits   output
//   SHA3-256   136            01            32 bytes
//   SHA3-512    72            01            64 bytes
//   SHAKE128   168            1111          any length (XOF)
//   SHAKE256   136            1111          any length (XOF)
//
// Constant time: no branch or memory index depends on the data absorbed or squeezed,
// only on lengths. Every object wipes its state on destruction.
#pragma once

#include <cstdint>
#include <initializer_list>

#include "base/bytes.h"

namespace dlog::crypto {

constexpr size_t kSha3_256Size = 32;
constexpr size_t kSha3_512Size = 64;

// Keccak-p[1600, 24] (FIPS 202 Alg. 7) on 25 lanes; lane A[x, y] is state[x + 5y], and
// byte i of the 200-byte string is byte i % 8 (little-endian) of lane i / 8.
void KeccakF1600(uint64_t state[25]);

// SPONGE[Keccak-p[1600, 24], pad10*1, rate] (FIPS 202 §4) with a domain suffix
// (§6.1–6.2), absorbed and squeezed incrementally.
//
// Contract: Absorb only before the first Squeeze. Squeeze(a) then Squeeze(b) yields the
// same bytes as one Squeeze(a + b). Not thread-safe; one owner.
class KeccakSponge {
 public:
  // rate_bytes in (0, 200) and a multiple of 8; suffix holds the domain bits followed
  // by the first padding bit (0x06 for SHA-3, 0x1F for SHAKE).
  KeccakSponge(size_t rate_bytes, uint8_t suffix);
  ~KeccakSponge();
  KeccakSponge(const KeccakSponge&) = default;
  KeccakSponge& operator=(const KeccakSponge&) = default;

  void Absorb(ByteSpan data);
  void Squeeze(MutableByteSpan out);

 private:
  void XorByte(size_t pos, uint8_t b) { state_[pos / 8] ^= uint64_t(b) << (8 * (pos % 8)); }
  uint8_t GetByte(size_t pos) const { return uint8_t(state_[pos / 8] >> (8 * (pos % 8))); }
  void Pad();

  uint64_t state_[25] = {};
  size_t rate_;
  uint8_t suffix_;
  size_t pos_ = 0;  // byte offset in the current block, absorbing or squeezing
  bool squeezing_ = false;
};

// SHA3-256 (FIPS 202 §6.1).
class Sha3_256 {
 public:
  Sha3_256() : sponge_(136, 0x06) {}
  Sha3_256& Update(ByteSpan data) {
    sponge_.Absorb(data);
    return *this;
  }
  void Final(uint8_t out[kSha3_256Size]) { sponge_.Squeeze({out, kSha3_256Size}); }
  // SHA3-256(parts[0] || parts[1] || ...).
  static void Hash(std::initializer_list<ByteSpan> parts, uint8_t out[kSha3_256Size]);

 private:
  KeccakSponge sponge_;
};

// SHA3-512 (FIPS 202 §6.1).
class Sha3_512 {
 public:
  Sha3_512() : sponge_(72, 0x06) {}
  Sha3_512& Update(ByteSpan data) {
    sponge_.Absorb(data);
    return *this;
  }
  void Final(uint8_t out[kSha3_512Size]) { sponge_.Squeeze({out, kSha3_512Size}); }
  static void Hash(std::initializer_list<ByteSpan> parts, uint8_t out[kSha3_512Size]);

 private:
  KeccakSponge sponge_;
};

// SHAKE128 (FIPS 202 §6.2): Absorb any number of times, then Squeeze any number of times.
class Shake128 {
 public:
  static constexpr size_t kRate = 168;
  Shake128() : sponge_(kRate, 0x1F) {}
  Shake128& Absorb(ByteSpan data) {
    sponge_.Absorb(data);
    return *this;
  }
  void Squeeze(MutableByteSpan out) { sponge_.Squeeze(out); }
  static void Hash(std::initializer_list<ByteSpan> parts, MutableByteSpan out);

 private:
  KeccakSponge sponge_;
};

// SHAKE256 (FIPS 202 §6.2).
class Shake256 {
 public:
  static constexpr size_t kRate = 136;
  Shake256() : sponge_(kRate, 0x1F) {}
  Shake256& Absorb(ByteSpan data) {
    sponge_.Absorb(data);
    return *this;
  }
  void Squeeze(MutableByteSpan out) { sponge_.Squeeze(out); }
  static void Hash(std::initializer_list<ByteSpan> parts, MutableByteSpan out);

 private:
  KeccakSponge sponge_;
};

}  // namespace dlog::crypto
