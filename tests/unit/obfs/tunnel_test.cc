// Two wg::Devices talking through two Disguises over a simulated network that delivers
// a datagram only to a port its receiver listens on: the WireGuard session (handshake,
// data, rekeying timers) runs unchanged under every option, across port hops and with
// the two clocks apart; a third device without the cluster secret gets silence.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <deque>
#include <set>

#include "crypto/x25519.h"
#include "obfs/disguise.h"
#include "wg/device.h"

namespace dlog::obfs {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

wg::Endpoint Ep(const char* s) { return *wg::Endpoint::Parse(s); }

ClusterSecret SecretOf(uint8_t fill) {
  ClusterSecret s;
  std::memset(s.data(), fill, s.size());
  return s;
}

Bytes Ipv4Packet(const char* src, const char* dst, uint32_t seq, size_t payload) {
  Bytes p(20 + payload, 0);
  p[0] = 0x45;
  p[2] = uint8_t((20 + payload) >> 8);
  p[3] = uint8_t(20 + payload);
  p[8] = 64;
  p[9] = 17;
  inet_pton(AF_INET, src, p.data() + 12);
  inet_pton(AF_INET, dst, p.data() + 16);
  if (payload >= 4) StoreLE32(p.data() + 20, seq);
  return p;
}

struct Host {
  Host(uint64_t seed, const char* endpoint, const char* overlay, const ClusterSecret& secret,
       const Options& o)
      : rng(seed),
        obfs_rng(seed + 100),
        dev(rng),
        disguise(secret, o, obfs_rng),
        ep(Ep(endpoint)),
        overlay(overlay) {
    priv = crypto::GeneratePrivateKey(rng);
    pub = crypto::PublicKeyOf(priv);
  }
  SeededRng rng, obfs_rng;
  wg::Device dev;
  Disguise disguise;
  wg::Endpoint ep;  // address and listen_port
  const char* overlay;
  crypto::X25519Private priv;
  crypto::X25519Public pub{};
  Duration skew{0};  // this host's wall clock minus the true one
  wg::Output wout;
  Output oout;
  std::vector<uint32_t> delivered;  // sequence numbers of IP packets written to its TUN
};

struct InFlight {
  wg::Endpoint from, to;
  Bytes bytes;
};

class TunnelTest : public ::testing::Test {
 protected:
  FakeClock clock;
  std::deque<InFlight> wire;
  std::vector<InFlight> captured;  // everything that went on the wire
  uint64_t lost_closed_port = 0;

  TimePoint now() const { return clock.Now(); }
  WallTime WallOf(const Host& h) const {
    return WallTime{clock.WallNow().unix_nanos + h.skew.count()};
  }

  void Configure(Host& self, Host& other, bool with_endpoint) {
    wg::ConfigUpdate u;
    u.private_key = self.priv;
    u.listen_port = self.ep.port;
    wg::PeerUpdate p;
    p.public_key = other.pub;
    if (with_endpoint) p.endpoint = other.ep;
    p.allowed_ips.push_back({*wg::IpPrefix::Parse(std::string(other.overlay) + "/32")});
    u.peers.push_back(p);
    ASSERT_TRUE(self.dev.ApplyConfig(u, now(), WallOf(self), self.wout).ok());
    Flush(self);
  }

  // Device output → disguise → wire (and TUN packets → delivered).
  void Flush(Host& h) {
    for (size_t i = 0; i < h.wout.datagram_count(); ++i)
      h.disguise.Wrap(h.wout.datagram_endpoint(i), h.wout.datagram(i), now(), WallOf(h), h.oout);
    for (size_t i = 0; i < h.wout.tun_packet_count(); ++i)
      h.delivered.push_back(LoadLE32(h.wout.tun_packet(i).data() + 20));
    h.wout.Clear();
    Send(h);
  }
  void Send(Host& h) {
    for (size_t i = 0; i < h.oout.size(); ++i) {
      wg::Endpoint from = h.ep;
      if (h.oout.from_port(i)) from.port = h.oout.from_port(i);
      InFlight f{from, h.oout.to(i), Bytes(h.oout.data(i).begin(), h.oout.data(i).end())};
      captured.push_back(f);
      wire.push_back(std::move(f));
    }
    h.oout.Clear();
  }

