// ReplayFilter against a naive model (a set with timestamps and no bound).
#include "obfs/replay_filter.h"

#include <gtest/gtest.h>

#include <map>

#include "base/rng.h"

namespace dlog::obfs {
namespace {

using std::chrono::seconds;

TEST(ReplayFilterTest, RefusesAReplayWithinTtlAndForgetsAfter) {
  ReplayFilter f(100, seconds(240));
  TimePoint t{seconds(10)};
  EXPECT_TRUE(f.Admit(1, t));
  EXPECT_FALSE(f.Admit(1, t + seconds(1)));
  EXPECT_FALSE(f.Admit(1, t + seconds(239)));
  EXPECT_TRUE(f.Admit(1, t + seconds(240)));
}

TEST(ReplayFilterTest, BoundedOldestForgottenFirst) {
  ReplayFilter f(4, seconds(240));
  TimePoint t{seconds(10)};
  for (uint64_t i = 0; i < 4; ++i) EXPECT_TRUE(f.Admit(i, t));
  EXPECT_TRUE(f.Admit(4, t));  // evicts 0
  EXPECT_LE(f.size(), 4u);
  EXPECT_TRUE(f.Admit(0, t));
  EXPECT_FALSE(f.Admit(4, t));
}

TEST(ReplayFilterTest, AgreesWithANaiveModelWhileUnderCapacity) {
  ReplayFilter f(1 << 20, seconds(5));
  std::map<uint64_t, TimePoint> model;
  SeededRng rng(9);
  TimePoint t{seconds(1)};
  for (int i = 0; i < 20000; ++i) {
    t += std::chrono::milliseconds(rng.Uniform(3));
    const uint64_t tag = rng.Uniform(500);
    auto it = model.find(tag);
    const bool fresh = it == model.end() || it->second + seconds(5) <= t;
    if (fresh) model[tag] = t;
    ASSERT_EQ(f.Admit(tag, t), fresh) << i;
  }
}

}  // namespace
}  // namespace dlog::obfs
