// SimRng: a fast deterministic generator (xoshiro256**, seeded through SplitMix64) for
// the simulator, which draws millions of numbers per run. Not for secrets.
#pragma once

#include <cstdint>

#include "base/rng.h"

namespace dlog::raft {

class SimRng final : public Rng {
 public:
  explicit SimRng(uint64_t seed);
  void Fill(std::span<uint8_t> out) override;

  uint64_t Next();
  // Uniform in [lo, hi], requires lo <= hi.
  int64_t Between(int64_t lo, int64_t hi);
  // True with probability p.
  bool Chance(double p);
  // A seed for an independent stream (nodes, clients).
  uint64_t Fork() { return Next() ^ 0x9e3779b97f4a7c15ull; }

 private:
  uint64_t s_[4];
};

}  // namespace dlog::raft
