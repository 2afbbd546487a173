#include "wg/tai64n.h"

#include <gtest/gtest.h>

#include <tuple>

#include "base/hex.h"
#include "base/rng.h"

namespace dlog::wg {
namespace {

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kWhitenStep = int64_t(1) << 24;  // ns

std::string Hex(const Tai64n& t) { return ToHex({t.data(), t.size()}); }

TEST(Tai64n, UnixEpochIsTai64Base) {
  // https://cr.yp.to/libtai/tai64.html: 2^62 + 10 labels 1970-01-01 00:00:00 TAI-10.
  EXPECT_EQ(Hex(MakeTai64n(WallTime{0})), "400000000000000a00000000");
}

TEST(Tai64n, KnownInstant) {
  // 1700000000 s = 0x6553f100; 123456789 ns = 0x075bcd15, whitened to 0x07000000.
  EXPECT_EQ(Hex(MakeTai64n(WallTime{1'700'000'000 * kSec + 123'456'789})),
            "400000006553f10a07000000");
}

TEST(Tai64n, NanosecondsRoundedDownTo2Pow24) {
  // 999999999 ns = 0x3b9ac9ff.
  EXPECT_EQ(Hex(MakeTai64n(WallTime{5 * kSec + 999'999'999})), "400000000000000f3b000000");
  EXPECT_EQ(Hex(MakeTai64n(WallTime{5 * kSec + kWhitenStep - 1})), "400000000000000f00000000");
  EXPECT_EQ(Hex(MakeTai64n(WallTime{5 * kSec + kWhitenStep})), "400000000000000f01000000");
}

TEST(Tai64n, BeforeUnixEpochFloors) {
  EXPECT_EQ(Hex(MakeTai64n(WallTime{-1})), "40000000000000093b000000");
  EXPECT_EQ(Hex(MakeTai64n(WallTime{-kSec})), "400000000000000900000000");
}

TEST(Tai64n, AfterIsStrict) {
  Tai64n a = MakeTai64n(WallTime{1'700'000'000 * kSec});
  EXPECT_FALSE(Tai64nAfter(a, a));
  Tai64n same_window = MakeTai64n(WallTime{1'700'000'000 * kSec + kWhitenStep - 1});
  EXPECT_EQ(a, same_window);
  EXPECT_FALSE(Tai64nAfter(same_window, a));
}

TEST(Tai64n, MonotonicAcrossWhitenedSteps) {
  // Each 2^24 ns step (and each second boundary) yields a strictly later stamp.
  int64_t t = 1'700'000'000 * kSec;
  Tai64n prev = MakeTai64n(WallTime{t});
  for (int i = 0; i < 1000; ++i) {
    t += kWhitenStep;
    Tai64n next = MakeTai64n(WallTime{t});
    ASSERT_TRUE(Tai64nAfter(next, prev)) << i;
    ASSERT_FALSE(Tai64nAfter(prev, next)) << i;
    prev = next;
  }
}

// Naive oracle: After compares (seconds, whitened nanoseconds) as integers.
TEST(Tai64n, AfterMatchesIntegerOrder) {
  SeededRng rng(7);
  for (int i = 0; i < 5000; ++i) {
    int64_t x = int64_t(rng.U64() % (4'000'000'000 * kSec)) - 100 * kSec;
    int64_t y = (i % 3 == 0) ? x + int64_t(rng.Uniform(3)) * kWhitenStep
                             : int64_t(rng.U64() % (4'000'000'000 * kSec)) - 100 * kSec;
    auto key = [](int64_t n) {
      int64_t s = n / kSec, ns = n % kSec;
      if (ns < 0) ns += kSec, --s;
      return std::make_tuple(s, ns & ~(kWhitenStep - 1));
    };
    ASSERT_EQ(Tai64nAfter(MakeTai64n(WallTime{x}), MakeTai64n(WallTime{y})), key(x) > key(y))
        << x << " vs " << y;
  }
}

}  // namespace
}  // namespace dlog::wg
