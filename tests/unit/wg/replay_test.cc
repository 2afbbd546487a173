#include "wg/replay.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <random>
#include <set>

namespace dlog::wg {
namespace {

// REJECT_AFTER_MESSAGES (WireGuard paper §6.4 / the kernel's messages.h).
constexpr uint64_t kRejectAfterMessages = ~uint64_t{0} - (uint64_t{1} << 13);
static_assert(kRejectAfterMessages == 0xffffffffffffdfffull);  // 2^64 - 2^13 - 1

constexpr uint64_t kWindow = ReplayWindow::kWindowSize;
constexpr uint64_t kLim = kWindow + 1;  // the kernel self-test's T_LIM

// Steps through one window, reporting the step number of any mismatch.
class Stepper {
 public:
  void T(uint64_t counter, bool expected) {
    ++step_;
    EXPECT_EQ(window_.Accept(counter, kRejectAfterMessages), expected)
        << "step " << step_ << ", counter " << counter;
  }
  void Reset() { window_.Reset(); }

 private:
  ReplayWindow window_;
  int step_ = 0;
};

// The case list of the Linux kernel's WireGuard counter self-test
// (drivers/net/wireguard/selftest/counter.c), steps 1-34.
TEST(ReplayWindow, KernelSelfTestSteps) {
  Stepper s;
  s.T(0, true);
  s.T(1, true);
  s.T(1, false);
  s.T(9, true);
  s.T(8, true);
  s.T(7, true);
  s.T(7, false);
  s.T(kLim, true);
  s.T(kLim - 1, true);
  s.T(kLim - 1, false);
  s.T(kLim - 2, true);
  s.T(2, true);
  s.T(2, false);
  s.T(kLim + 16, true);
  s.T(3, false);
  s.T(kLim + 16, false);
  s.T(kLim * 4, true);
  s.T(kLim * 4 - (kLim - 1), true);
  s.T(10, false);
  s.T(kLim * 4 - kLim, false);
  s.T(kLim * 4 - (kLim + 1), false);
  s.T(kLim * 4 - (kLim - 2), true);
  s.T(kLim * 4 + 1 - kLim, false);
  s.T(0, false);
  s.T(kRejectAfterMessages, false);
  s.T(kRejectAfterMessages - 1, true);
  s.T(kRejectAfterMessages, false);
  s.T(kRejectAfterMessages - 1, false);
  s.T(kRejectAfterMessages - 2, true);
  s.T(kRejectAfterMessages + 1, false);
  s.T(kRejectAfterMessages + 2, false);
  s.T(kRejectAfterMessages - 2, false);
  s.T(kRejectAfterMessages - 3, true);
  s.T(0, false);
}

// The kernel self-test's bulk runs: a full window forwards or backwards, then the
// counters just inside and just outside its far edge.
TEST(ReplayWindow, KernelBulkForwardThenOldestInWindow) {
  Stepper s;
  for (uint64_t i = 1; i <= kWindow; ++i) s.T(i, true);
  s.T(0, true);
  s.T(0, false);
}

TEST(ReplayWindow, KernelBulkForwardThenJustOutside) {
  Stepper s;
  for (uint64_t i = 2; i <= kWindow + 1; ++i) s.T(i, true);
  s.T(1, true);
  s.T(0, false);
}

TEST(ReplayWindow, KernelBulkBackwardFromTop) {
  Stepper s;
  for (uint64_t i = kWindow + 1; i-- > 0;) s.T(i, true);
}

TEST(ReplayWindow, KernelBulkBackwardThenBeyond) {
  Stepper s;
  for (uint64_t i = kWindow + 2; i-- > 1;) s.T(i, true);
  s.T(0, false);
}

TEST(ReplayWindow, KernelBulkBackwardThenNewTop) {
  Stepper s;
  for (uint64_t i = kWindow + 1; i-- > 1;) s.T(i, true);
  s.T(kWindow + 1, true);
  s.T(0, false);
}

TEST(ReplayWindow, KernelBulkBackwardThenBothEdges) {
  Stepper s;
  for (uint64_t i = kWindow + 1; i-- > 1;) s.T(i, true);
  s.T(0, true);
  s.T(kWindow + 1, true);
}

TEST(ReplayWindow, ResetForgetsEverything) {
  ReplayWindow w;
  ASSERT_TRUE(w.Accept(5, kRejectAfterMessages));
  ASSERT_TRUE(w.Accept(100000, kRejectAfterMessages));
  ASSERT_FALSE(w.Accept(5, kRejectAfterMessages));
  w.Reset();
  EXPECT_TRUE(w.Accept(5, kRejectAfterMessages));
  EXPECT_FALSE(w.Accept(5, kRejectAfterMessages));
}

TEST(ReplayWindow, LimitIsExclusiveForEveryLimit) {
  ReplayWindow w;
  EXPECT_FALSE(w.Accept(0, 0));
  EXPECT_TRUE(w.Accept(0, 1));
  EXPECT_FALSE(w.Accept(10, 10));
  EXPECT_TRUE(w.Accept(9, 10));
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  EXPECT_FALSE(w.Accept(max, max));
  EXPECT_TRUE(w.Accept(max - 1, max));
  EXPECT_FALSE(w.Accept(max - 1, max));
  EXPECT_TRUE(w.Accept(max - 1 - kWindow, max));
  EXPECT_FALSE(w.Accept(max - 2 - kWindow, max));
}

// Naive model of the same contract: counter c is accepted iff c < limit, c was not
// accepted before, and c is not more than kWindowSize below the greatest accepted
// counter g (g - c <= kWindowSize). Accepted counters below the window are forgotten,
// which keeps the set bounded by kWindowSize + 1 entries.
class NaiveWindow {
 public:
  bool Accept(uint64_t c, uint64_t limit) {
    if (c >= limit) return false;
    if (greatest_ && c<*greatest_&& * greatest_ - c> kWindow) return false;
    if (!seen_.insert(c).second) return false;
    if (!greatest_ || c > *greatest_) {
      greatest_ = c;
      if (c >= kWindow) seen_.erase(seen_.begin(), seen_.lower_bound(c - kWindow));
    }
    return true;
  }
  uint64_t greatest() const { return greatest_.value_or(0); }
  size_t size() const { return seen_.size(); }

