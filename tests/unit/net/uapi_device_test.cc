#include "net/uapi_device.h"

#include <gtest/gtest.h>

#include "base/rng.h"
#include "net/uapi_session.h"

namespace dlog::net {
namespace {

const std::string kSk = "a0" + std::string(60, '1') + "41";  // any 32 bytes will do
const std::string kPeer = "22" + std::string(62, '3');
const std::string kPsk = std::string(64, '7');

struct Harness {
  SeededRng rng{7};
  FakeClock clock;
  wg::Device device{rng};
  UdpBind bind{UdpOptions{}};
  int flushed = 0;
  int changed = 0;
  DeviceUapiHandler handler{device, bind, clock,
                            [this](wg::Output& o) { flushed += int(o.datagram_count()); },
                            [this] { ++changed; }};
  uapi::UapiSession session{handler};
  Harness() { EXPECT_TRUE(bind.Open().ok()); }
};

TEST(UapiDevice, SetThenGetRoundTripsThroughTheDevice) {
  Harness h;
  std::string set = "set=1\nprivate_key=" + kSk + "\nfwmark=7\npublic_key=" + kPeer +
                    "\npreshared_key=" + kPsk +
                    "\nendpoint=127.0.0.1:9\nallowed_ip=10.0.0.0/24\nallowed_ip=fd00::/64\n\n";
  EXPECT_EQ(h.session.Feed(set), "errno=0\n\n");
  EXPECT_EQ(h.changed, 1);
  std::string get = h.session.Feed("get=1\n\n");
  EXPECT_NE(get.find("listen_port=" + std::to_string(h.bind.port()) + "\n"), std::string::npos)
      << get;
  EXPECT_NE(get.find("fwmark=7\n"), std::string::npos);
  EXPECT_NE(get.find("public_key=" + kPeer + "\npreshared_key=" + kPsk + "\n"), std::string::npos)
      << get;
  EXPECT_NE(get.find("endpoint=127.0.0.1:9\n"), std::string::npos);
  EXPECT_NE(get.find("allowed_ip=10.0.0.0/24\n"), std::string::npos);
  EXPECT_NE(get.find("allowed_ip=fd00::/64\n"), std::string::npos);
  EXPECT_EQ(get.substr(get.size() - 9), "errno=0\n\n");
  // The private key is reported first, as 64 hex digits.
  auto pos = get.find("private_key=");
  ASSERT_EQ(pos, 0u);
  EXPECT_EQ(get.find('\n'), 12u + 64u);
}

TEST(UapiDevice, PortInUseAnswersEaddrinuseAfterThePrivateKeyAndBeforePeers) {
  Harness h;
  auto other = UdpSocket::Open(UdpOptions{});
  ASSERT_TRUE(other.ok());
  uint16_t before = h.bind.port();
  std::string set = "set=1\nprivate_key=" + kSk +
                    "\nlisten_port=" + std::to_string((*other)->port()) + "\npublic_key=" + kPeer +
                    "\nallowed_ip=10.0.0.0/24\n\n";
  EXPECT_EQ(h.session.Feed(set), "errno=-98\n\n");
  wg::DeviceSnapshot snap = h.device.Snapshot();
  EXPECT_TRUE(snap.private_key.has_value());  // applied: it came first
  EXPECT_TRUE(snap.peers.empty());            // not applied: after the failing line
  EXPECT_EQ(h.bind.port(), before);           // the old socket still serves
}

TEST(UapiDevice, ListenPortChangeRebindsAndRemovalAndReplaceWork) {
  Harness h;
  auto probe = UdpSocket::Open(UdpOptions{});
  ASSERT_TRUE(probe.ok());
  uint16_t port = (*probe)->port();
  probe->reset();
  EXPECT_EQ(h.session.Feed("set=1\nlisten_port=" + std::to_string(port) + "\npublic_key=" + kPeer +
                           "\nallowed_ip=10.1.0.0/16\nallowed_ip=10.2.0.0/16\n\n"),
            "errno=0\n\n");
  EXPECT_EQ(h.bind.port(), port);
  EXPECT_EQ(h.session.Feed("set=1\npublic_key=" + kPeer + "\nallowed_ip=-10.1.0.0/16\n\n"),
            "errno=0\n\n");
  wg::DeviceSnapshot snap = h.device.Snapshot();
  ASSERT_EQ(snap.peers.size(), 1u);
  ASSERT_EQ(snap.peers[0].allowed_ips.size(), 1u);
  EXPECT_EQ(uapi::FormatPrefix(snap.peers[0].allowed_ips[0]), "10.2.0.0/16");
  EXPECT_EQ(h.session.Feed("set=1\npublic_key=" + kPeer + "\nremove=true\n\n"), "errno=0\n\n");
  EXPECT_TRUE(h.device.Snapshot().peers.empty());
}

TEST(UapiDevice, ConversionKeepsEveryField) {
  uapi::SetParse parsed =
      uapi::ParseSet("private_key=" + kSk + "\nlisten_port=5\nfwmark=6\nreplace_peers=true\n" +
                     "public_key=" + kPeer + "\nupdate_only=true\npreshared_key=" + kPsk +
                     "\nendpoint=[::1]:7\npersistent_keepalive_interval=8\n" +
                     "replace_allowed_ips=true\nallowed_ip=-1.2.3.0/24\n");
  ASSERT_FALSE(parsed.error);
  wg::ConfigUpdate u = ToConfigUpdate(parsed.request);
  ASSERT_TRUE(u.private_key);
  EXPECT_EQ(u.private_key->data()[0], 0xa0);
  EXPECT_EQ(u.listen_port, 5);
  EXPECT_EQ(u.fwmark, 6u);
  EXPECT_TRUE(u.replace_peers);
  ASSERT_EQ(u.peers.size(), 1u);
  const wg::PeerUpdate& p = u.peers[0];
  EXPECT_EQ(p.public_key[0], 0x22);
  EXPECT_TRUE(p.update_only);
  EXPECT_FALSE(p.remove);
  ASSERT_TRUE(p.preshared_key);
  EXPECT_EQ(p.preshared_key->data()[5], 0x77);
  EXPECT_EQ(p.endpoint->ToString(), "[::1]:7");
  EXPECT_EQ(p.persistent_keepalive_interval, 8);
  EXPECT_TRUE(p.replace_allowed_ips);
  ASSERT_EQ(p.allowed_ips.size(), 1u);
  EXPECT_TRUE(p.allowed_ips[0].remove);
  EXPECT_EQ(p.allowed_ips[0].prefix.bits, 24);

  wg::DeviceSnapshot snap;
  snap.listen_port = 9;
  wg::PeerSnapshot& ps = snap.peers.emplace_back();
  ps.public_key[0] = 1;
  ps.last_handshake_sec = 11;
  ps.last_handshake_nsec = 12;
  ps.tx_bytes = 13;
  ps.rx_bytes = 14;
  ps.persistent_keepalive_interval = 15;
  uapi::DeviceState s = ToDeviceState(snap);
  EXPECT_FALSE(s.private_key);
  EXPECT_EQ(s.listen_port, 9);
  ASSERT_EQ(s.peers.size(), 1u);
  EXPECT_TRUE(s.peers[0].preshared_key.IsZero());
  EXPECT_EQ(s.peers[0].last_handshake_time_sec, 11);
  EXPECT_EQ(s.peers[0].last_handshake_time_nsec, 12);
  EXPECT_EQ(s.peers[0].tx_bytes, 13u);
  EXPECT_EQ(s.peers[0].rx_bytes, 14u);
  EXPECT_EQ(s.peers[0].persistent_keepalive_interval, 15);
}

}  // namespace
}  // namespace dlog::net
