// RandomPool: a fast buffered CSPRNG (ChaCha20 keystream under a key drawn once from a
// parent Rng), so the data path draws prefix characters, padding lengths and padding
// bytes without a system call per datagram.
//
// Not thread-safe: each sending thread owns one (it lives in obfs::Output). Output is
// indistinguishable from random to anyone without the key; the key is wiped on
// destruction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "base/rng.h"
#include "base/secret.h"

namespace dlog::obfs {

class RandomPool final : public Rng {
 public:
  RandomPool() = default;
  RandomPool(const RandomPool&) = delete;
  RandomPool& operator=(const RandomPool&) = delete;
  ~RandomPool() override;

  bool seeded() const { return seeded_; }
  // (Re)keys the pool from `parent`; discards buffered bytes.
  void Seed(Rng& parent);
  void Fill(std::span<uint8_t> out) override;
  // Uniform in [0, 1) with 53 bits of precision.
  double UnitInterval();

 private:
  void Refill();
  static constexpr size_t kBufferSize = 512;
  Secret<32> key_;
  uint64_t block_ = 0;
  uint8_t buf_[kBufferSize];
  size_t pos_ = kBufferSize;
  bool seeded_ = false;
};

}  // namespace dlog::obfs
