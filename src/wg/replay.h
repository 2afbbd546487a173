// ReplayWindow: the sliding window of received transport counters (RFC 6479 style, as
// in the kernel's counter.c). Window of kRejectAfterMessages-safe 64-bit counters,
// 8192 bits of bitmap of which 8128 (8192 - 64) form the usable window.
//
// Not thread-safe; the owner (a keypair's receive side) serialises access.
#pragma once

#include <array>
#include <cstdint>

namespace dlog::wg {

class ReplayWindow {
 public:
  static constexpr uint64_t kBitsTotal = 8192;
  static constexpr uint64_t kWindowSize = kBitsTotal - 64;  // 8128

  // Returns true and records `counter` when it is new and inside the window and below
  // `limit` (REJECT_AFTER_MESSAGES); false for replays, too-old and too-large counters.
  // Call only after the packet authenticated.
  bool Accept(uint64_t counter, uint64_t limit);
  void Reset();

 private:
  uint64_t greatest_ = 0;  // greatest counter accepted + 1 (0: none yet)
  std::array<uint64_t, kBitsTotal / 64> bitmap_{};
};

}  // namespace dlog::wg
