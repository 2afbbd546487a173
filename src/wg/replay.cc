// RFC 6479 anti-replay window, laid out as WireGuard's counter.c does it.
//
// The bitmap is a ring of kBitsTotal / 64 words. Bit (c + 1) mod kBitsTotal stands for
// counter c (the +1 lets greatest_ == 0 mean "nothing yet"). When a newer counter
// arrives, the words between the old and the new top word are zeroed (at most the
// whole ring) before the new bit is set; the words below the top word keep their bits.
// Keeping one word of slack below the top is why only kBitsTotal - 64 bits form the
// window: every counter in [greatest - kWindowSize, greatest] maps to a live bit.
#include "wg/replay.h"

#include <algorithm>

namespace dlog::wg {
namespace {

constexpr uint64_t kWordBits = 64;
constexpr uint64_t kWords = ReplayWindow::kBitsTotal / kWordBits;
static_assert((kWords & (kWords - 1)) == 0, "ring index is masked");

}  // namespace

bool ReplayWindow::Accept(uint64_t counter, uint64_t limit) {
  if (counter >= limit) return false;
  // counter < limit <= 2^64 - 1, so the shifted counter cannot wrap.
  const uint64_t shifted = counter + 1;
  if (shifted < greatest_ && greatest_ - shifted > kWindowSize) return false;
  const uint64_t word = shifted / kWordBits;
  if (shifted > greatest_) {
    const uint64_t top_word = greatest_ / kWordBits;
    const uint64_t stale = std::min(word - top_word, kWords);
    for (uint64_t i = 1; i <= stale; ++i) bitmap_[(top_word + i) & (kWords - 1)] = 0;
    greatest_ = shifted;
  }
  uint64_t& slot = bitmap_[word & (kWords - 1)];
  const uint64_t bit = uint64_t{1} << (shifted % kWordBits);
  if (slot & bit) return false;
  slot |= bit;
  return true;
}

void ReplayWindow::Reset() {
  greatest_ = 0;
  bitmap_.fill(0);
}

}  // namespace dlog::wg
