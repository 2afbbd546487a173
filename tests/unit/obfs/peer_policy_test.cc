// PeerPolicy: configured stock peers, stock roaming, fixed-port learning and bounds.
#include "obfs/peer_policy.h"

#include <gtest/gtest.h>

namespace dlog::obfs {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

wg::Endpoint Ep(const char* s) { return *wg::Endpoint::Parse(s); }

TEST(PeerPolicyTest, DefaultIsDisguisedAndStockFormIsRefused) {
  PeerPolicy p({}, false);
  TimePoint t{seconds(1)};
  EXPECT_EQ(p.ModeOf(Ep("192.0.2.1:51820"), t), PeerMode::kDisguised);
  EXPECT_FALSE(p.AcceptsStockFrom(Ep("192.0.2.1:51820")));
  p.HeardStock(Ep("192.0.2.1:51820"), t);
  EXPECT_EQ(p.ModeOf(Ep("192.0.2.1:51820"), t), PeerMode::kDisguised);
}

TEST(PeerPolicyTest, ConfiguredStockPeersByPrefixAndPort) {
  PeerPolicy p({*ParseStockPeer("198.51.100.0/24"), *ParseStockPeer("[2001:db8::7]:51820")}, false);
  TimePoint t{seconds(1)};
  EXPECT_EQ(p.ModeOf(Ep("198.51.100.9:1234"), t), PeerMode::kStock);
  EXPECT_TRUE(p.AcceptsStockFrom(Ep("198.51.100.200:9")));
  EXPECT_EQ(p.ModeOf(Ep("198.51.101.9:1234"), t), PeerMode::kDisguised);
  EXPECT_EQ(p.ModeOf(Ep("[2001:db8::7]:51820"), t), PeerMode::kStock);
  EXPECT_EQ(p.ModeOf(Ep("[2001:db8::7]:51821"), t), PeerMode::kDisguised);
  EXPECT_FALSE(p.AcceptsStockFrom(Ep("[2001:db8::8]:51820")));
}

TEST(PeerPolicyTest, StockRoamingLearnsAndADisguisedDatagramUnlearns) {
  PeerPolicy p({}, true);
  TimePoint t{seconds(1)};
  const wg::Endpoint admin = Ep("203.0.113.5:40000");
  EXPECT_TRUE(p.AcceptsStockFrom(admin));
  p.HeardStock(admin, t);
  EXPECT_EQ(p.ModeOf(admin, t), PeerMode::kStock);
  EXPECT_EQ(p.ModeOf(admin, t + kLearnedEndpointTtl), PeerMode::kDisguised) << "expired";
  p.HeardStock(admin, t);
  p.HeardDisguised(admin, true, t);
  EXPECT_EQ(p.ModeOf(admin, t), PeerMode::kDisguised);
}

TEST(PeerPolicyTest, ANonHopSourcePortIsRememberedAsFixed) {
  PeerPolicy p({}, false);
  TimePoint t{seconds(1)};
  const wg::Endpoint natted = Ep("203.0.113.5:61234");
  p.HeardDisguised(natted, /*from_hop_port=*/false, t);
  EXPECT_EQ(p.ModeOf(natted, t), PeerMode::kFixedPort);
  p.HeardDisguised(Ep("203.0.113.6:20000"), /*from_hop_port=*/true, t);
  EXPECT_EQ(p.learned(), 1u);
}

TEST(PeerPolicyTest, TheTableIsBounded) {
  PeerPolicy p({}, false);
  TimePoint t{seconds(1)};
  for (uint32_t i = 0; i < kMaxLearnedEndpoints + 100; ++i) {
    wg::Endpoint e = Ep("10.0.0.1:1");
    StoreBE32(e.addr.data(), 0x0a000000 + i);
    p.HeardDisguised(e, false, t + seconds(i));
  }
  EXPECT_EQ(p.learned(), kMaxLearnedEndpoints);
  wg::Endpoint first = Ep("10.0.0.0:1");
  EXPECT_EQ(p.ModeOf(first, t + seconds(kMaxLearnedEndpoints)), PeerMode::kDisguised)
      << "the oldest was forgotten";
}

}  // namespace
}  // namespace dlog::obfs
