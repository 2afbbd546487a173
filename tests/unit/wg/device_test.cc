// wg::Device end to end: handshakes, data, silence on bad input, cookies under load,
// rate limiting, keypair confirmation, roaming and cryptokey routing.
#include "wg/device.h"

#include <cstring>

#include "crypto/blake2s.h"
#include "wg/cookie.h"
#include "wire_harness.h"

namespace dlog::wg {
namespace {

using wgtest::Datagram;
using wgtest::Ipv4Packet;
using wgtest::Ipv6Packet;
using wgtest::Node;
using wgtest::Prefix;

class DeviceTest : public wgtest::WirePair {};

PresharedKey MakePsk(uint8_t fill) {
  PresharedKey psk;
  std::memset(psk.data(), fill, psk.size());
  return psk;
}

TEST_F(DeviceTest, HandshakeThenDataBothWays) {
  ConfigureBoth();
  Bytes ping = PacketFrom(a, b, 100, 0x11);
  SendFrom(a, ping);
  ASSERT_EQ(wire.size(), 1u);
  EXPECT_EQ(wire[0].type(), kMessageInitiation);
  EXPECT_EQ(wire[0].bytes.size(), sizeof(MessageInitiation));
  EXPECT_EQ(PeerOf(a).staged_packets, 1u);
  Pump();
  ASSERT_EQ(b.delivered.size(), 1u);
  EXPECT_EQ(b.delivered[0], ping);

  Bytes pong = PacketFrom(b, a, 1000, 0x22);
  SendFrom(b, pong);
  ASSERT_EQ(wire.size(), 1u);
  EXPECT_EQ(wire[0].type(), kMessageTransport);
  EXPECT_EQ(wire[0].to, a.ep) << "b learned a's endpoint from the handshake";
  Pump();
  ASSERT_EQ(a.delivered.size(), 1u);
  EXPECT_EQ(a.delivered[0], pong);

  DeviceCounters ca = a.dev.Counters(), cb = b.dev.Counters();
  EXPECT_EQ(ca.initiations_sent, 1u);
  EXPECT_EQ(cb.responses_sent, 1u);
  EXPECT_EQ(ca.handshakes_completed, 1u);
  EXPECT_EQ(cb.handshakes_completed, 1u);
  PeerSnapshot pa = PeerOf(a);
  EXPECT_TRUE(pa.has_current_keypair);
  EXPECT_GT(pa.last_handshake_sec, 0);
  EXPECT_GT(pa.tx_bytes, 0u);
  EXPECT_GT(pa.rx_bytes, 0u);
}

TEST_F(DeviceTest, Ipv6InnerPackets) {
  ConfigureBoth();
  PeerUpdate extra;
  extra.public_key = b.pub;
  extra.update_only = true;
  extra.allowed_ips.push_back({Prefix("fd00::2/128")});
  ConfigUpdate u;
  u.peers.push_back(extra);
  ASSERT_TRUE(a.dev.ApplyConfig(u, now(), wall(), a.out).ok());
  extra.public_key = a.pub;
  extra.allowed_ips = {{Prefix("fd00::1/128")}};
  u.peers = {extra};
  ASSERT_TRUE(b.dev.ApplyConfig(u, now(), wall(), b.out).ok());

  Bytes p = Ipv6Packet("fd00::1", "fd00::2", 33);
  SendFrom(a, p);
  Pump();
  ASSERT_EQ(b.delivered.size(), 1u);
  EXPECT_EQ(b.delivered[0], p);
}

TEST_F(DeviceTest, PaddingToSixteenAndTrimOnReceive) {
  ConfigureBoth();
  Establish();
  for (size_t payload : {0, 1, 15, 16, 17, 1380}) {
    Bytes p = PacketFrom(a, b, payload);
    SendFrom(a, p);
    ASSERT_EQ(wire.size(), 1u);
    size_t padded = (p.size() + 15) / 16 * 16;
    if (padded > 1420) padded = 1420;
    EXPECT_EQ(wire[0].bytes.size(), 16 + padded + 16) << payload;
    Pump();
    ASSERT_EQ(b.delivered.size(), 1u);
    EXPECT_EQ(b.delivered[0], p);
    b.delivered.clear();
  }
}

TEST_F(DeviceTest, PresharedKeyHandshake) {
  ConfigureBoth(MakePsk(0x5a));
  Establish();
  EXPECT_TRUE(PeerOf(a).preshared_key.has_value());
}

TEST_F(DeviceTest, MismatchedPresharedKeysNeverConnect) {
  Configure(a, b, true, MakePsk(1));
  Configure(b, a, false, MakePsk(2));
  SendFrom(a, PacketFrom(a, b));
  Pump();
  EXPECT_TRUE(b.delivered.empty());
  EXPECT_EQ(a.dev.Counters().handshake_failed, 1u);
  EXPECT_FALSE(PeerOf(a).has_current_keypair);
}

TEST_F(DeviceTest, TamperedTransportIsDroppedSilently) {
  ConfigureBoth();
  Establish();
  SendFrom(a, PacketFrom(a, b));
  std::vector<Datagram> w = TakeWire();
  ASSERT_EQ(w.size(), 1u);
  for (size_t pos : {size_t(20), w[0].bytes.size() - 1}) {
    Datagram d = w[0];
    d.bytes[pos] ^= 0x01;
    Deliver(d);
  }
  EXPECT_TRUE(b.delivered.empty());
  EXPECT_TRUE(wire.empty()) << "nothing is ever sent in answer to a forgery";
  EXPECT_EQ(b.dev.Counters().decrypt_failed, 2u);
  Deliver(w[0]);  // the genuine packet still passes
  EXPECT_EQ(b.delivered.size(), 1u);
}

TEST_F(DeviceTest, ReplayedTransportIsDropped) {
  ConfigureBoth();
  Establish();
  SendFrom(a, PacketFrom(a, b));
  std::vector<Datagram> w = TakeWire();
  Deliver(w[0]);
  Deliver(w[0]);
  EXPECT_EQ(b.delivered.size(), 1u);
  EXPECT_EQ(b.dev.Counters().replayed, 1u);
  EXPECT_TRUE(wire.empty());
}

TEST_F(DeviceTest, TamperedInitiationFailsMac1Silently) {
  ConfigureBoth();
  SendFrom(a, PacketFrom(a, b));
  Datagram init = TakeWire().at(0);
  for (size_t pos : {size_t(8), size_t(60), size_t(100), size_t(120)}) {
    Datagram d = init;
    d.bytes[pos] ^= 0x80;
    Deliver(d);
  }
  EXPECT_TRUE(wire.empty());
  EXPECT_EQ(b.dev.Counters().bad_mac1, 4u);
  EXPECT_EQ(b.dev.Counters().responses_sent, 0u);
}

TEST_F(DeviceTest, GarbageAndWrongSizesAreCounted) {
  ConfigureBoth();
  Establish();
  Bytes junk = {1, 0, 0, 0, 9, 9};
  Deliver({a.ep, b.ep, junk});
  Deliver({a.ep, b.ep, Bytes(147, 0x01)});
  Deliver({a.ep, b.ep, Bytes{4, 0, 0, 0}});
  Deliver({a.ep, b.ep, Bytes{9, 0, 0, 0, 0, 0}});
  Deliver({a.ep, b.ep, Bytes{}});
  Bytes transport(64, 0);
  transport[0] = 4;
  Deliver({a.ep, b.ep, transport});  // receiver index 0: never allocated
  EXPECT_EQ(b.dev.Counters().bad_size, 5u);
  EXPECT_EQ(b.dev.Counters().unknown_index, 1u);
  EXPECT_TRUE(wire.empty());
}

TEST_F(DeviceTest, UnknownStaticKeyGetsNoAnswer) {
  Configure(a, b, true);
  // b knows no peers at all (but has its private key).
  ConfigUpdate u;
  u.private_key = b.priv;
  ASSERT_TRUE(b.dev.ApplyConfig(u, now(), wall(), b.out).ok());
  SendFrom(a, PacketFrom(a, b));
  Pump();
  EXPECT_EQ(b.dev.Counters().handshake_failed, 1u);
  EXPECT_EQ(CountType(b.sent, kMessageResponse), 0u);
  EXPECT_TRUE(b.sent.empty());
}

TEST_F(DeviceTest, WrongResponderKeyGetsNoAnswer) {
  // a believes b has a different public key: MAC1 is computed for the wrong key.
  Node impostor{7, "192.0.2.9:1", "10.9.0.9"};
  ConfigUpdate u;
  u.private_key = a.priv;
  PeerUpdate p;
  p.public_key = impostor.pub;
  p.endpoint = b.ep;
  p.allowed_ips.push_back({Prefix("10.9.0.2/32")});
  u.peers.push_back(p);
  ASSERT_TRUE(a.dev.ApplyConfig(u, now(), wall(), a.out).ok());
  Configure(b, a, false);
  SendFrom(a, PacketFrom(a, b));
  Pump();
  EXPECT_EQ(b.dev.Counters().bad_mac1, 1u);
  EXPECT_TRUE(b.sent.empty());
}

TEST_F(DeviceTest, ReplayedInitiationIsRejected) {
  ConfigureBoth();
  SendFrom(a, PacketFrom(a, b));
  Datagram init = TakeWire().at(0);
  Deliver(init);
  EXPECT_EQ(CountType(TakeWire(), kMessageResponse), 1u);
  clock.Advance(std::chrono::seconds(1));  // well past the 20 ms flood limit
  Deliver(init);
  EXPECT_TRUE(wire.empty());
  EXPECT_EQ(b.dev.Counters().handshake_replay, 1u);
  EXPECT_EQ(b.dev.Counters().responses_sent, 1u);
}

TEST_F(DeviceTest, InitiationFloodFromOnePeerIsLimited) {
  ConfigureBoth();
  SendFrom(a, PacketFrom(a, b));
  Datagram first = TakeWire().at(0);
  // A second genuine initiation with a later TAI64N, from a twin of a.
  clock.Advance(std::chrono::milliseconds(30));
  SeededRng rng2(99);
  Device a2(rng2);
  Output out2;
  ConfigUpdate u;
  u.private_key = a.priv;
  PeerUpdate p;
  p.public_key = b.pub;
  p.endpoint = b.ep;
  p.allowed_ips.push_back({Prefix("10.9.0.2/32")});
  u.peers.push_back(p);
  ASSERT_TRUE(a2.ApplyConfig(u, now(), wall(), out2).ok());
  a2.HandleTunPacket(PacketFrom(a, b), now(), wall(), out2);
  ASSERT_EQ(out2.datagram_count(), 1u);
  Bytes second(out2.datagram(0).begin(), out2.datagram(0).end());

  Deliver(first);
  EXPECT_EQ(b.dev.Counters().responses_sent, 1u);
  clock.Advance(std::chrono::milliseconds(10));  // < 20 ms after the last one consumed
  Deliver({a.ep, b.ep, second});
  EXPECT_EQ(b.dev.Counters().handshake_replay, 1u);
  EXPECT_EQ(b.dev.Counters().responses_sent, 1u);
  clock.Advance(std::chrono::milliseconds(100));
  Deliver({a.ep, b.ep, second});
  EXPECT_EQ(b.dev.Counters().responses_sent, 2u);
}

TEST_F(DeviceTest, LowOrderEphemeralIsRejected) {
  ConfigureBoth();
  SendFrom(a, PacketFrom(a, b));
  Datagram init = TakeWire().at(0);
  auto msg = *ParseMessage<MessageInitiation>(init.bytes);
  // Points of small order on Curve25519: 0 and 1 (u-coordinates).
  for (uint8_t u : {0, 1}) {
    std::memset(msg.ephemeral, 0, sizeof msg.ephemeral);
    msg.ephemeral[0] = u;
    CookieGenerator macs(b.pub);  // a valid MAC1, so the DH is reached
    macs.AddMacs(msg, now());
    Bytes bytes(MessageBytes(msg).begin(), MessageBytes(msg).end());
    Deliver({a.ep, b.ep, bytes});
  }
  EXPECT_EQ(b.dev.Counters().bad_mac1, 0u);
  EXPECT_EQ(b.dev.Counters().handshake_failed, 2u);
  EXPECT_TRUE(wire.empty());
}

TEST_F(DeviceTest, LowOrderPeerStaticKeyNeverHandshakes) {
  crypto::X25519Public zero{};
  ConfigUpdate u;
  u.private_key = a.priv;
  PeerUpdate p;
  p.public_key = zero;
  p.endpoint = b.ep;
  p.allowed_ips.push_back({Prefix("10.9.0.2/32")});
  u.peers.push_back(p);
  ASSERT_TRUE(a.dev.ApplyConfig(u, now(), wall(), a.out).ok());
  SendFrom(a, PacketFrom(a, b));
  EXPECT_TRUE(wire.empty());
  EXPECT_EQ(a.dev.Counters().handshake_failed, 1u);
}

TEST_F(DeviceTest, CookieReplyUnderLoadThenMac2Accepted) {
  ConfigureBoth();
  b.dev.SetLoadMode(LoadMode::kForceUnderLoad);
  SendFrom(a, PacketFrom(a, b));
  Pump();
  EXPECT_EQ(b.dev.Counters().cookie_replies_sent, 1u);
  EXPECT_EQ(b.dev.Counters().responses_sent, 0u);
  ASSERT_EQ(CountType(b.sent, kMessageCookieReply), 1u);
  EXPECT_EQ(b.sent[0].bytes.size(), sizeof(MessageCookieReply));
  EXPECT_EQ(a.dev.Counters().bad_cookie_reply, 0u);

  // a retries after REKEY_TIMEOUT, now with MAC2 from the cookie: accepted.
  Run(std::chrono::seconds(6), std::chrono::seconds(1), /*deliver=*/true);
  EXPECT_EQ(b.dev.Counters().cookie_replies_sent, 1u);
  EXPECT_EQ(b.dev.Counters().responses_sent, 1u);
  ASSERT_EQ(b.delivered.size(), 1u);
}

TEST_F(DeviceTest, CookieReplyForOtherMac1IsIgnored) {
  ConfigureBoth();
  b.dev.SetLoadMode(LoadMode::kForceUnderLoad);
  SendFrom(a, PacketFrom(a, b));
  Deliver(TakeWire().at(0));
  Datagram reply = TakeWire().at(0);
  reply.bytes[40] ^= 1;  // corrupt the encrypted cookie
  Deliver(reply);
  EXPECT_EQ(a.dev.Counters().bad_cookie_reply, 1u);
  EXPECT_TRUE(wire.empty());
}

TEST_F(DeviceTest, LoadIsDetectedFromHandshakeRate) {
  ConfigureBoth();
  EXPECT_FALSE(b.dev.UnderLoad(now()));
  SendFrom(a, PacketFrom(a, b));
  Datagram init = TakeWire().at(0);
  for (int i = 0; i < 200; ++i) Deliver(init);  // a replay storm within one second
  EXPECT_TRUE(b.dev.UnderLoad(now()));
  EXPECT_GT(b.dev.Counters().cookie_replies_sent, 0u);
  clock.Advance(std::chrono::seconds(2));
  EXPECT_FALSE(b.dev.UnderLoad(now()));
}

TEST_F(DeviceTest, RatelimiterEngagesForOneSource) {
  ConfigureBoth();
  b.dev.SetLoadMode(LoadMode::kForceUnderLoad);
  SendFrom(a, PacketFrom(a, b));
  Pump();  // cookie reply stored at a
  Run(std::chrono::seconds(6), std::chrono::seconds(6), /*deliver=*/false);
  // a's retry carries a valid MAC2; replay it as a flood from the same source.
  ASSERT_EQ(CountType(a.sent, kMessageInitiation), 2u);
  Datagram retry = a.sent.back();
  ASSERT_EQ(retry.type(), kMessageInitiation);
  for (int i = 0; i < 50; ++i) Deliver(retry);
  DeviceCounters c = b.dev.Counters();
  EXPECT_GE(c.rate_limited, 40u);
  EXPECT_EQ(c.responses_sent, 1u);
  EXPECT_EQ(c.handshake_replay + c.responses_sent + c.rate_limited, 50u);
}

TEST_F(DeviceTest, ResponderPromotesNextKeypairOnlyOnFirstData) {
  ConfigureBoth();
  SendFrom(a, PacketFrom(a, b));
  Deliver(TakeWire().at(0));  // initiation → b
  PeerSnapshot pb = PeerOf(b);
  EXPECT_TRUE(pb.has_next_keypair);
  EXPECT_FALSE(pb.has_current_keypair);
  // b has no confirmed session: its own packet waits.
  SendFrom(b, PacketFrom(b, a));
  EXPECT_EQ(PeerOf(b).staged_packets, 1u);
  std::vector<Datagram> from_b = TakeWire();
  ASSERT_EQ(from_b.size(), 1u);
  EXPECT_EQ(from_b[0].type(), kMessageResponse) << "b does not initiate within REKEY_TIMEOUT";

  Deliver(from_b[0]);  // response → a; a sends its staged packet
  std::vector<Datagram> from_a = TakeWire();
  ASSERT_EQ(from_a.size(), 1u);
  EXPECT_EQ(from_a[0].type(), kMessageTransport);
  Deliver(from_a[0]);
  pb = PeerOf(b);
  EXPECT_TRUE(pb.has_current_keypair);
  EXPECT_FALSE(pb.has_next_keypair);
  EXPECT_EQ(pb.staged_packets, 0u);
  EXPECT_EQ(CountType(wire, kMessageTransport), 1u) << "b's staged packet went out";
  Pump();
  EXPECT_EQ(a.delivered.size(), 1u);
}

TEST_F(DeviceTest, RoamingUpdatesEndpoint) {
  ConfigureBoth();
  Establish();
  EXPECT_EQ(PeerOf(b).endpoint, a.ep);
  a.ep = wgtest::Ep("198.51.100.7:40000");  // a's NAT mapping changed
  SendFrom(a, PacketFrom(a, b));
  Pump();
  EXPECT_EQ(PeerOf(b).endpoint, a.ep);
  SendFrom(b, PacketFrom(b, a));
  ASSERT_EQ(wire.size(), 1u);
  EXPECT_EQ(wire[0].to, a.ep);
  Pump();
  EXPECT_EQ(a.delivered.size(), 1u);
}

TEST_F(DeviceTest, ForgedPacketFromNewAddressDoesNotRoam) {
  ConfigureBoth();
  Establish();
  SendFrom(a, PacketFrom(a, b));
  Datagram d = TakeWire().at(0);
  d.from = wgtest::Ep("203.0.113.66:6666");
  d.bytes[30] ^= 4;
  Deliver(d);
  EXPECT_EQ(PeerOf(b).endpoint, a.ep);
}

TEST_F(DeviceTest, SpoofedInnerSourceIsDropped) {
  ConfigureBoth();
  Establish();
  SendFrom(a, Ipv4Packet("10.9.0.77", "10.9.0.2", 64));  // a claims another address
  Pump();
  EXPECT_TRUE(b.delivered.empty());
  EXPECT_EQ(b.dev.Counters().disallowed_source, 1u);
  EXPECT_TRUE(CountType(b.sent, kMessageTransport) == 0u);
}

TEST_F(DeviceTest, NoRouteAndBadTunPacketsAreCounted) {
  ConfigureBoth();
  SendFrom(a, Ipv4Packet("10.9.0.1", "10.9.0.99", 10));
  SendFrom(a, Bytes{0x45, 0, 0});
  SendFrom(a, Bytes{0x20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19});
  EXPECT_TRUE(wire.empty());
  EXPECT_EQ(a.dev.Counters().no_route, 1u);
  EXPECT_EQ(a.dev.Counters().bad_inner_packet, 2u);
}

TEST_F(DeviceTest, InnerLengthLongerThanPayloadIsDropped) {
  ConfigureBoth();
  Establish();
  Bytes p = PacketFrom(a, b, 40);
  p[3] = uint8_t(p.size() + 20);  // header claims more than was sent
  SendFrom(a, p);
  Pump();
  EXPECT_TRUE(b.delivered.empty());
  EXPECT_EQ(b.dev.Counters().bad_inner_packet, 1u);
}

TEST_F(DeviceTest, StagedQueueIsBounded) {
  Configure(a, b, true);
  for (int i = 0; i < 200; ++i) SendFrom(a, PacketFrom(a, b, 10, uint8_t(i)));
  EXPECT_EQ(PeerOf(a).staged_packets, kMaxStagedPackets);
  EXPECT_EQ(a.dev.Counters().staged_overflow, 200 - kMaxStagedPackets);
  EXPECT_EQ(CountType(a.sent, kMessageInitiation), 1u);
  // When b appears, the newest 128 arrive in order.
  Configure(b, a, false);
  Pump();
  ASSERT_EQ(b.delivered.size(), kMaxStagedPackets);
  EXPECT_EQ(b.delivered.front()[25], uint8_t(200 - kMaxStagedPackets));
  EXPECT_EQ(b.delivered.back()[25], uint8_t(199));
}

// --- Configuration (UAPI semantics) ---

TEST_F(DeviceTest, SnapshotMirrorsConfiguration) {
  ConfigUpdate u;
  u.private_key = a.priv;
  u.listen_port = 51999;
  u.fwmark = 42;
  PeerUpdate p;
  p.public_key = b.pub;
  p.endpoint = b.ep;
  p.preshared_key = MakePsk(9);
  p.persistent_keepalive_interval = 0;
  p.allowed_ips = {{Prefix("10.9.0.0/24")}, {Prefix("fd00::/64")}};
  u.peers.push_back(p);
  ASSERT_TRUE(a.dev.ApplyConfig(u, now(), wall(), a.out).ok());
  DeviceSnapshot s = a.dev.Snapshot();
  ASSERT_TRUE(s.private_key && s.public_key);
  EXPECT_EQ(*s.public_key, a.pub);
  EXPECT_EQ(s.listen_port, 51999);
  EXPECT_EQ(s.fwmark, 42u);
  EXPECT_EQ(s.protocol_version, 1);
  ASSERT_EQ(s.peers.size(), 1u);
  EXPECT_EQ(s.peers[0].public_key, b.pub);
  EXPECT_EQ(s.peers[0].endpoint, b.ep);
  EXPECT_TRUE(s.peers[0].preshared_key == MakePsk(9));
  EXPECT_EQ(s.peers[0].allowed_ips.size(), 2u);
  EXPECT_EQ(s.peers[0].last_handshake_sec, 0);
}

TEST_F(DeviceTest, AllowedIpReplaceAndRemove) {
  Configure(a, b, true);
  PeerUpdate p;
  p.public_key = b.pub;
  p.allowed_ips = {{Prefix("10.1.0.0/16")}, {Prefix("10.2.0.0/16")}};
  ConfigUpdate u;
  u.peers = {p};
  ASSERT_TRUE(a.dev.ApplyConfig(u, now(), wall(), a.out).ok());
  EXPECT_EQ(PeerOf(a).allowed_ips.size(), 3u);
  p.allowed_ips = {{Prefix("10.1.0.0/16"), /*remove=*/true}};
  u.peers = {p};
  ASSERT_TRUE(a.dev.ApplyConfig(u, now(), wall(), a.out).ok());
  EXPECT_EQ(PeerOf(a).allowed_ips.size(), 2u);
  p.replace_allowed_ips = true;
  p.allowed_ips = {{Prefix("10.3.0.0/16")}};
  u.peers = {p};
  ASSERT_TRUE(a.dev.ApplyConfig(u, now(), wall(), a.out).ok());
  ASSERT_EQ(PeerOf(a).allowed_ips.size(), 1u);
  EXPECT_EQ(PeerOf(a).allowed_ips[0], Prefix("10.3.0.0/16"));
}

TEST_F(DeviceTest, UpdateOnlyRemoveAndReplacePeers) {
  ConfigUpdate u;
  PeerUpdate p;
  p.public_key = b.pub;
  p.update_only = true;
  u.peers = {p};
  ASSERT_TRUE(a.dev.ApplyConfig(u, now(), wall(), a.out).ok());
  EXPECT_TRUE(a.dev.Snapshot().peers.empty()) << "update_only does not create";
  p.update_only = false;
  u.peers = {p};
  ASSERT_TRUE(a.dev.ApplyConfig(u, now(), wall(), a.out).ok());
  EXPECT_EQ(a.dev.Snapshot().peers.size(), 1u);
  Node c{3, "192.0.2.3:1", "10.9.0.3"};
  PeerUpdate pc;
  pc.public_key = c.pub;
  u.replace_peers = true;
  u.peers = {pc};
  ASSERT_TRUE(a.dev.ApplyConfig(u, now(), wall(), a.out).ok());
  ASSERT_EQ(a.dev.Snapshot().peers.size(), 1u);
  EXPECT_EQ(a.dev.Snapshot().peers[0].public_key, c.pub);
  pc.remove = true;
  u.replace_peers = false;
  u.peers = {pc};
  ASSERT_TRUE(a.dev.ApplyConfig(u, now(), wall(), a.out).ok());
  EXPECT_TRUE(a.dev.Snapshot().peers.empty());
}

TEST_F(DeviceTest, PeerWithOwnPublicKeyIsDropped) {
  Configure(a, b, true);
  // Setting b's private key on a removes the peer whose public key it yields.
  ConfigUpdate u;
  u.private_key = b.priv;
  ASSERT_TRUE(a.dev.ApplyConfig(u, now(), wall(), a.out).ok());
  EXPECT_TRUE(a.dev.Snapshot().peers.empty());
  // And a peer with our own public key is ignored.
  PeerUpdate p;
  p.public_key = b.pub;
  u = {};
  u.peers = {p};
  ASSERT_TRUE(a.dev.ApplyConfig(u, now(), wall(), a.out).ok());
  EXPECT_TRUE(a.dev.Snapshot().peers.empty());
}

TEST_F(DeviceTest, ClearingPrivateKeyStopsHandshakes) {
  ConfigureBoth();
  ConfigUpdate u;
  u.private_key = PrivateKey();
  ASSERT_TRUE(a.dev.ApplyConfig(u, now(), wall(), a.out).ok());
  EXPECT_FALSE(a.dev.Snapshot().private_key.has_value());
  SendFrom(a, PacketFrom(a, b));
  EXPECT_TRUE(wire.empty());
  EXPECT_EQ(a.dev.Counters().no_identity, 1u);
}

TEST_F(DeviceTest, NewPrivateKeyInvalidatesSessions) {
  ConfigureBoth();
  Establish();
  // a takes a new identity; b learns it. a's old session may no longer send.
  Node a2{11, "192.0.2.1:51820", "10.9.0.1"};
  ConfigUpdate u;
  u.private_key = a2.priv;
  ASSERT_TRUE(a.dev.ApplyConfig(u, now(), wall(), a.out).ok());
  a.pub = a2.pub;
  ConfigUpdate ub;
  ub.replace_peers = true;
  PeerUpdate p;
  p.public_key = a2.pub;
  p.allowed_ips = {{Prefix("10.9.0.1/32")}};
  ub.peers = {p};
  ASSERT_TRUE(b.dev.ApplyConfig(ub, now(), wall(), b.out).ok());
  SendFrom(a, PacketFrom(a, b));
  ASSERT_EQ(wire.size(), 1u);
  EXPECT_EQ(wire[0].type(), kMessageInitiation) << "old keypair is no longer used to send";
  Pump();
  EXPECT_EQ(b.delivered.size(), 1u);
}

TEST_F(DeviceTest, PersistentKeepaliveOnStartsHandshakeAtOnce) {
  Configure(b, a, false);
  Configure(a, b, true, std::nullopt, /*keepalive=*/25);
  ASSERT_EQ(CountType(wire, kMessageInitiation), 1u);
  Pump();
  EXPECT_TRUE(PeerOf(b).has_current_keypair) << "a's keepalive confirmed the session";
}

TEST_F(DeviceTest, NextDeadlineIsMaxWhenIdle) {
  ConfigureBoth();
  EXPECT_EQ(a.dev.NextDeadline(), TimePoint::max());
  SendFrom(a, PacketFrom(a, b));
  EXPECT_LT(a.dev.NextDeadline(), TimePoint::max());
}

}  // namespace
}  // namespace dlog::wg
