// Randomness as the protocol cores see it: injected, so tests are deterministic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace dlog {

class Rng {
 public:
  virtual ~Rng() = default;
  virtual void Fill(std::span<uint8_t> out) = 0;
  uint32_t Uniform(uint32_t upper_bound);  // in [0, upper_bound), upper_bound > 0
  uint32_t U32();
  uint64_t U64();
};

// Cryptographically secure (libsodium's randombytes, i.e. getrandom()).
class SystemRng final : public Rng {
 public:
  void Fill(std::span<uint8_t> out) override;
};

// Deterministic, seeded (ChaCha20 keystream); for tests and the simulator only.
class SeededRng final : public Rng {
 public:
  explicit SeededRng(uint64_t seed);
  void Fill(std::span<uint8_t> out) override;

 private:
  uint8_t key_[32];
  uint64_t nonce_ = 0;
};

}  // namespace dlog
