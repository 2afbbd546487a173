#include "discovery/responder.h"

#include <gtest/gtest.h>

#include "mdns_test_util.h"

namespace dlog::discovery {
namespace {

using namespace std::chrono_literals;
using testing::Decoded;
using testing::Find;
using testing::kPeer;
using testing::N;
using testing::NodeConfig;
using testing::Query;
using testing::RunUntil;

class ResponderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = Responder::Create(NodeConfig(), rng_);
    ASSERT_TRUE(r.ok()) << r.error();
    responder_.emplace(std::move(*r));
  }
  Responder& r() { return *responder_; }
  // Start, probe and announce; afterwards the responder is running and quiet.
  std::vector<Datagram> BringUp() {
    r().Start(clock_.Now());
    auto sent = RunUntil(r(), clock_, 10s);
    EXPECT_EQ(r().state(), Responder::State::kRunning);
    return sent;
  }
  std::vector<Datagram> Ask(Bytes query, UdpAddress from = kPeer, bool multicast = true) {
    r().OnDatagram(clock_.Now(), Inbound{from, multicast}, query);
    return RunUntil(r(), clock_, 200ms);
  }

  FakeClock clock_;
  SeededRng rng_{7};
  std::optional<Responder> responder_;
};

TEST_F(ResponderTest, ProbesThenAnnounces) {
  auto sent = BringUp();
  ASSERT_EQ(sent.size(), 6u);  // 3 probes + 3 announcements (IPv4 only)
  for (int i = 0; i < 3; ++i) {
    auto m = Decoded(sent[i]);
    EXPECT_EQ(sent[i].to, (UdpAddress{kMdnsGroupV4, kMdnsPort}));
    EXPECT_FALSE(m.is_response());
    ASSERT_EQ(m.questions.size(), 2u);
    EXPECT_EQ(m.questions[0].name, N("node-a._dlog._udp.local"));
    EXPECT_EQ(m.questions[0].type, rrtype::kAny);
    EXPECT_TRUE(m.questions[0].unicast_response);
    EXPECT_NE(Find(m.authorities, rrtype::kSrv), nullptr);
    EXPECT_NE(Find(m.authorities, rrtype::kA), nullptr);
  }
  auto a = Decoded(sent[3]);
  ASSERT_TRUE(a.is_response());
  const auto* srv = Find(a.answers, rrtype::kSrv);
  ASSERT_NE(srv, nullptr);
  EXPECT_EQ(std::get<SrvData>(srv->data).port, 51820);
  EXPECT_EQ(std::get<SrvData>(srv->data).target, N("host-a.local"));
  EXPECT_EQ(srv->ttl, kHostRecordTtl);
  EXPECT_TRUE(srv->cache_flush);
  const auto* ptr = Find(a.answers, rrtype::kPtr);
  ASSERT_NE(ptr, nullptr);
  EXPECT_EQ(ptr->ttl, kOtherRecordTtl);
  EXPECT_FALSE(ptr->cache_flush);  // shared record
  EXPECT_EQ(Find(a.answers, rrtype::kTxt)->ttl, kOtherRecordTtl);
  EXPECT_EQ(Find(a.answers, rrtype::kA)->ttl, kHostRecordTtl);
}

TEST_F(ResponderTest, AnnouncementsOneThenTwoSecondsApart) {
  r().Start(clock_.Now());
  std::vector<TimePoint> times;
  for (int i = 0; i < 1000 && r().NextDeadline(); ++i) {
    clock_.Advance(*r().NextDeadline() - clock_.Now());
    r().Tick(clock_.Now());
    for (auto& d : r().TakeOutgoing()) {
      if (Decoded(d).is_response()) times.push_back(clock_.Now());
    }
  }
  ASSERT_EQ(times.size(), 3u);
  EXPECT_EQ(times[1] - times[0], 1s);
  EXPECT_EQ(times[2] - times[1], 2s);
}

TEST_F(ResponderTest, AnswersMulticastQueryToTheGroupAfterADelay) {
  BringUp();
  clock_.Advance(5s);
  r().OnDatagram(clock_.Now(), Inbound{kPeer, true},
                 Query({Question{N("_dlog._udp.local"), rrtype::kPtr, kClassIn, false}}));
  EXPECT_TRUE(r().TakeOutgoing().empty());  // shared answer: 20-120 ms later
  ASSERT_TRUE(r().NextDeadline());
  Duration delay = *r().NextDeadline() - clock_.Now();
  EXPECT_GE(delay, 20ms);
  EXPECT_LE(delay, 120ms);
  auto sent = RunUntil(r(), clock_, 200ms);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to, (UdpAddress{kMdnsGroupV4, kMdnsPort}));
  auto m = Decoded(sent[0]);
  EXPECT_EQ(m.questions.size(), 0u);
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(std::get<DnsName>(m.answers[0].data), N("node-a._dlog._udp.local"));
  // DNS-SD §12.1: SRV, TXT, the address and NSECs come along.
  EXPECT_NE(Find(m.additionals, rrtype::kSrv), nullptr);
  EXPECT_NE(Find(m.additionals, rrtype::kTxt), nullptr);
  EXPECT_NE(Find(m.additionals, rrtype::kA), nullptr);
  EXPECT_NE(Find(m.additionals, rrtype::kNsec), nullptr);
}

