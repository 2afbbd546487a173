// wg::Device::SetUp: a down interface sends nothing and stops its peers; bringing it up
// starts them and sends the persistent keepalives (wireguard-go device.go upLocked).
#include <chrono>

#include "wg/constants.h"
#include "wire_harness.h"

namespace dlog::wg {
namespace {

using std::chrono::seconds;
using wgtest::Node;

class DeviceUpDownTest : public wgtest::WirePair {
 protected:
  void SetLink(Node& n, bool up) {
    n.dev.SetUp(up, now(), wall(), n.out);
    Collect(n);
  }
};

TEST_F(DeviceUpDownTest, NewDeviceIsUp) { EXPECT_TRUE(a.dev.IsUp()); }

TEST_F(DeviceUpDownTest, DownSuppressesTheImmediateKeepalive) {
  SetLink(a, false);
  Configure(a, b, /*with_endpoint=*/true, std::nullopt, /*keepalive=*/25);
  EXPECT_TRUE(a.sent.empty());
  EXPECT_EQ(PeerOf(a).tx_bytes, 0u);
  EXPECT_EQ(a.dev.NextDeadline(), TimePoint::max());
  Run(seconds(120), seconds(1), /*deliver=*/false);
  EXPECT_TRUE(a.sent.empty()) << "timers do not run while down";
}

TEST_F(DeviceUpDownTest, UpSendsInitiationForPersistentKeepalivePeers) {
  SetLink(a, false);
  Configure(a, b, /*with_endpoint=*/true, std::nullopt, /*keepalive=*/25);
  Configure(b, a, /*with_endpoint=*/false);
  SetLink(a, true);
  ASSERT_EQ(a.sent.size(), 1u);
  EXPECT_EQ(a.sent[0].type(), kMessageInitiation);
  Pump();
  EXPECT_TRUE(PeerOf(b).has_current_keypair);
  EXPECT_EQ(CountKeepalives(a.sent), 1u) << "the staged keepalive follows the handshake";
}

TEST_F(DeviceUpDownTest, UpSendsNothingWithoutPersistentKeepalive) {
  SetLink(a, false);
  Configure(a, b, /*with_endpoint=*/true);
  SetLink(a, true);
  EXPECT_TRUE(a.sent.empty());
}

TEST_F(DeviceUpDownTest, DownDropsTrafficAndErasesSessions) {
  ConfigureBoth();
  Establish();
  ASSERT_TRUE(PeerOf(a).has_current_keypair);
  SetLink(a, false);
  EXPECT_FALSE(PeerOf(a).has_current_keypair);
  EXPECT_EQ(a.dev.NextDeadline(), TimePoint::max());
  size_t sent = a.sent.size();
  SendFrom(a, PacketFrom(a, b));
  EXPECT_EQ(a.sent.size(), sent);
  EXPECT_EQ(PeerOf(a).staged_packets, 0u);
  SendFrom(b, PacketFrom(b, a));
  Pump();
  EXPECT_TRUE(a.delivered.empty());
  EXPECT_EQ(a.sent.size(), sent) << "no answer to b while down";
  EXPECT_GE(a.dev.Counters().interface_down, 2u);
}

TEST_F(DeviceUpDownTest, TrafficFlowsAgainAfterUp) {
  ConfigureBoth();
  Establish();
  SetLink(a, false);
  clock.Advance(seconds(1));  // b rejects a replayed TAI64N or an initiation flood
  SetLink(a, true);
  SetLink(a, true);  // idempotent
  EXPECT_TRUE(a.dev.IsUp());
  SendFrom(a, PacketFrom(a, b));
  EXPECT_EQ(CountType(a.sent, kMessageInitiation), 2u) << "a fresh handshake, at once";
  Pump();
  EXPECT_EQ(b.delivered.size(), 1u);
}

}  // namespace
}  // namespace dlog::wg
