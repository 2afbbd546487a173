// BLAKE2s (RFC 7693): hash, keyed MAC, HMAC-BLAKE2s, and the WireGuard paper's KDF.
#pragma once

#include <initializer_list>

#include "base/bytes.h"
#include "base/secret.h"

namespace dlog::crypto {

constexpr size_t kBlake2sSize = 32;
constexpr size_t kBlake2sBlock = 64;

// Incremental BLAKE2s with output length 1..32 and optional key (0..32 bytes).
// Written here from RFC 7693 (a few dozen lines; libsodium has only BLAKE2b and
// OpenSSL's EVP path costs a context fetch per call on the handshake path).
class Blake2s {
 public:
  explicit Blake2s(size_t out_len = kBlake2sSize, ByteSpan key = {});
  ~Blake2s();
  Blake2s& Update(ByteSpan data);
  void Final(uint8_t* out);  // writes out_len bytes

 private:
  void Compress(bool last);
  uint32_t h_[8];
  uint32_t t_[2] = {0, 0};
  uint8_t buf_[kBlake2sBlock];
  size_t buf_len_ = 0;
  size_t out_len_;
};

// HASH(a || b || ...), 32 bytes.
void Hash(uint8_t out[kBlake2sSize], std::initializer_list<ByteSpan> parts);
// Keyed BLAKE2s with a 16-byte output (WireGuard's MAC).
void Mac16(uint8_t out[16], ByteSpan key, ByteSpan data);
// HMAC-BLAKE2s (RFC 2104 over BLAKE2s), 32 bytes.
void Hmac(uint8_t out[kBlake2sSize], ByteSpan key, ByteSpan data);

// The paper's KDF_n(key, input): T0 = HMAC(key, input); Ti = HMAC(T0, T(i-1) || i).
// Writes n (1..3) 32-byte outputs.
void Kdf(ByteSpan key, ByteSpan input, uint8_t* out1, uint8_t* out2 = nullptr,
         uint8_t* out3 = nullptr);

}  // namespace dlog::crypto
