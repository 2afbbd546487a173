// obfs::Disguise: each option on its own switch, silence for strangers, stock peers, and
// routing for port hopping. Fake clock, seeded randomness.
#include "obfs/disguise.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <set>

namespace dlog::obfs {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

ClusterSecret SecretOf(uint8_t fill) {
  ClusterSecret s;
  std::memset(s.data(), fill, s.size());
  return s;
}
wg::Endpoint Ep(const char* s) { return *wg::Endpoint::Parse(s); }

Bytes Transport(uint64_t counter, size_t body, Rng& rng) {
  Bytes m(16 + body);
  m[0] = 4;
  StoreLE32(m.data() + 4, 0xabcdef);
  StoreLE64(m.data() + 8, counter);
  rng.Fill({m.data() + 16, body});
  return m;
}
Bytes Initiation(Rng& rng) {
  Bytes m(148, 0);
  m[0] = 1;
  rng.Fill({m.data() + 4, 128});
  return m;
}

struct Sent {
  wg::Endpoint to;
  uint16_t from_port;
  Bytes bytes;
};

class DisguiseTest : public ::testing::Test {
 protected:
  FakeClock clock;
  SeededRng rng{7}, rng_b{8}, data_rng{9};
  const wg::Endpoint a_ep = Ep("192.0.2.1:51820");
  const wg::Endpoint b_ep = Ep("192.0.2.2:51820");

  TimePoint now() const { return clock.Now(); }
  WallTime wall() const { return clock.WallNow(); }

  static std::vector<Sent> Take(Output& out) {
    std::vector<Sent> v;
    for (size_t i = 0; i < out.size(); ++i)
      v.push_back({out.to(i), out.from_port(i), Bytes(out.data(i).begin(), out.data(i).end())});
    out.Clear();
    return v;
  }
  std::vector<Sent> WrapOne(Disguise& d, const wg::Endpoint& to, ByteSpan inner) {
    Output out;
    d.Wrap(to, inner, now(), wall(), out);
    return Take(out);
  }
  // What the receiver delivers, if anything.
  std::optional<Bytes> Receive(Disguise& d, const wg::Endpoint& from, Bytes bytes) {
    auto u = d.Unwrap(from, bytes, now(), wall());
    if (!u.deliver) return std::nullopt;
    return Bytes(u.inner.begin(), u.inner.end());
  }
};

TEST_F(DisguiseTest, RoundTripOfEveryMessageKind) {
  Disguise a(SecretOf(1), {}, rng), b(SecretOf(1), {}, rng_b);
  for (Bytes inner : {Initiation(data_rng), Bytes(92, 0), Transport(1, 32, data_rng),
                      Transport(2, 1400, data_rng), Bytes(1216, 0x81)}) {
    if (inner[0] == 0) inner[0] = 2;
    auto sent = WrapOne(a, b_ep, inner);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].to, b_ep);
    EXPECT_EQ(sent[0].from_port, 0);
    EXPECT_NE(sent[0].bytes.size(), inner.size());
    auto got = Receive(b, a_ep, sent[0].bytes);
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, inner);
  }
  EXPECT_EQ(a.counters().sealed, 5u);
  EXPECT_EQ(b.counters().opened, 5u);
}

TEST_F(DisguiseTest, RandomPaddingStaysInRangeAndCoversIt) {
  Options o;
  o.random_padding = true;
  o.padding_min = 0;
  o.padding_max = 256;
  Disguise a(SecretOf(1), o, rng), b(SecretOf(1), o, rng_b);
  std::map<size_t, int> padding_histogram;
  for (int i = 0; i < 5000; ++i) {
    Bytes inner = Transport(i, 48, data_rng);
    auto sent = WrapOne(a, b_ep, inner);
    ASSERT_EQ(sent.size(), 1u);
    Bytes copy = sent[0].bytes;
    Opened opened = Open(DeriveKeys(SecretOf(1)), copy);
    ASSERT_TRUE(opened.ok());
    ASSERT_LE(opened.padding, 256u);
    ++padding_histogram[opened.padding];
    ASSERT_EQ(Receive(b, a_ep, sent[0].bytes), inner);
  }
  EXPECT_EQ(padding_histogram.begin()->first, 0u);
  EXPECT_EQ(padding_histogram.rbegin()->first, 256u);
  EXPECT_GT(padding_histogram.size(), 240u) << "about uniform over [0, 256]";
  EXPECT_NEAR(double(a.counters().padding_bytes) / 5000, 128.0, 6.0);
}

