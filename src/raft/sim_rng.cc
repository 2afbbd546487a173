#include "raft/sim_rng.h"

#include <algorithm>
#include <cstring>

namespace dlog::raft {
namespace {

uint64_t SplitMix64(uint64_t* x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

SimRng::SimRng(uint64_t seed) {
  for (uint64_t& s : s_) s = SplitMix64(&seed);
}

uint64_t SimRng::Next() {
  uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

void SimRng::Fill(std::span<uint8_t> out) {
  for (size_t i = 0; i < out.size(); i += 8) {
    uint64_t v = Next();
    std::memcpy(out.data() + i, &v, std::min<size_t>(8, out.size() - i));
  }
}

int64_t SimRng::Between(int64_t lo, int64_t hi) {
  uint64_t span = uint64_t(hi - lo) + 1;
  return span == 0 ? int64_t(Next()) : lo + int64_t(Next() % span);
}

bool SimRng::Chance(double p) { return double(Next() >> 11) * 0x1.0p-53 < p; }

}  // namespace dlog::raft