  // A host hears a datagram only on its listen_port or on a hop port it has open.
  bool Listening(const Host& h, uint16_t port) const {
    if (port == h.ep.port) return true;
    return h.disguise.hopping() && h.disguise.Ports(WallOf(h)).Listens(port);
  }

  void Pump(std::vector<Host*> hosts) {
    for (int round = 0; round < 1000 && !wire.empty(); ++round) {
      InFlight f = std::move(wire.front());
      wire.pop_front();
      for (Host* h : hosts) {
        if (h->ep.addr != f.to.addr) continue;
        if (!Listening(*h, f.to.port)) {
          ++lost_closed_port;
          continue;
        }
        auto u = h->disguise.Unwrap(f.from, f.bytes, now(), WallOf(*h));
        if (u.deliver) h->dev.HandleDatagram(f.from, u.inner, now(), WallOf(*h), h->wout);
        Flush(*h);
      }
    }
  }

  void Step(std::vector<Host*> hosts, Duration d) {
    clock.Advance(d);
    for (Host* h : hosts) {
      h->dev.Tick(now(), WallOf(*h), h->wout);
      Flush(*h);
      if (h->disguise.needs_ticks()) {
        h->disguise.Tick(now(), WallOf(*h), h->oout);
        Send(*h);
      }
    }
    Pump(hosts);
  }