TEST_F(DisguiseTest, PaddingNeverPushesPastMaxDatagram) {
  Options o;
  o.random_padding = true;
  o.max_datagram = 1472;
  Disguise a(SecretOf(1), o, rng);
  std::set<size_t> sizes;
  for (int i = 0; i < 2000; ++i) {
    auto sent = WrapOne(a, b_ep, Transport(i, 1396, data_rng));  // a 1380-MTU full packet
    ASSERT_LE(sent[0].bytes.size(), 1472u);
    sizes.insert(sent[0].bytes.size());
  }
  EXPECT_GT(sizes.size(), 20u) << "full-size packets still vary in size";
  EXPECT_EQ(a.counters().oversize, 0u);
  auto big = WrapOne(a, b_ep, Transport(9, 1500, data_rng));
  EXPECT_EQ(a.counters().oversize, 1u) << "too big before padding: sent, counted";
  EXPECT_EQ(big.size(), 1u);
}

TEST_F(DisguiseTest, WrapAllGivesARunOneSizeSoGsoStillCoalesces) {
  Options o;
  o.random_padding = true;
  Disguise a(SecretOf(1), o, rng), b(SecretOf(1), o, rng_b);
  std::set<size_t> run_sizes;
  for (int batch = 0; batch < 50; ++batch) {
    wg::Output dev;
    for (int i = 0; i < 40; ++i) {
      Bytes t = Transport(batch * 100 + i, 1392, data_rng);
      std::copy(t.begin(), t.end(), dev.AddDatagram(b_ep, t.size()).begin());
    }
    Bytes last = Transport(batch * 100 + 40, 500, data_rng);  // a shorter last one
    std::copy(last.begin(), last.end(), dev.AddDatagram(b_ep, last.size()).begin());
    Bytes init = Initiation(data_rng);  // not transport: sized on its own
    std::copy(init.begin(), init.end(), dev.AddDatagram(b_ep, init.size()).begin());
    Output out;
    a.WrapAll(dev, now(), wall(), out);
    ASSERT_EQ(out.size(), 42u);
    const size_t size = out.data(0).size();
    for (size_t i = 1; i < 40; ++i) ASSERT_EQ(out.data(i).size(), size) << batch << " " << i;
    EXPECT_LT(out.data(40).size(), size);
    run_sizes.insert(size);
    for (size_t i = 0; i < out.size(); ++i) {
      Bytes d(out.data(i).begin(), out.data(i).end());
      ASSERT_TRUE(Receive(b, a_ep, d)) << i;
    }
  }
  EXPECT_GT(run_sizes.size(), 1u) << "sizes vary from run to run";
  // A run is at most kMaxRun datagrams long: each block of kMaxRun shares one prefix
  // length and padding, and the next block draws its own.
  {
    wg::Output dev;
    for (size_t i = 0; i < 3 * kMaxRun; ++i) {
      Bytes t = Transport(i, 1392, data_rng);
      std::copy(t.begin(), t.end(), dev.AddDatagram(b_ep, t.size()).begin());
    }
    const DisguiseKeys keys = DeriveKeys(SecretOf(1));
    int redrawn = 0;
    for (int k = 0; k < 10; ++k) {
      Output out;
      a.WrapAll(dev, now(), wall(), out);
      ASSERT_EQ(out.size(), 3 * kMaxRun);
      std::vector<std::pair<size_t, size_t>> shape;
      for (size_t i = 0; i < out.size(); ++i) {
        Bytes d(out.data(i).begin(), out.data(i).end());
        Opened o = Open(keys, d);
        ASSERT_TRUE(o.ok());
        shape.push_back({o.prefix_len, o.padding});
      }
      for (size_t i = 0; i < out.size(); ++i) ASSERT_EQ(shape[i], shape[i / kMaxRun * kMaxRun]);
      redrawn += shape[0] != shape[kMaxRun];
      redrawn += shape[kMaxRun] != shape[2 * kMaxRun];
    }
    EXPECT_GT(redrawn, 15) << "a new draw after kMaxRun datagrams";
  }
  // A run never spans two peers.
  wg::Output dev;
  for (const wg::Endpoint& to : {b_ep, a_ep, b_ep}) {
    Bytes t = Transport(1, 1392, data_rng);
    std::copy(t.begin(), t.end(), dev.AddDatagram(to, t.size()).begin());
  }
  std::set<size_t> sizes;
  for (int k = 0; k < 20; ++k) {
    Output out;
    a.WrapAll(dev, now(), wall(), out);
    for (size_t i = 0; i < out.size(); ++i) sizes.insert(out.data(i).size());
  }
  EXPECT_GT(sizes.size(), 20u);
}

