// PortHopSchedule: both ends agree, ports stay in range and avoid 51820, hops happen
// at the interval, and the grace windows open and close the neighbouring ports.
#include "obfs/port_hop.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <set>

#include "obfs/constants.h"
#include "obfs/keys.h"

namespace dlog::obfs {
namespace {

using std::chrono::seconds;

Secret<32> HopKey(uint8_t fill) {
  ClusterSecret s;
  std::memset(s.data(), fill, s.size());
  return DeriveKeys(s).hop;
}

WallTime At(int64_t sec, int64_t ms = 0) { return WallTime{sec * 1'000'000'000 + ms * 1'000'000}; }

TEST(PortHopTest, BothEndsDeriveTheSameScheduleOthersDoNot) {
  PortHopSchedule a(HopKey(1), 10000, 60000, seconds(300));
  PortHopSchedule b(HopKey(1), 10000, 60000, seconds(300));
  PortHopSchedule stranger(HopKey(2), 10000, 60000, seconds(300));
  int same_as_stranger = 0;
  for (int64_t e = 5'000'000; e < 5'000'200; ++e) {
    EXPECT_EQ(a.PortOf(e), b.PortOf(e));
    same_as_stranger += a.PortOf(e) == stranger.PortOf(e);
  }
  EXPECT_LE(same_as_stranger, 2);
}

TEST(PortHopTest, PortsStayInRangeAvoid51820AndDifferFromTheLastEpoch) {
  PortHopSchedule s(HopKey(3), 51810, 51830, seconds(3));
  std::set<uint16_t> used;
  for (int64_t e = 0; e < 5000; ++e) {
    const uint16_t p = s.PortOf(e);
    EXPECT_GE(p, 51810);
    EXPECT_LE(p, 51830);
    EXPECT_NE(p, kWireGuardPort);
    EXPECT_NE(p, s.PortOf(e - 1)) << e;
    used.insert(p);
  }
  EXPECT_EQ(used.size(), 20u) << "every port but 51820 is used";
}

TEST(PortHopTest, TinyRanges) {
  PortHopSchedule one(HopKey(4), 40000, 40000, seconds(3));
  for (int64_t e = 0; e < 10; ++e) EXPECT_EQ(one.PortOf(e), 40000);
  PortHopSchedule two(HopKey(4), 51820, 51821, seconds(3));
  for (int64_t e = 0; e < 10; ++e) EXPECT_EQ(two.PortOf(e), 51821);
}

TEST(PortHopTest, RoughlyUniformOverTheRange) {
  PortHopSchedule s(HopKey(5), 10000, 10099, seconds(60));
  std::map<uint16_t, int> hits;
  for (int64_t e = 0; e < 20000; ++e) ++hits[s.PortOf(e)];
  ASSERT_EQ(hits.size(), 100u);
  for (auto [port, n] : hits) {
    EXPECT_GT(n, 120) << port;
    EXPECT_LT(n, 290) << port;
  }
}

TEST(PortHopTest, EpochsAndPlansAtTheInterval) {
  PortHopSchedule s(HopKey(6), 10000, 60000, seconds(3));
  EXPECT_EQ(s.grace(), std::chrono::milliseconds(750));
  EXPECT_EQ(s.EpochAt(At(1'700'000'001)), 566'666'667);
  EXPECT_EQ(s.EpochAt(At(-1)), -1);

  const int64_t start = 1'700'000'001;  // an epoch boundary (3 | 1'700'000'001)
  const int64_t e = s.EpochAt(At(start));
  // Just after the hop: the new port and, for the grace, the old one.
  PortPlan p = s.PlanAt(At(start, 100));
  EXPECT_EQ(p.current, s.PortOf(e));
  ASSERT_EQ(p.listen_count, 2u);
  EXPECT_EQ(p.listen[0], s.PortOf(e));
  EXPECT_EQ(p.listen[1], s.PortOf(e - 1));
  EXPECT_EQ(p.next_change.unix_nanos, At(start, 750).unix_nanos);
  // Mid-epoch: only the current port, until grace before the next hop.
  p = s.PlanAt(At(start + 1));
  ASSERT_EQ(p.listen_count, 1u);
  EXPECT_EQ(p.next_change.unix_nanos, At(start + 2, 250).unix_nanos);
  // Just before the hop: the next port opens.
  p = s.PlanAt(At(start + 2, 500));
  ASSERT_EQ(p.listen_count, 2u);
  EXPECT_EQ(p.listen[1], s.PortOf(e + 1));
  EXPECT_TRUE(p.Listens(s.PortOf(e + 1)));
  EXPECT_EQ(p.next_change.unix_nanos, At(start + 3).unix_nanos);
  // And at the hop, the plan moves on.
  p = s.PlanAt(At(start + 3));
  EXPECT_EQ(p.current, s.PortOf(e + 1));
  EXPECT_TRUE(p.Listens(s.PortOf(e)));
}

TEST(PortHopTest, ASenderAheadOrBehindByLessThanGraceIsHeard) {
  PortHopSchedule s(HopKey(7), 10000, 60000, seconds(3));
  for (int64_t ms = 0; ms < 30000; ms += 37) {
    const WallTime receiver = At(1'700'000'000, ms);
    for (int64_t skew_ms : {-700, -300, 0, 300, 700}) {
      const WallTime sender{receiver.unix_nanos + skew_ms * 1'000'000};
      const uint16_t sent_to = s.PlanAt(sender).current;
      EXPECT_TRUE(s.PlanAt(receiver).Listens(sent_to)) << ms << " skew " << skew_ms;
      EXPECT_TRUE(s.IsHopPort(sent_to, receiver));
    }
  }
}

TEST(PortHopTest, GraceIsCappedAtThirtySeconds) {
  PortHopSchedule s(HopKey(8), 10000, 60000, std::chrono::minutes(5));
  EXPECT_EQ(s.grace(), seconds(30));
}

}  // namespace
}  // namespace dlog::obfs