  static bool LooksLikeStockWireGuard(const Bytes& d) {
    return d.size() >= 4 && d[0] >= 1 && d[0] <= 4 && d[1] == 0 && d[2] == 0 && d[3] == 0;
  }
};

Options AllOn() {
  Options o;
  o.random_padding = true;
  o.traffic_shaping = true;
  o.target_rate_bps = 4'000'000;
  o.port_hopping = true;
  o.port_min = 30000;
  o.port_max = 30999;
  o.hop_interval = seconds(3);
  o.decoy_traffic = true;
  o.decoy_ratio = 0.2;
  o.max_datagram = 1472;
  return o;
}

TEST_F(TunnelTest, SessionSurvivesHopsWithEveryOptionAndClocksApart) {
  Options o = AllOn();
  Host a(1, "192.0.2.1:51820", "10.9.0.1", SecretOf(3), o);
  Host b(2, "192.0.2.2:51821", "10.9.0.2", SecretOf(3), o);
  b.skew = milliseconds(-400);  // b's clock runs 0.4 s behind a's
  Configure(a, b, true);
  Configure(b, a, false);
  std::vector<Host*> hosts{&a, &b};

  // 60 s of traffic both ways, a packet each way every 20 ms: 20 hops.
  std::set<uint16_t> ports;
  uint32_t seq = 0;
  for (int ms = 0; ms < 60000; ms += 20) {
    a.dev.HandleTunPacket(Ipv4Packet(a.overlay, b.overlay, seq, 600), now(), WallOf(a), a.wout);
    b.dev.HandleTunPacket(Ipv4Packet(b.overlay, a.overlay, seq, 200), now(), WallOf(b), b.wout);
    ++seq;
    Flush(a);
    Flush(b);
    for (int k = 0; k < 20; ++k) Step(hosts, milliseconds(1));
    ports.insert(a.disguise.Ports(WallOf(a)).current);
  }
  for (int k = 0; k < 500; ++k) Step(hosts, milliseconds(1));

  // Everything after the first handshake arrived (the first packet is staged, then sent).
  EXPECT_GE(b.delivered.size(), seq - 1);
  EXPECT_GE(a.delivered.size(), seq - 1);
  EXPECT_EQ(lost_closed_port, 0u) << "grace windows cover the 0.4 s skew";
  EXPECT_GE(ports.size(), 19u);
  for (const InFlight& f : captured) {
    ASSERT_FALSE(LooksLikeStockWireGuard(f.bytes));
    ASSERT_LE(f.bytes.size(), 1472u);
    ASSERT_GE(f.to.port, 30000);
    ASSERT_LE(f.to.port, 30999);
    ASSERT_TRUE(std::all_of(f.bytes.begin(), f.bytes.begin() + 6, IsPrintable));
  }
  const DisguiseCounters ca = a.disguise.counters(), cb = b.disguise.counters();
  EXPECT_GT(ca.cover_sent, 0u);
  EXPECT_GT(ca.decoys_sent, 0u);
  EXPECT_EQ(cb.drop_tag + cb.drop_prefix + cb.drop_header + cb.drop_stale + cb.drop_replay, 0u);
  EXPECT_EQ(cb.chaff_received, ca.cover_sent + ca.decoys_sent);
}

TEST_F(TunnelTest, EachOptionAloneCarriesTheSession) {
  for (int which = 0; which < 5; ++which) {
    Options o;
    o.random_padding = which == 1;
    o.traffic_shaping = which == 2;
    o.port_hopping = which == 3;
    o.hop_interval = seconds(3);
    o.decoy_traffic = which == 4;
    Host a(10 + which, "192.0.2.1:51820", "10.9.0.1", SecretOf(4), o);
    Host b(20 + which, "192.0.2.2:51821", "10.9.0.2", SecretOf(4), o);
    Configure(a, b, true);
    Configure(b, a, false);
    for (uint32_t seq = 0; seq < 300; ++seq) {
      a.dev.HandleTunPacket(Ipv4Packet(a.overlay, b.overlay, seq, 1000), now(), WallOf(a), a.wout);
      Flush(a);
      for (int k = 0; k < 20; ++k) Step({&a, &b}, milliseconds(1));
    }
    for (int k = 0; k < 200; ++k) Step({&a, &b}, milliseconds(1));
    EXPECT_EQ(b.delivered.size(), 300u) << "option " << which;
    for (const InFlight& f : captured) ASSERT_FALSE(LooksLikeStockWireGuard(f.bytes)) << which;
    captured.clear();
    wire.clear();
  }
}

TEST_F(TunnelTest, AHostWithoutTheSecretGetsNoReply) {
  Options o;
  Host victim(1, "192.0.2.2:51821", "10.9.0.2", SecretOf(5), o);
  // The stranger knows the victim's WireGuard public key and is even configured as its
  // peer, but disguises with another secret...
  Host stranger(2, "192.0.2.66:40000", "10.9.0.66", SecretOf(6), o);
  Configure(victim, stranger, false);
  Configure(stranger, victim, true);
  for (int i = 0; i < 5; ++i) {
    stranger.dev.HandleTunPacket(Ipv4Packet(stranger.overlay, victim.overlay, i, 50), now(),
                                 WallOf(stranger), stranger.wout);
    Flush(stranger);
    Step({&victim, &stranger}, seconds(6));
  }
  // ...and then sends well-formed stock WireGuard handshakes from its own device.
  wg::Output raw;
  stranger.dev.HandleTunPacket(Ipv4Packet(stranger.overlay, victim.overlay, 9, 50), now(),
                               WallOf(stranger), raw);
  clock.Advance(seconds(6));
  stranger.dev.Tick(now(), WallOf(stranger), raw);
  size_t stock_sent = 0;
  for (size_t i = 0; i < raw.datagram_count(); ++i) {
    ++stock_sent;
    wire.push_back({stranger.ep, victim.ep, Bytes(raw.datagram(i).begin(), raw.datagram(i).end())});
  }
  ASSERT_GT(stock_sent, 0u);
  Pump({&victim, &stranger});
  size_t from_victim = 0;
  for (const InFlight& f : captured) from_victim += f.from.addr == victim.ep.addr;
  EXPECT_EQ(from_victim, 0u) << "the victim never answered";
  EXPECT_TRUE(victim.delivered.empty());
  const DisguiseCounters c = victim.disguise.counters();
  EXPECT_GE(c.drop_tag + c.drop_header, 5u);
  EXPECT_EQ(c.drop_stock, stock_sent);
  EXPECT_EQ(victim.dev.Counters().handshake_failed + victim.dev.Counters().bad_mac1, 0u)
      << "nothing even reached WireGuard";
}

}  // namespace
}  // namespace dlog::obfs