TEST_F(DisguiseTest, DecoysAtTheRatioAreDiscardedByTheReceiver) {
  Options o;
  o.decoy_traffic = true;
  o.decoy_ratio = 0.2;
  o.decoy_max_delay = Duration::zero();  // immediate: no ticks needed
  Disguise a(SecretOf(1), o, rng), b(SecretOf(1), o, rng_b);
  EXPECT_FALSE(a.needs_ticks());
  size_t delivered = 0, wire = 0;
  double real_size_sum = 0, decoy_size_sum = 0;
  for (int i = 0; i < 20000; ++i) {
    Bytes inner = Transport(i, 16 * (1 + i % 40), data_rng);
    auto sent = WrapOne(a, b_ep, inner);
    wire += sent.size();
    for (size_t k = 0; k < sent.size(); ++k) {
      auto got = Receive(b, a_ep, sent[k].bytes);
      (k == 0 ? real_size_sum : decoy_size_sum) += double(sent[k].bytes.size());
      if (got) {
        ++delivered;
        EXPECT_EQ(*got, inner);
      }
    }
  }
  const DisguiseCounters ca = a.counters(), cb = b.counters();
  EXPECT_EQ(delivered, 20000u);
  const double ratio = double(ca.decoys_sent) / double(ca.sealed);
  EXPECT_NEAR(ratio, 0.2, 0.2 * 0.05);
  EXPECT_EQ(wire, ca.sealed + ca.decoys_sent);
  EXPECT_EQ(cb.chaff_received, ca.decoys_sent);
  // Decoys borrow their sizes from recent real datagrams.
  EXPECT_NEAR(decoy_size_sum / double(ca.decoys_sent), real_size_sum / 20000, 25.0);
}

TEST_F(DisguiseTest, DelayedDecoysLeaveOnTicksWithinTheirDelay) {
  Options o;
  o.decoy_traffic = true;
  o.decoy_ratio = 1.0;
  o.decoy_max_delay = milliseconds(20);
  Disguise a(SecretOf(1), o, rng);
  EXPECT_TRUE(a.needs_ticks());
  EXPECT_EQ(a.NextDeadline(), TimePoint::max());
  auto sent = WrapOne(a, b_ep, Transport(1, 64, data_rng));
  ASSERT_EQ(sent.size(), 1u) << "the decoy waits";
  const TimePoint due = a.NextDeadline();
  EXPECT_GE(due, now());
  EXPECT_LE(due, now() + milliseconds(20));
  Output out;
  a.Tick(now(), wall(), out);
  EXPECT_EQ(out.size(), due == now() ? 1u : 0u);
  clock.Advance(milliseconds(20));
  a.Tick(now(), wall(), out);
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(a.NextDeadline(), TimePoint::max());
}

TEST_F(DisguiseTest, ShapingHoldsTheTargetRateBusyOrIdle) {
  Options o;
  o.traffic_shaping = true;
  o.target_rate_bps = 8'000'000;
  o.random_padding = true;
  Disguise a(SecretOf(1), o, rng), b(SecretOf(1), o, rng_b);
  ASSERT_TRUE(a.needs_ticks());
  Output out;
  uint64_t wire_bytes = 0, delivered = 0, next_expected = 0;
  bool in_order = true;
  // 2 s of a burst above the rate, then 3 s with a datagram every 100 ms.
  for (int ms = 0; ms < 5000; ++ms) {
    const int per_ms = ms < 2000 ? 2 : (ms % 100 == 0);
    for (int k = 0; k < per_ms; ++k) {
      a.Wrap(b_ep, Transport(next_expected + delivered * 0 + uint64_t(ms) * 2 + k, 1000, data_rng),
             now(), wall(), out);
    }
    EXPECT_TRUE(out.empty()) << "shaped datagrams only leave on ticks";
    clock.Advance(milliseconds(1));
    a.Tick(now(), wall(), out);
    for (const Sent& s : Take(out)) {
      wire_bytes += s.bytes.size();
      if (auto got = Receive(b, a_ep, s.bytes)) {
        const uint64_t counter = LoadLE64(got->data() + 8);
        in_order = in_order && counter >= next_expected;
        next_expected = counter;
        ++delivered;
      }
    }
  }
  const double rate = double(wire_bytes) * 8 / 5.0;
  EXPECT_NEAR(rate, 8e6, 8e6 * 0.02);
  EXPECT_TRUE(in_order);
  const DisguiseCounters c = a.counters();
  EXPECT_GT(c.cover_sent, 500u) << "idle periods filled with cover";
  EXPECT_GT(c.shaping_dropped, 0u) << "the burst exceeded the rate";
  EXPECT_EQ(delivered + c.shaping_dropped, c.sealed);
  EXPECT_EQ(b.counters().chaff_received, c.cover_sent);
}