TEST_F(ResponderTest, AnswersQuQueryByUnicast) {
  BringUp();
  clock_.Advance(5s);  // announced within the last quarter TTL: unicast is enough
  auto sent = Ask(Query({Question{N("node-a._dlog._udp.local"), rrtype::kSrv, kClassIn, true}}));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to, kPeer);
  EXPECT_EQ(std::get<SrvData>(Decoded(sent[0]).answers[0].data).port, 51820);
}

TEST_F(ResponderTest, QuQueryGoesToTheGroupWhenNotMulticastRecently) {
  BringUp();
  clock_.Advance(60s);  // > 120 s / 4 since the SRV was last multicast
  auto sent = Ask(Query({Question{N("node-a._dlog._udp.local"), rrtype::kSrv, kClassIn, true}}));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to, (UdpAddress{kMdnsGroupV4, kMdnsPort}));
}

TEST_F(ResponderTest, LegacyUnicastQuery) {
  BringUp();
  UdpAddress dig{IpAddress::V4(10, 0, 0, 7), 40123};
  auto sent =
      Ask(Query({Question{N("_dlog._udp.local"), rrtype::kPtr, kClassIn, false}}, {}, 0xabcd), dig);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to, dig);  // to the querier's own port, at once
  auto m = Decoded(sent[0]);
  EXPECT_EQ(m.id, 0xabcd);            // ID echoed
  ASSERT_EQ(m.questions.size(), 1u);  // question repeated
  EXPECT_EQ(m.questions[0].name, N("_dlog._udp.local"));
  ASSERT_FALSE(m.answers.empty());
  for (const auto* sec : {&m.answers, &m.additionals}) {
    for (const auto& rr : *sec) {
      EXPECT_FALSE(rr.cache_flush) << TypeName(rr.type);
      EXPECT_LE(rr.ttl, 10u) << TypeName(rr.type);
    }
  }
  EXPECT_EQ(r().stats().legacy_queries, 1u);
}

TEST_F(ResponderTest, KnownAnswerSuppression) {
  BringUp();
  clock_.Advance(5s);
  auto ptr = MakePtr(N("_dlog._udp.local"), N("node-a._dlog._udp.local"), kOtherRecordTtl);
  Question q{N("_dlog._udp.local"), rrtype::kPtr, kClassIn, false};
  EXPECT_TRUE(Ask(Query({q}, {ptr})).empty());
  EXPECT_EQ(r().stats().suppressed, 1u);
  ptr.ttl = kOtherRecordTtl / 2 - 1;  // less than half: the querier needs a fresh copy
  EXPECT_EQ(Ask(Query({q}, {ptr})).size(), 1u);
}

TEST_F(ResponderTest, MulticastAtMostOncePerSecond) {
  BringUp();
  clock_.Advance(5s);
  Question q{N("node-a._dlog._udp.local"), rrtype::kTxt, kClassIn, false};
  EXPECT_EQ(Ask(Query({q})).size(), 1u);
  EXPECT_EQ(Ask(Query({q})).size(), 0u);  // 200 ms later
  clock_.Advance(1s);
  EXPECT_EQ(Ask(Query({q})).size(), 1u);
}

TEST_F(ResponderTest, IgnoresQuestionsForOthers) {
  BringUp();
  EXPECT_TRUE(Ask(Query({Question{N("_http._tcp.local"), rrtype::kPtr, kClassIn, false}})).empty());
  EXPECT_TRUE(Ask(Query({Question{N("host-a.local"), rrtype::kAaaa, kClassIn, false}})).empty());
}

TEST_F(ResponderTest, GoodbyeOnShutdown) {
  BringUp();
  r().Shutdown(clock_.Now());
  auto sent = r().TakeOutgoing();
  ASSERT_EQ(sent.size(), 1u);
  auto m = Decoded(sent[0]);
  EXPECT_EQ(m.answers.size(), 5u);
  for (const auto& rr : m.answers) EXPECT_EQ(rr.ttl, 0u);
  EXPECT_EQ(r().state(), Responder::State::kStopped);
  EXPECT_FALSE(r().NextDeadline());
  EXPECT_TRUE(Ask(Query({Question{N("_dlog._udp.local"), rrtype::kPtr, kClassIn, false}})).empty());
}

TEST_F(ResponderTest, MalformedDroppedAndCounted) {
  BringUp();
  Bytes junk = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
  EXPECT_TRUE(Ask(junk).empty());
  EXPECT_TRUE(Ask(Bytes{}).empty());
  EXPECT_EQ(r().stats().malformed, 2u);
}