 private:
  std::optional<uint64_t> greatest_;
  std::set<uint64_t> seen_;
};

// Picks the next counter around the current top `g`, favouring the places where a
// ring-buffer window goes wrong: window edges, word and ring boundaries, jumps, and
// replays of recently accepted counters. A `wild` generator also jumps anywhere in
// the 64-bit range and to the limit, which ends a sequence's useful life quickly, so
// only short sequences use it.
class AdversarialCounters {
 public:
  AdversarialCounters(uint64_t seed, uint64_t limit, bool wild)
      : rng_(seed), limit_(limit), wild_(wild) {}

  uint64_t Next(uint64_t g) {
    switch (Below(12)) {
      case 0:
        return g + 1;
      case 1:
        return g + Below(200);
      case 2:
        return Minus(g, Below(200));
      case 3:
        return Minus(g, kWindow - 4 + Below(9));
      case 4:
        return Minus(g, Below(2 * ReplayWindow::kBitsTotal));
      case 5:
        return g + 64 * Below(ReplayWindow::kBitsTotal / 64 + 3) + Below(5) - 2;
      case 6:
        return g + ReplayWindow::kBitsTotal - 4 + Below(9);
      case 7:
        return g + (rng_() >> (wild_ ? Below(64) : 40 + Below(24)));
      case 8:
        return recent_.empty() ? g : recent_[Below(recent_.size())];
      case 9:
        return Minus(g, 64 * Below(ReplayWindow::kBitsTotal / 64) + Below(64));
      case 10:
        return wild_ ? Minus(limit_, Below(4)) + Below(3) * Below(2) : g + 2;
      default:
        return wild_ ? rng_() : Minus(g, 1);
    }
  }
  void Accepted(uint64_t c) {
    recent_.push_back(c);
    if (recent_.size() > 32) recent_.pop_front();
  }

 private:
  uint64_t Below(uint64_t n) { return rng_() % n; }
  static uint64_t Minus(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

  std::mt19937_64 rng_;
  uint64_t limit_;
  bool wild_;
  std::deque<uint64_t> recent_;  // bounded to 32
};

struct OracleRun {
  uint64_t accepted = 0, rejected = 0;
};

// Runs `sequences` fresh windows of `length` steps each against the naive model.
OracleRun CompareWithNaive(uint64_t seed, uint64_t limit, bool wild, int sequences, int length) {
  OracleRun run;
  AdversarialCounters gen(seed, limit, wild);
  ReplayWindow fast;
  for (int s = 0; s < sequences; ++s) {
    fast.Reset();
    NaiveWindow naive;
    for (int i = 0; i < length; ++i) {
      const uint64_t c = gen.Next(naive.greatest());
      const bool want = naive.Accept(c, limit);
      const bool got = fast.Accept(c, limit);
      EXPECT_EQ(got, want) << "seed " << seed << " sequence " << s << " step " << i << " counter "
                           << c << " greatest " << naive.greatest();
      if (got != want) return run;
      if (want) gen.Accepted(c);
      (want ? run.accepted : run.rejected)++;
    }
    EXPECT_LE(naive.size(), kWindow + 1);
  }
  return run;
}

constexpr uint64_t kLimits[] = {kRejectAfterMessages, 3 * ReplayWindow::kBitsTotal,
                                std::numeric_limits<uint64_t>::max()};

// 1.2 million sequences of 24 steps: every early state of a fresh window.
TEST(ReplayWindow, MatchesNaiveModelManyShortSequences) {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    const OracleRun run = CompareWithNaive(seed, kLimits[seed % 3], true, 200000, 24);
    EXPECT_GT(run.accepted, 1000000u) << "seed " << seed;
    EXPECT_GT(run.rejected, 1000000u) << "seed " << seed;
  }
}

TEST(ReplayWindow, MatchesNaiveModelMediumSequences) {
  for (uint64_t seed = 11; seed <= 16; ++seed) {
    const OracleRun run = CompareWithNaive(seed, kLimits[seed % 3], true, 4000, 300);
    EXPECT_GT(run.accepted, 200000u) << "seed " << seed;
    EXPECT_GT(run.rejected, 200000u) << "seed " << seed;
  }
}

// Long lives of one window (no jumps to the limit): many laps of the ring.
TEST(ReplayWindow, MatchesNaiveModelLongSequences) {
  for (uint64_t seed = 100; seed < 104; ++seed) {
    const OracleRun run = CompareWithNaive(seed, kRejectAfterMessages, false, 1, 500000);
    EXPECT_GT(run.accepted, 100000u) << "seed " << seed;
    EXPECT_GT(run.rejected, 50000u) << "seed " << seed;
  }
}

}  // namespace
}  // namespace dlog::wg