TEST_F(DisguiseTest, StrangersGetSilence) {
  Options o;
  Disguise b(SecretOf(1), o, rng_b), stranger(SecretOf(2), o, rng);
  // Sealed under another secret.
  for (int i = 0; i < 100; ++i) {
    auto sent = WrapOne(stranger, b_ep, i % 2 ? Initiation(data_rng) : Transport(i, 64, data_rng));
    EXPECT_FALSE(Receive(b, a_ep, sent[0].bytes));
  }
  // Well-formed stock WireGuard and PQ datagrams.
  EXPECT_FALSE(Receive(b, a_ep, Initiation(data_rng)));
  EXPECT_FALSE(Receive(b, a_ep, Transport(1, 32, data_rng)));
  EXPECT_FALSE(Receive(b, a_ep, Bytes(1216, 0x81)));
  // Junk.
  EXPECT_FALSE(Receive(b, a_ep, Bytes{1, 2, 3}));
  EXPECT_FALSE(Receive(b, a_ep, Bytes(100, 'A')));
  const DisguiseCounters c = b.counters();
  EXPECT_EQ(c.drop_tag + c.drop_header, 100u);
  EXPECT_EQ(c.drop_stock, 3u);
  EXPECT_EQ(c.drop_prefix, 2u);
  EXPECT_EQ(c.opened + c.stock_received, 0u);
}

TEST_F(DisguiseTest, ReplayedAndStaleMessagesAreDropped) {
  Disguise a(SecretOf(1), {}, rng), b(SecretOf(1), {}, rng_b);
  auto init = WrapOne(a, b_ep, Initiation(data_rng));
  EXPECT_TRUE(Receive(b, a_ep, init[0].bytes));
  EXPECT_FALSE(Receive(b, a_ep, init[0].bytes)) << "replay";
  EXPECT_EQ(b.counters().drop_replay, 1u);
  // Transport replays are WireGuard's to refuse (its replay window): passed through.
  auto data = WrapOne(a, b_ep, Transport(5, 64, data_rng));
  EXPECT_TRUE(Receive(b, a_ep, data[0].bytes));
  EXPECT_TRUE(Receive(b, a_ep, data[0].bytes));
  // A message sealed more than the window ago (clocks apart, or a late replay).
  auto old = WrapOne(a, b_ep, Initiation(data_rng));
  clock.Advance(kMessageTimeWindow + seconds(2));
  EXPECT_FALSE(Receive(b, a_ep, old[0].bytes));
  EXPECT_EQ(b.counters().drop_stale, 1u);
}

TEST_F(DisguiseTest, StockPeersSpeakStockWireGuardBesideDisguisedOnes) {
  Options o;
  o.stock_peers = {*ParseStockPeer("198.51.100.0/24")};
  Disguise d(SecretOf(1), o, rng), member(SecretOf(1), {}, rng_b);
  const wg::Endpoint admin = Ep("198.51.100.7:40000");
  Bytes init = Initiation(data_rng);
  auto to_admin = WrapOne(d, admin, init);
  ASSERT_EQ(to_admin.size(), 1u);
  EXPECT_EQ(to_admin[0].bytes, init) << "stock peers get the WireGuard bytes as they are";
  EXPECT_EQ(Receive(d, admin, init), init);
  auto to_member = WrapOne(d, b_ep, init);
  EXPECT_NE(to_member[0].bytes, init);
  EXPECT_EQ(Receive(member, a_ep, to_member[0].bytes), init);
  EXPECT_FALSE(Receive(d, b_ep, Initiation(data_rng))) << "stock form from a member";
  EXPECT_EQ(d.counters().stock_sent, 1u);
  EXPECT_EQ(d.counters().stock_received, 1u);
}

