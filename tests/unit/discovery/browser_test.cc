#include "discovery/browser.h"

#include <gtest/gtest.h>

#include "mdns_test_util.h"

namespace dlog::discovery {
namespace {

using namespace std::chrono_literals;
using testing::Decoded;
using testing::kPeer;
using testing::N;
using testing::NodeConfig;

// Responders and one browser on one LAN segment: every multicast datagram reaches every
// core (including its sender, as IP_MULTICAST_LOOP does), unicast reaches the browser.
class Lan {
 public:
  explicit Lan(FakeClock& clock) : clock_(clock), browser_(BrowserConfig{}, rng_) {}
  Responder& Add(ServiceConfig c) {
    responders_.push_back(std::make_unique<Responder>(*Responder::Create(c, rng_)));
    responders_.back()->Start(clock_.Now());
    return *responders_.back();
  }
  Browser& browser() { return browser_; }
  // Delivers datagrams and jumps to deadlines until `span` has passed.
  void Run(Duration span) {
    TimePoint end = clock_.Now() + span;
    for (int guard = 0; guard < 100000; ++guard) {
      Pump();
      TimePoint next = end;
      if (auto d = browser_.NextDeadline()) next = std::min(next, *d);
      for (auto& r : responders_) {
        if (auto d = r->NextDeadline()) next = std::min(next, *d);
      }
      if (next >= end) break;
      if (next > clock_.Now()) clock_.Advance(next - clock_.Now());
      browser_.Tick(clock_.Now());
      for (auto& r : responders_) r->Tick(clock_.Now());
    }
    if (end > clock_.Now()) clock_.Advance(end - clock_.Now());
    browser_.Tick(clock_.Now());
    Pump();
  }
  void Pump() {
    for (int round = 0; round < 50; ++round) {
      std::vector<std::pair<UdpAddress, Datagram>> wire;
      for (size_t i = 0; i < responders_.size(); ++i) {
        for (auto& d : responders_[i]->TakeOutgoing()) {
          wire.push_back({UdpAddress{IpAddress::V4(10, 0, 0, uint8_t(1 + i)), kMdnsPort}, d});
        }
      }
      for (auto& d : browser_.TakeOutgoing()) wire.push_back({kBrowserAddr, d});
      if (wire.empty()) return;
      for (auto& [from, d] : wire) {
        ++datagrams;
        bool multicast = d.to.ip == kMdnsGroupV4;
        if (drop_all) continue;
        if (multicast || d.to == kBrowserAddr) {
          browser_.OnDatagram(clock_.Now(), Inbound{from, multicast}, d.payload);
        }
        if (!multicast) continue;
        for (auto& r : responders_) r->OnDatagram(clock_.Now(), Inbound{from, true}, d.payload);
      }
    }
  }
  Responder& responder(size_t i) { return *responders_[i]; }
  bool drop_all = false;
  size_t datagrams = 0;
  static inline const UdpAddress kBrowserAddr{IpAddress::V4(10, 0, 0, 200), kMdnsPort};

 private:
  FakeClock& clock_;
  SeededRng rng_{3};
  Browser browser_;
  std::vector<std::unique_ptr<Responder>> responders_;
};

TEST(Browser, FindsAResponderWithItsTxt) {
  FakeClock clock;
  Lan lan(clock);
  lan.Add(NodeConfig());
  lan.browser().Start(clock.Now());
  lan.Run(3s);
  auto found = lan.browser().Candidates();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].instance, "node-a");
  EXPECT_EQ(found[0].host, "host-a.local");
  EXPECT_EQ(found[0].port, 51820);
  EXPECT_EQ(found[0].addresses, std::vector<IpAddress>{IpAddress::V4(10, 0, 0, 1)});
  EXPECT_EQ(found[0].txt.at("key"), "a2V5");
  EXPECT_EQ(found[0].txt.at("cluster"), "c1");
  auto events = lan.browser().TakeEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, BrowserEvent::kFound);
}

TEST(Browser, FindsSeveral) {
  FakeClock clock;
  Lan lan(clock);
  lan.Add(NodeConfig("node-a", "host-a"));
  auto c = NodeConfig("node-b", "host-b");
  c.addresses = {IpAddress::V4(10, 0, 0, 2)};
  lan.Add(c);
  lan.browser().Start(clock.Now());
  lan.Run(5s);
  auto found = lan.browser().Candidates();
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[1].instance, "node-b");
  EXPECT_EQ(found[1].addresses[0], IpAddress::V4(10, 0, 0, 2));
}

TEST(Browser, TwoNodesClaimingOneNameEndUpDistinct) {
  FakeClock clock;
  Lan lan(clock);
  lan.Add(NodeConfig("node-a", "host-a"));
  auto c = NodeConfig("node-a", "host-a");
  c.addresses = {IpAddress::V4(10, 0, 0, 2)};
  lan.Add(c);
  lan.browser().Start(clock.Now());
  lan.Run(15s);
  EXPECT_EQ(lan.responder(0).state(), Responder::State::kRunning);
  EXPECT_EQ(lan.responder(1).state(), Responder::State::kRunning);
  EXPECT_NE(lan.responder(0).instance(), lan.responder(1).instance());
  EXPECT_NE(lan.responder(0).host(), lan.responder(1).host());
  auto found = lan.browser().Candidates();
  ASSERT_EQ(found.size(), 2u);
  EXPECT_NE(found[0].addresses, found[1].addresses);
}

