#include "wg/ratelimiter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dlog::wg {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

constexpr Duration kPacketCost = nanoseconds(1'000'000'000 / Ratelimiter::kPacketsPerSecond);

Endpoint Ep(const std::string& s) {
  auto ep = Endpoint::Parse(s);
  EXPECT_TRUE(ep.has_value()) << s;
  return ep.value_or(Endpoint{});
}

Endpoint V4(uint32_t n) {
  Endpoint ep;
  ep.addr = {uint8_t(n >> 24), uint8_t(n >> 16), uint8_t(n >> 8), uint8_t(n)};
  ep.port = 51820;
  return ep;
}

// How many of `n` packets at the same instant pass.
int Burst(Ratelimiter& rl, const Endpoint& ep, TimePoint now, int n = 10) {
  int passed = 0;
  for (int i = 0; i < n; ++i) passed += rl.Allow(ep, now);
  return passed;
}

class RatelimiterTest : public ::testing::Test {
 protected:
  Ratelimiter rl_;
  TimePoint t0_{seconds(100)};
};

TEST_F(RatelimiterTest, BurstOfFiveThenSixthDenied) {
  Endpoint a = Ep("192.0.2.1:1000");
  for (uint32_t i = 0; i < Ratelimiter::kPacketsBurstable; ++i) EXPECT_TRUE(rl_.Allow(a, t0_)) << i;
  EXPECT_FALSE(rl_.Allow(a, t0_));
  EXPECT_FALSE(rl_.Allow(a, t0_ + milliseconds(1)));
}

TEST_F(RatelimiterTest, OnePacketRefillsAfter50Ms) {
  Endpoint a = Ep("192.0.2.1:1000");
  EXPECT_EQ(Burst(rl_, a, t0_), 5);
  EXPECT_FALSE(rl_.Allow(a, t0_ + kPacketCost - nanoseconds(1)));
  EXPECT_TRUE(rl_.Allow(a, t0_ + kPacketCost));
  EXPECT_FALSE(rl_.Allow(a, t0_ + kPacketCost));
  EXPECT_EQ(Burst(rl_, a, t0_ + 3 * kPacketCost), 2);
}

TEST_F(RatelimiterTest, CreditCapsAtBurst) {
  Endpoint a = Ep("192.0.2.1:1000");
  EXPECT_EQ(Burst(rl_, a, t0_), 5);
  EXPECT_EQ(Burst(rl_, a, t0_ + milliseconds(900)), 5);  // idle < 1 s, still tracked
}

TEST_F(RatelimiterTest, SustainedRateIsTwentyPerSecond) {
  Endpoint a = Ep("192.0.2.1:1000");
  int passed = 0;
  for (int ms = 0; ms < 10'000; ++ms) passed += rl_.Allow(a, t0_ + milliseconds(ms));
  // The initial burst of 5 plus 20/s over the 9.999 s that follow.
  EXPECT_EQ(passed, 5 + 199);
}

TEST_F(RatelimiterTest, SourcesAreIndependent) {
  Endpoint a = Ep("192.0.2.1:1000"), b = Ep("192.0.2.2:1000");
  EXPECT_EQ(Burst(rl_, a, t0_), 5);
  EXPECT_EQ(Burst(rl_, b, t0_), 5);
  EXPECT_EQ(rl_.size(), 2u);
}

TEST_F(RatelimiterTest, PortIsIgnored) {
  EXPECT_EQ(Burst(rl_, Ep("192.0.2.1:1000"), t0_, 3), 3);
  EXPECT_EQ(Burst(rl_, Ep("192.0.2.1:2000"), t0_, 3), 2);
}

TEST_F(RatelimiterTest, Ipv6GroupedBySlash64) {
  EXPECT_EQ(Burst(rl_, Ep("[2001:db8:a:b::1]:1"), t0_, 3), 3);
  EXPECT_EQ(Burst(rl_, Ep("[2001:db8:a:b:ffff:ffff:ffff:ffff]:2"), t0_, 3), 2);
  EXPECT_EQ(Burst(rl_, Ep("[2001:db8:a:c::1]:1"), t0_), 5);  // the next /64
  EXPECT_EQ(Burst(rl_, Ep("[2001:db8:a:a::1]:1"), t0_), 5);
  EXPECT_EQ(rl_.size(), 3u);
}

TEST_F(RatelimiterTest, V4MappedCountsAsV4) {
  EXPECT_EQ(Burst(rl_, Ep("[::ffff:192.0.2.1]:1"), t0_, 3), 3);
  EXPECT_EQ(Burst(rl_, Ep("192.0.2.1:1"), t0_), 2);
  // Distinct IPv4 sources on a dual-stack socket do not share ::/64's bucket.
  EXPECT_EQ(Burst(rl_, Ep("[::ffff:192.0.2.2]:1"), t0_), 5);
  EXPECT_EQ(Burst(rl_, Ep("[::1]:1"), t0_), 5);
}

TEST_F(RatelimiterTest, GcDropsEntriesIdleOverOneSecond) {
  Endpoint a = Ep("192.0.2.1:1"), b = Ep("192.0.2.2:1");
  EXPECT_EQ(Burst(rl_, a, t0_), 5);
  EXPECT_EQ(Burst(rl_, b, t0_ + milliseconds(500)), 5);
  rl_.Gc(t0_ + seconds(1));
  EXPECT_EQ(rl_.size(), 2u);
  rl_.Gc(t0_ + seconds(1) + nanoseconds(1));
  EXPECT_EQ(rl_.size(), 1u);
  rl_.Gc(t0_ + seconds(2));
  EXPECT_EQ(rl_.size(), 0u);
}

TEST_F(RatelimiterTest, TableIsBounded) {
  for (uint32_t i = 0; i < Ratelimiter::kMaxEntries; ++i) ASSERT_TRUE(rl_.Allow(V4(i), t0_));
  EXPECT_EQ(rl_.size(), Ratelimiter::kMaxEntries);
  EXPECT_FALSE(rl_.Allow(V4(0xffffffff), t0_));  // a new source is denied when full
  EXPECT_EQ(rl_.size(), Ratelimiter::kMaxEntries);
  EXPECT_TRUE(rl_.Allow(V4(7), t0_));  // known sources keep their buckets
  rl_.Gc(t0_ + seconds(2));
  EXPECT_EQ(rl_.size(), 0u);
  EXPECT_TRUE(rl_.Allow(V4(0xffffffff), t0_ + seconds(2)));
}

TEST_F(RatelimiterTest, StaleNowEarnsNothing) {
  Endpoint a = Ep("192.0.2.1:1");
  EXPECT_EQ(Burst(rl_, a, t0_), 5);
  EXPECT_FALSE(rl_.Allow(a, t0_ - seconds(10)));
  EXPECT_TRUE(rl_.Allow(a, t0_ + kPacketCost));
}

// wireguard-go's ratelimiter_test.go sequence: every step advances the clock by its
// wait plus 1 ns and runs Gc, over a mix of IPv4 and IPv6 sources.
TEST_F(RatelimiterTest, WireguardGoSequence) {
  struct Step {
    bool allowed;
    Duration wait;
  };
  std::vector<Step> steps(Ratelimiter::kPacketsBurstable, Step{true, {}});
  steps.push_back({false, {}});
  steps.push_back({true, kPacketCost});
  steps.push_back({false, {}});
  steps.push_back({true, 2 * kPacketCost});
  steps.push_back({true, {}});
  steps.push_back({false, {}});
  std::vector<Endpoint> ips;
  for (const char* s : {"127.0.0.1:1", "192.168.1.1:1", "172.167.2.3:1", "97.231.252.215:1",
                        "248.97.91.167:1", "188.208.233.47:1", "104.2.183.179:1", "72.129.46.120:1",
                        "[2001:0db8:0a0b:12f0::1]:1", "[f5c2:818f:c052:655a:9860:b136:6894:25f0]:1",
                        "[b2d7:15ab:48a7:b07c:a541:f144:a9fe:54fc]:1",
                        "[a47b:786e:1671:a22b:d6f9:4ab0:abc7:c918]:1",
                        "[ea1e:d155:7f7a:98fb:2bf5:9483:80f6:5445]:1",
                        "[3f0e:54a2:f5b4:cd19:a21d:58e1:3746:84c4]:1"})
    ips.push_back(Ep(s));
  TimePoint now = t0_;
  for (size_t i = 0; i < steps.size(); ++i) {
    now += steps[i].wait + nanoseconds(1);
    rl_.Gc(now);
    for (const Endpoint& ip : ips)
      EXPECT_EQ(rl_.Allow(ip, now), steps[i].allowed) << "step " << i << " " << ip.ToString();
  }
}

}  // namespace
}  // namespace dlog::wg