TEST_F(DisguiseTest, StockPeersFullSizeTransportAtAnMtuNotAMultipleOf16) {
  // WireGuard pads the plaintext to 16 bytes but not past the MTU: a 1380-byte packet at
  // MTU 1380 is a 1412-byte message (1420 → 1452), not a multiple of 16.
  Options o;
  o.stock_peers = {*ParseStockPeer("198.51.100.0/24")};
  Disguise d(SecretOf(1), o, rng);
  const wg::Endpoint admin = Ep("198.51.100.7:40000");
  for (size_t body : {size_t(16), size_t(1380 + 16), size_t(1420 + 16), size_t(1397)}) {
    Bytes m = Transport(7, body, data_rng);
    EXPECT_EQ(Receive(d, admin, m), m) << m.size();
    EXPECT_EQ(WrapOne(d, admin, m)[0].bytes, m) << m.size();
  }
  Bytes keepalive_short = Transport(8, 15, data_rng);  // 31 bytes: not WireGuard
  EXPECT_FALSE(Receive(d, admin, keepalive_short));
  EXPECT_EQ(d.counters().stock_received, 4u);
  EXPECT_EQ(d.counters().drop_prefix, 1u);
}

TEST_F(DisguiseTest, StockRoamingAnswersAStockSenderInStockForm) {
  Options o;
  o.stock_roaming = true;
  Disguise d(SecretOf(1), o, rng);
  const wg::Endpoint phone = Ep("203.0.113.9:5555");
  Bytes init = Initiation(data_rng);
  EXPECT_EQ(Receive(d, phone, init), init);
  Bytes resp(92, 0);
  resp[0] = 2;
  EXPECT_EQ(WrapOne(d, phone, resp)[0].bytes, resp);
  EXPECT_NE(WrapOne(d, b_ep, resp)[0].bytes, resp);
}

TEST_F(DisguiseTest, PortHoppingRoutesToTheCurrentPortOfBothEnds) {
  Options o;
  o.port_hopping = true;
  o.port_min = 20000;
  o.port_max = 20999;
  o.hop_interval = seconds(3);
  Disguise a(SecretOf(1), o, rng), b(SecretOf(1), o, rng_b);
  int hops = 0;
  uint16_t last = 0;
  const int64_t first_epoch = a.Ports(wall()).epoch;
  for (int step = 0; step < 40; ++step) {
    const PortPlan plan = a.Ports(wall());
    auto sent = WrapOne(a, b_ep, Transport(step, 64, data_rng));
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].to.port, plan.current);
    EXPECT_EQ(sent[0].from_port, plan.current);
    EXPECT_EQ(sent[0].to.addr, b_ep.addr);
    EXPECT_TRUE(b.Ports(wall()).Listens(sent[0].to.port));
    wg::Endpoint from = a_ep;
    from.port = sent[0].from_port;
    EXPECT_TRUE(Receive(b, from, sent[0].bytes));
    hops += last != 0 && plan.current != last;
    last = plan.current;
    clock.Advance(milliseconds(1500));
  }
  EXPECT_EQ(hops, a.Ports(wall()).epoch - 1 - first_epoch) << "a new port every epoch";
  EXPECT_GE(hops, 18);
}

TEST_F(DisguiseTest, APeerBehindANatKeepsItsPort) {
  Options o;
  o.port_hopping = true;
  o.hop_interval = seconds(3);
  Disguise server(SecretOf(1), o, rng), client(SecretOf(1), o, rng_b);
  const wg::Endpoint natted = Ep("203.0.113.9:61000");
  auto sent = WrapOne(client, b_ep, Initiation(data_rng));
  ASSERT_TRUE(Receive(server, natted, sent[0].bytes));
  auto reply = WrapOne(server, natted, Transport(1, 32, data_rng));
  EXPECT_EQ(reply[0].to, natted) << "not rewritten to the hop port";
  EXPECT_EQ(reply[0].from_port, server.Ports(wall()).current) << "from the port it sent to";
}

TEST_F(DisguiseTest, NoTicksWithoutShapingOrDelayedDecoys) {
  Disguise a(SecretOf(1), {}, rng);
  EXPECT_FALSE(a.needs_ticks());
  WrapOne(a, b_ep, Transport(1, 64, data_rng));
  EXPECT_EQ(a.NextDeadline(), TimePoint::max());
  EXPECT_FALSE(a.hopping());
  EXPECT_EQ(a.Ports(wall()).listen_count, 0u);
  EXPECT_NE(a.FormatCounters().find("sealed 1\n"), std::string::npos);
}

}  // namespace
}  // namespace dlog::obfs