TEST(Browser, GoodbyeRemovesWithinASecond) {
  FakeClock clock;
  Lan lan(clock);
  lan.Add(NodeConfig());
  lan.browser().Start(clock.Now());
  lan.Run(3s);
  ASSERT_EQ(lan.browser().Candidates().size(), 1u);
  lan.browser().TakeEvents();
  lan.responder(0).Shutdown(clock.Now());
  lan.Run(1500ms);
  EXPECT_TRUE(lan.browser().Candidates().empty());
  auto events = lan.browser().TakeEvents();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().kind, BrowserEvent::kLost);
  EXPECT_EQ(events.back().candidate.instance, "node-a");
}

TEST(Browser, ExpiresByTtlWhenTheResponderFallsSilent) {
  FakeClock clock;
  Lan lan(clock);
  lan.Add(NodeConfig());
  lan.browser().Start(clock.Now());
  lan.Run(3s);
  ASSERT_EQ(lan.browser().Candidates().size(), 1u);
  lan.drop_all = true;  // the responder vanished without a goodbye
  lan.Run(100s);
  EXPECT_EQ(lan.browser().Candidates().size(), 1u);  // host records live 120 s
  lan.Run(30s);
  EXPECT_TRUE(lan.browser().Candidates().empty());
  EXPECT_GE(lan.browser().stats().queries_sent, 8u);
}

TEST(Browser, KeepsACandidateAliveByRefreshing) {
  FakeClock clock;
  Lan lan(clock);
  lan.Add(NodeConfig());
  lan.browser().Start(clock.Now());
  lan.Run(600s);  // several host-record lifetimes
  EXPECT_EQ(lan.browser().Candidates().size(), 1u);
  for (const auto& e : lan.browser().TakeEvents()) EXPECT_NE(e.kind, BrowserEvent::kLost);
  EXPECT_LT(lan.datagrams, 200u);  // refreshing, not flooding
}

TEST(Browser, QueryBackoffDoublesToSixtySeconds) {
  FakeClock clock;
  SeededRng rng(5);
  Browser b(BrowserConfig{}, rng);
  b.Start(clock.Now());
  std::vector<TimePoint> sent;
  for (int i = 0; i < 200 && sent.size() < 10; ++i) {
    clock.Advance(*b.NextDeadline() - clock.Now());
    b.Tick(clock.Now());
    for (auto& d : b.TakeOutgoing()) {
      auto m = Decoded(d);
      ASSERT_EQ(m.questions.size(), 1u);
      EXPECT_EQ(m.questions[0].type, rrtype::kPtr);
      EXPECT_EQ(m.questions[0].name, N("_dlog._udp.local"));
      sent.push_back(clock.Now());
    }
  }
  ASSERT_EQ(sent.size(), 10u);
  std::vector<Duration> gaps;
  for (size_t i = 1; i < sent.size(); ++i) gaps.push_back(sent[i] - sent[i - 1]);
  EXPECT_EQ(gaps[0], 1s);
  EXPECT_EQ(gaps[1], 2s);
  EXPECT_EQ(gaps[2], 4s);
  EXPECT_EQ(gaps[5], 32s);
  EXPECT_EQ(gaps[6], 60s);
  EXPECT_EQ(gaps[8], 60s);
}

TEST(Browser, AsksForMissingRecords) {
  FakeClock clock;
  SeededRng rng(5);
  Browser b(BrowserConfig{}, rng);
  b.Start(clock.Now());
  DnsMessage only_ptr;
  only_ptr.flags = dnsflag::kResponse;
  only_ptr.answers.push_back(MakePtr(N("_dlog._udp.local"), N("x._dlog._udp.local"), 4500));
  b.OnDatagram(clock.Now(), Inbound{kPeer, true}, *EncodeMessage(only_ptr));
  auto out = b.TakeOutgoing();
  ASSERT_EQ(out.size(), 1u);
  auto q = Decoded(out[0]);
  ASSERT_EQ(q.questions.size(), 2u);
  EXPECT_EQ(q.questions[0].type, rrtype::kSrv);
  EXPECT_EQ(q.questions[1].type, rrtype::kTxt);
  DnsMessage srv;
  srv.flags = dnsflag::kResponse;
  srv.answers.push_back(MakeSrv(N("x._dlog._udp.local"), 7, N("hx.local"), 120));
  srv.answers.push_back(MakeTxt(N("x._dlog._udp.local"), {"v=1"}, 4500));
  b.OnDatagram(clock.Now(), Inbound{kPeer, true}, *EncodeMessage(srv));
  out = b.TakeOutgoing();
  ASSERT_EQ(out.size(), 1u);
  q = Decoded(out[0]);
  ASSERT_EQ(q.questions.size(), 1u);
  EXPECT_EQ(q.questions[0].type, rrtype::kA);
  EXPECT_EQ(q.questions[0].name, N("hx.local"));
  EXPECT_TRUE(b.Candidates().empty());  // no address yet
  DnsMessage a;
  a.flags = dnsflag::kResponse;
  a.answers.push_back(MakeAddress(N("HX.local"), IpAddress::V4(192, 0, 2, 5), 120));
  b.OnDatagram(clock.Now(), Inbound{kPeer, true}, *EncodeMessage(a));
  ASSERT_EQ(b.Candidates().size(), 1u);
  EXPECT_EQ(b.Candidates()[0].port, 7);
}

