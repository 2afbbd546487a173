#include "base/rng.h"

#include <sodium.h>

#include <cstring>

#include "base/bytes.h"

namespace dlog {

uint32_t Rng::U32() {
  uint8_t b[4];
  Fill(b);
  return LoadLE32(b);
}

uint64_t Rng::U64() {
  uint8_t b[8];
  Fill(b);
  return LoadLE64(b);
}

uint32_t Rng::Uniform(uint32_t upper_bound) {
  // Rejection sampling: no modulo bias.
  const uint32_t limit = uint32_t(-upper_bound) % upper_bound;
  for (;;) {
    uint32_t r = U32();
    if (r >= limit) return r % upper_bound;
  }
}

void SystemRng::Fill(std::span<uint8_t> out) {
  if (!out.empty()) randombytes_buf(out.data(), out.size());
}

SeededRng::SeededRng(uint64_t seed) {
  std::memset(key_, 0, sizeof key_);
  StoreLE64(key_, seed);
}

void SeededRng::Fill(std::span<uint8_t> out) {
  if (out.empty()) return;
  uint8_t nonce[crypto_stream_chacha20_NONCEBYTES] = {};
  StoreLE64(nonce, nonce_++);
  crypto_stream_chacha20(out.data(), out.size(), nonce, key_);
}

}  // namespace dlog
