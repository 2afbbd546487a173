// Pacer: constant rate with cover, bounded queue, catch-up, and stop when idle.
#include "obfs/pacer.h"

#include <gtest/gtest.h>

namespace dlog::obfs {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

struct Wire {
  uint64_t real_bytes = 0, cover_bytes = 0, real = 0, cover = 0;
  std::vector<TimePoint> times;
};

class PacerTest : public ::testing::Test {
 protected:
  TimePoint t{seconds(100)};
  Wire wire;

  void Run(Pacer& p, Duration total, Duration step, size_t cover_size = 1000) {
    const TimePoint end = t + total;
    while (t < end) {
      t += step;
      p.Release(
          t, [&] { return Bytes(cover_size); },
          [&](Bytes&& b, bool cover) {
            (cover ? wire.cover_bytes : wire.real_bytes) += b.size();
            ++(cover ? wire.cover : wire.real);
            wire.times.push_back(t);
          });
    }
  }
};

TEST_F(PacerTest, IdleLinkCarriesCoverAtTheTargetRate) {
  Pacer::Options o;
  o.rate_bps = 8'000'000;  // 1 MB/s
  Pacer p(o);
  ASSERT_TRUE(p.Push(Bytes(1000), t));
  Run(p, seconds(10), microseconds(300));
  const double rate = double(wire.real_bytes + wire.cover_bytes) * 8 / 10.0;
  EXPECT_NEAR(rate, 8e6, 8e6 * 0.01);
  EXPECT_EQ(wire.real, 1u);
  EXPECT_GT(wire.cover, 9000u);
}

TEST_F(PacerTest, BusyLinkKeepsTheSameRateAndOrder) {
  Pacer::Options o;
  o.rate_bps = 8'000'000;
  Pacer p(o);
  // Offer twice the rate for 5 s: the queue caps, the rate on the wire does not move.
  uint64_t offered = 0, admitted = 0;
  for (int ms = 0; ms < 5000; ++ms) {
    for (int k = 0; k < 2; ++k) {
      ++offered;
      admitted += p.Push(Bytes(1000), t);
    }
    Run(p, milliseconds(1), milliseconds(1));
    EXPECT_LE(p.queued_bytes(), o.max_queue_bytes);
  }
  EXPECT_NEAR(double(wire.real_bytes + wire.cover_bytes) * 8 / 5.0, 8e6, 8e6 * 0.01);
  EXPECT_EQ(wire.cover, 0u) << "no cover while real datagrams wait";
  EXPECT_LT(admitted, offered);
  EXPECT_EQ(p.counters().dropped, offered - admitted);
}

TEST_F(PacerTest, SpacingFollowsSizes) {
  Pacer::Options o;
  o.rate_bps = 1'000'000;  // 125 kB/s: 1000 B every 8 ms
  Pacer p(o);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(p.Push(Bytes(1000), t));
  Run(p, milliseconds(40), microseconds(100));
  ASSERT_GE(wire.times.size(), 5u);
  for (size_t i = 1; i < 5; ++i) {
    const auto gap = wire.times[i] - wire.times[i - 1];
    EXPECT_GE(gap, milliseconds(8) - microseconds(100));
    EXPECT_LE(gap, milliseconds(8) + microseconds(100));
  }
}

TEST_F(PacerTest, LateWakeUpsCatchUpBoundedly) {
  Pacer::Options o;
  o.rate_bps = 8'000'000;
  o.max_lag = milliseconds(5);
  Pacer p(o);
  ASSERT_TRUE(p.Push(Bytes(1000), t));
  // One wake-up after a 100 ms stall: at most 5 ms worth (5 kB) leaves at once.
  Run(p, milliseconds(100), milliseconds(100));
  EXPECT_LE(wire.real_bytes + wire.cover_bytes, 6000u);
  // Regular wake-ups afterwards are back on schedule.
  wire = {};
  Run(p, seconds(1), milliseconds(1));
  EXPECT_NEAR(double(wire.real_bytes + wire.cover_bytes) * 8, 8e6, 8e6 * 0.01);
}

TEST_F(PacerTest, StopsAfterIdleAndRestartsOnTheNextDatagram) {
  Pacer::Options o;
  o.rate_bps = 800'000;
  o.idle = seconds(2);
  Pacer p(o);
  EXPECT_EQ(p.NextDeadline(), TimePoint::max());
  ASSERT_TRUE(p.Push(Bytes(500), t));
  EXPECT_EQ(p.NextDeadline(), t);
  Run(p, seconds(5), milliseconds(1));
  EXPECT_EQ(p.NextDeadline(), TimePoint::max()) << "stopped";
  EXPECT_FALSE(p.active(t));
  const uint64_t sent = wire.real + wire.cover;
  // About 2 s of cover at 100 kB/s of 1000-byte datagrams.
  EXPECT_NEAR(double(sent), 200.0, 5.0);
  Run(p, seconds(5), milliseconds(1));
  EXPECT_EQ(wire.real + wire.cover, sent) << "silent while stopped";
  ASSERT_TRUE(p.Push(Bytes(500), t));
  EXPECT_TRUE(p.active(t));
  EXPECT_EQ(p.NextDeadline(), t);
}

}  // namespace
}  // namespace dlog::obfs