TEST(Browser, KnownAnswersInItsQueries) {
  FakeClock clock;
  Lan lan(clock);
  lan.Add(NodeConfig());
  lan.browser().Start(clock.Now());
  lan.Run(3s);
  clock.Advance(100s);
  lan.browser().Tick(clock.Now());
  auto out = lan.browser().TakeOutgoing();
  ASSERT_FALSE(out.empty());
  auto q = Decoded(out[0]);
  ASSERT_EQ(q.answers.size(), 1u);
  EXPECT_EQ(std::get<DnsName>(q.answers[0].data), N("node-a._dlog._udp.local"));
  EXPECT_LE(q.answers[0].ttl, kOtherRecordTtl - 100);
}

TEST(Browser, TableIsBounded) {
  FakeClock clock;
  SeededRng rng(5);
  Browser b(BrowserConfig{}, rng);
  b.Start(clock.Now());
  for (int batch = 0; batch < 6; ++batch) {
    DnsMessage m;
    m.flags = dnsflag::kResponse;
    for (int i = 0; i < 60; ++i) {
      std::string inst = "n" + std::to_string(batch * 60 + i);
      m.answers.push_back(
          MakePtr(N("_dlog._udp.local"), DnsName({inst, "_dlog", "_udp", "local"}), 4500));
    }
    b.OnDatagram(clock.Now(), Inbound{kPeer, true}, *EncodeMessage(m));
  }
  EXPECT_EQ(b.stats().dropped_full, 360u - kMaxInstances);
}

TEST(Browser, IgnoresResponsesNotFromPort5353AndMalformed) {
  FakeClock clock;
  SeededRng rng(5);
  Browser b(BrowserConfig{}, rng);
  b.Start(clock.Now());
  DnsMessage m;
  m.flags = dnsflag::kResponse;
  m.answers.push_back(MakePtr(N("_dlog._udp.local"), N("x._dlog._udp.local"), 4500));
  b.OnDatagram(clock.Now(), Inbound{UdpAddress{kPeer.ip, 53}, true}, *EncodeMessage(m));
  EXPECT_EQ(b.stats().records, 0u);
  b.OnDatagram(clock.Now(), Inbound{kPeer, true}, Bytes{0xff, 0xff});
  EXPECT_EQ(b.stats().malformed, 1u);
  // A PTR to a name outside the service type is not an instance.
  DnsMessage stray;
  stray.flags = dnsflag::kResponse;
  stray.answers.push_back(MakePtr(N("_dlog._udp.local"), N("x.y._http._tcp.local"), 4500));
  b.OnDatagram(clock.Now(), Inbound{kPeer, true}, *EncodeMessage(stray));
  EXPECT_EQ(b.stats().records, 0u);
}

TEST(Browser, LinkLocalAddressesGetTheScopeOfTheInterface) {
  FakeClock clock;
  SeededRng rng(5);
  Browser b(BrowserConfig{.ipv4 = false, .ipv6 = true, .service = {}}, rng);
  b.Start(clock.Now());
  DnsMessage m;
  m.flags = dnsflag::kResponse;
  m.answers.push_back(MakePtr(N("_dlog._udp.local"), N("x._dlog._udp.local"), 4500));
  m.additionals.push_back(MakeSrv(N("x._dlog._udp.local"), 7, N("hx.local"), 120));
  m.additionals.push_back(MakeAddress(N("hx.local"), *IpAddress::Parse("fe80::7"), 120));
  UdpAddress from{*IpAddress::Parse("fe80::7%4"), kMdnsPort};
  b.OnDatagram(clock.Now(), Inbound{from, true}, *EncodeMessage(m));
  ASSERT_EQ(b.Candidates().size(), 1u);
  EXPECT_EQ(b.Candidates()[0].addresses[0].ToString(), "fe80::7%4");
  // Heard over IPv4 (avahi publishes AAAA on IPv4 too): the interface gives the scope.
  Browser b4(BrowserConfig{}, rng);
  b4.Start(clock.Now());
  b4.OnDatagram(clock.Now(), Inbound{kPeer, true, 9}, *EncodeMessage(m));
  ASSERT_EQ(b4.Candidates().size(), 1u);
  EXPECT_EQ(b4.Candidates()[0].addresses[0].ToString(), "fe80::7%9");
}

}  // namespace
}  // namespace dlog::discovery