TEST_F(ResponderTest, ConflictWhileProbingRenames) {
  r().Start(clock_.Now());
  RunUntil(r(), clock_, 300ms);  // first probe out
  DnsMessage other;
  other.flags = dnsflag::kResponse | dnsflag::kAuthoritative;
  other.answers.push_back(MakeSrv(N("node-a._dlog._udp.local"), 9999, N("elsewhere.local"), 120));
  r().OnDatagram(clock_.Now(), Inbound{kPeer, true}, *EncodeMessage(other));
  EXPECT_EQ(r().instance(), "node-a (2)");
  EXPECT_EQ(r().host(), "host-a-2");
  EXPECT_EQ(r().stats().conflicts, 1u);
  RunUntil(r(), clock_, 10s);
  EXPECT_EQ(r().state(), Responder::State::kRunning);
}

TEST_F(ResponderTest, SimultaneousProbeTieBreak) {
  r().Start(clock_.Now());
  RunUntil(r(), clock_, 300ms);  // probing
  auto probe_with = [&](IpAddress a) {
    DnsMessage p;
    p.questions.push_back(Question{N("host-a.local"), rrtype::kAny, kClassIn, true});
    auto rr = MakeAddress(N("host-a.local"), a, kHostRecordTtl);
    rr.cache_flush = false;
    p.authorities.push_back(rr);
    return *EncodeMessage(p);
  };
  auto before = r().NextDeadline();
  // Theirs is earlier (10.0.0.0 < 10.0.0.1): we win and go on.
  r().OnDatagram(clock_.Now(), Inbound{kPeer, true}, probe_with(IpAddress::V4(10, 0, 0, 0)));
  EXPECT_EQ(r().NextDeadline(), before);
  // Theirs is later: we defer one second and probe again, keeping our names.
  r().OnDatagram(clock_.Now(), Inbound{kPeer, true}, probe_with(IpAddress::V4(10, 0, 0, 2)));
  EXPECT_EQ(r().NextDeadline(), clock_.Now() + 1s);
  EXPECT_EQ(r().state(), Responder::State::kProbing);
  EXPECT_EQ(r().host(), "host-a");
  // Our own probe looped back is identical: no effect.
  auto own = RunUntil(r(), clock_, 1100ms);
  ASSERT_FALSE(own.empty());
  before = r().NextDeadline();
  r().OnDatagram(clock_.Now(), Inbound{kPeer, true}, own[0].payload);
  EXPECT_EQ(r().NextDeadline(), before);
}

TEST_F(ResponderTest, OwnRecordsLoopedBackAreNoConflict) {
  auto sent = BringUp();
  for (const auto& d : sent) r().OnDatagram(clock_.Now(), Inbound{kPeer, true}, d.payload);
  EXPECT_EQ(r().stats().conflicts, 0u);
  EXPECT_EQ(r().instance(), "node-a");
}

TEST_F(ResponderTest, ReannouncesNewAddressesAndSaysGoodbyeToOld) {
  BringUp();
  r().SetAddresses(clock_.Now(), {IpAddress::V4(10, 0, 0, 2)});
  auto sent = RunUntil(r(), clock_, 10s);
  ASSERT_GE(sent.size(), 2u);
  auto bye = Decoded(sent[0]);
  ASSERT_EQ(bye.answers.size(), 1u);
  EXPECT_EQ(bye.answers[0].ttl, 0u);
  EXPECT_EQ(std::get<IpAddress>(bye.answers[0].data), IpAddress::V4(10, 0, 0, 1));
  auto hello = Decoded(sent[1]);
  EXPECT_EQ(std::get<IpAddress>(Find(hello.answers, rrtype::kA)->data), IpAddress::V4(10, 0, 0, 2));
}

TEST(ResponderCreate, RejectsBadConfigs) {
  SeededRng rng(1);
  auto c = NodeConfig();
  c.instance = std::string(64, 'x');
  EXPECT_FALSE(Responder::Create(c, rng).ok());
  c = NodeConfig();
  c.host = "a.b";
  EXPECT_FALSE(Responder::Create(c, rng).ok());
  c = NodeConfig();
  c.port = 0;
  EXPECT_FALSE(Responder::Create(c, rng).ok());
  c = NodeConfig();
  c.addresses.clear();
  EXPECT_FALSE(Responder::Create(c, rng).ok());
  c = NodeConfig();
  c.txt = {{"a=b", "c"}};
  EXPECT_FALSE(Responder::Create(c, rng).ok());
}

TEST(ResponderDualStack, AnnouncesOnBothGroups) {
  SeededRng rng(2);
  FakeClock clock;
  auto c = NodeConfig();
  c.ipv6 = true;
  c.addresses.push_back(*IpAddress::Parse("fd00::1"));
  auto r = *Responder::Create(c, rng);
  r.Start(clock.Now());
  auto sent = RunUntil(r, clock, 10s);
  ASSERT_EQ(sent.size(), 12u);
  EXPECT_EQ(sent[6].to.ip, kMdnsGroupV4);
  EXPECT_EQ(sent[7].to.ip, kMdnsGroupV6);
  EXPECT_NE(Find(Decoded(sent[7]).answers, rrtype::kAaaa), nullptr);
}

}  // namespace
}  // namespace dlog::discovery
