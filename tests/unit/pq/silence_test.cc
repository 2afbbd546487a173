// Silence: tampered, truncated, replayed and misdirected messages, and senders that are
// not configured peers, get no reply; each drop is counted. Under a flood the cookie
// path engages and a legitimate peer still completes.
#include <gtest/gtest.h>

#include "pq/exchange.h"
#include "pq_sim.h"

namespace dlog::pq {
namespace {

using namespace std::chrono_literals;
using testing::Ep;
using testing::MakeKeys;
using testing::Node;
using testing::SimNet;
using testing::T0;

constexpr Algorithm kAlg = Algorithm::kKyber1024;

ExchangeOptions Opts() {
  ExchangeOptions o;
  o.algorithm = kAlg;
  o.rekey_interval = 5s;
  return o;
}

uint64_t Drops(const ExchangeCounters& c) {
  return c.bad_size + c.bad_mac + c.cookie_required + c.rate_limited + c.bad_key + c.auth_failed +
         c.unknown_peer + c.unknown_session + c.replayed + c.collisions + c.bad_cookie_reply +
         c.conflicting_fragments;
}

using Fragments = std::vector<Bytes>;

Fragments Take(Output& out) {
  Fragments f;
  for (auto& d : out.datagrams) f.push_back(d.bytes);
  out.Clear();
  return f;
}

Bytes BodyOf(const Fragments& frags) {
  Bytes body;
  for (const Bytes& f : frags)
    body.insert(body.end(), f.begin() + kFragmentHeaderSize, f.end() - kFragmentTrailerSize);
  return body;
}

// Driven by hand: a initiates to b, and every message of one exchange is kept.
struct Manual {
  Manual()
      : ka(MakeKeys(kAlg, 1)), kb(MakeKeys(kAlg, 2)), ra(3), rb(4), labels(Labels::Make(kAlg)) {
    a = std::move(*Exchange::Create(ka.pk, crypto::MlKemDecapsKey(ka.sk), ra, Opts(), now));
    b = std::move(*Exchange::Create(kb.pk, crypto::MlKemDecapsKey(kb.sk), rb, Opts(), now));
    PeerConfig to_b{kb.pk, {}, Ep(2), std::nullopt};
    PeerConfig to_a{ka.pk, {}, std::nullopt, std::nullopt};
    pa = *a->AddPeer(to_b, now, oa);
    pb = *b->AddPeer(to_a, now, ob);
    oa.Clear();
    ob.Clear();
  }
  Fragments ToB(const Fragments& in, const wg::Endpoint& from = Ep(1)) {
    for (const Bytes& d : in) b->HandleDatagram(from, d, now, ob);
    return Take(ob);
  }
  Fragments ToA(const Fragments& in) {
    for (const Bytes& d : in) a->HandleDatagram(Ep(2), d, now, oa);
    return Take(oa);
  }
  // Runs one exchange and keeps its messages.
  void Run() {
    a->Tick(now, oa);
    ih = Take(oa);
    rh = ToB(ih);
    ic = ToA(rh);
    ed = ToB(ic);
    ToA(ed);
  }
  // A copy of `body` as fragments to the holder of `recipient_pk`, correctly maced: what
  // an attacker who knows the public keys can send.
  Fragments Remac(MsgType t, const Bytes& body, ByteSpan recipient_pk) {
    return MakeFragments(t, ++msg_id, body, MacKeyFor(labels, recipient_pk));
  }

  TimePoint now = T0();
  testing::Keys ka, kb;
  SeededRng ra, rb;
  Labels labels;
  std::unique_ptr<Exchange> a, b;
  PeerId pa = 0, pb = 0;
  Output oa, ob;
  Fragments ih, rh, ic, ed;
  uint32_t msg_id = 1000;
};

TEST(Silence, AHandDrivenExchangeCompletes) {
  Manual m;
  m.Run();
  ASSERT_EQ(m.ih.size(), 3u);
  ASSERT_EQ(m.rh.size(), 3u);
  ASSERT_EQ(m.ic.size(), 1u);
  ASSERT_EQ(m.ed.size(), 1u);
  EXPECT_EQ(m.a->counters().exchanges_completed, 1u);
  EXPECT_EQ(m.b->counters().exchanges_completed, 1u);
  EXPECT_EQ(Drops(m.a->counters()) + Drops(m.b->counters()), 0u);
}

// Positions to flip in a body: both ends of every field, and a stride through the rest.
std::vector<size_t> Positions(MsgType t) {
  const KemSizes z = SizesOf(kAlg);
  std::vector<size_t> bounds;
  switch (t) {
    case MsgType::kInitHello:
      bounds = {0, 4, z.ek, z.ct, 48, 16};
      break;
    case MsgType::kRespHello:
      bounds = {0, 4, 4, z.ct, z.ct, kBiscuitSize, 16};
      break;
    case MsgType::kInitConf:
      bounds = {0, 4, 4, kBiscuitSize, 16};
      break;
    default:
      bounds = {0, 4, 8, 16};
  }
  std::vector<size_t> pos;
  size_t at = 0;
  for (size_t i = 1; i < bounds.size(); ++i) {
    at += bounds[i - 1];
    pos.push_back(at);                  // first byte of field i
    pos.push_back(at + bounds[i] - 1);  // last byte
  }
  const size_t size = MessageSize(t, kAlg);
  for (size_t p = 7; p < size; p += 211) pos.push_back(p);
  return pos;
}

TEST(Silence, TamperedInitHelloIsDroppedSilently) {
  Manual m;
  m.Run();
  const Bytes body = BodyOf(m.ih);
  for (size_t pos : Positions(MsgType::kInitHello)) {
    Bytes t = body;
    t[pos] ^= 0x01;
    const uint64_t before = Drops(m.b->counters());
    Fragments reply = m.ToB(m.Remac(MsgType::kInitHello, t, m.kb.pk));
    EXPECT_TRUE(reply.empty()) << "pos " << pos;
    EXPECT_TRUE(m.ob.psk_updates.empty());
    EXPECT_EQ(Drops(m.b->counters()), before + 1) << "pos " << pos;
  }
  EXPECT_EQ(m.b->counters().resp_hellos_sent, 1u);
}

TEST(Silence, TamperedRespHelloIsDroppedAndLeavesTheInitiatorIntact) {
  Manual m;
  m.a->Tick(m.now, m.oa);
  Fragments ih = Take(m.oa);
  Fragments rh = m.ToB(ih);
  const Bytes body = BodyOf(rh);
  for (size_t pos : Positions(MsgType::kRespHello)) {
    Bytes t = body;
    t[pos] ^= 0x80;
    const uint64_t before = Drops(m.a->counters());
    EXPECT_TRUE(m.ToA(m.Remac(MsgType::kRespHello, t, m.ka.pk)).empty()) << "pos " << pos;
    EXPECT_EQ(Drops(m.a->counters()), before + 1) << "pos " << pos;
  }
  // The genuine RespHello still completes the handshake.
  Fragments ic = m.ToA(rh);
  ASSERT_EQ(ic.size(), 1u);
  ASSERT_EQ(m.ToB(ic).size(), 1u);
  EXPECT_EQ(m.b->counters().exchanges_completed, 1u);
}

TEST(Silence, TamperedInitConfIsDroppedAndInstallsNothing) {
  Manual m;
  m.a->Tick(m.now, m.oa);
  Fragments ic = m.ToA(m.ToB(Take(m.oa)));
  const Bytes body = BodyOf(ic);
  for (size_t pos : Positions(MsgType::kInitConf)) {
    Bytes t = body;
    t[pos] ^= 0x10;
    const uint64_t before = Drops(m.b->counters());
    EXPECT_TRUE(m.ToB(m.Remac(MsgType::kInitConf, t, m.kb.pk)).empty()) << "pos " << pos;
    EXPECT_TRUE(m.ob.psk_updates.empty());
    EXPECT_EQ(Drops(m.b->counters()), before + 1) << "pos " << pos;
  }
  EXPECT_EQ(m.b->counters().exchanges_completed, 0u);
  EXPECT_EQ(m.ToB(ic).size(), 1u);
  EXPECT_EQ(m.b->counters().exchanges_completed, 1u);
}

TEST(Silence, TamperedEmptyDataIsDroppedAndInstallsNothing) {
  Manual m;
  m.a->Tick(m.now, m.oa);
  Fragments ed = m.ToB(m.ToA(m.ToB(Take(m.oa))));
  const Bytes body = BodyOf(ed);
  for (size_t pos : Positions(MsgType::kEmptyData)) {
    Bytes t = body;
    t[pos] ^= 0x04;
    const uint64_t before = Drops(m.a->counters());
    m.ToA(m.Remac(MsgType::kEmptyData, t, m.ka.pk));
    EXPECT_TRUE(m.oa.psk_updates.empty());
    EXPECT_EQ(Drops(m.a->counters()), before + 1) << "pos " << pos;
  }
  EXPECT_EQ(m.a->counters().exchanges_completed, 0u);
  m.ToA(ed);
  EXPECT_EQ(m.a->counters().exchanges_completed, 1u);
}

TEST(Silence, AnyBitFlipOnTheWireFailsTheMacOrTheFormat) {
  // Without the recipient's public key an attacker cannot re-mac: every flip outside the
  // cookie field (advisory, like WireGuard's mac2) is caught before any crypto runs.
  Manual m;
  m.a->Tick(m.now, m.oa);
  const Fragments ih = Take(m.oa);
  for (size_t f = 0; f < ih.size(); ++f) {
    for (size_t pos = 0; pos < ih[f].size() - kCookieSize; pos += 13) {
      Bytes t = ih[f];
      t[pos] ^= 0x02;
      const ExchangeCounters before = m.b->counters();
      EXPECT_TRUE(m.ToB({t}).empty());
      const ExchangeCounters& after = m.b->counters();
      EXPECT_EQ(after.bad_mac + after.bad_size, before.bad_mac + before.bad_size + 1)
          << "fragment " << f << " pos " << pos;
    }
  }
  EXPECT_EQ(m.b->counters().resp_hellos_sent, 0u);
}

TEST(Silence, TruncatedOrExtendedFragmentsAreDropped) {
  Manual m;
  m.Run();
  for (const Fragments* msg : {&m.ih, &m.rh, &m.ic, &m.ed}) {
    for (const Bytes& frag : *msg) {
      for (size_t cut : {size_t(1), size_t(16), size_t(33), frag.size() - 1, frag.size()}) {
        Bytes t(frag.begin(), frag.end() - cut);
        const ExchangeCounters before = m.b->counters();
        EXPECT_TRUE(m.ToB({t}).empty());
        EXPECT_EQ(m.b->counters().bad_size + m.b->counters().bad_mac,
                  before.bad_size + before.bad_mac + 1)
            << "cut " << cut;
      }
      Bytes longer = frag;
      longer.push_back(0);
      const uint64_t before = m.b->counters().bad_size;
      EXPECT_TRUE(m.ToB({longer}).empty());
      EXPECT_EQ(m.b->counters().bad_size, before + 1);
    }
  }
  // A WireGuard message, or noise, is not ours.
  const uint64_t before = m.b->counters().bad_size;
  EXPECT_TRUE(m.ToB({Bytes{1, 0, 0, 0, 9, 9}}).empty());
  EXPECT_EQ(m.b->counters().bad_size, before + 1);
}

TEST(Silence, ReplaysAreDroppedSilently) {
  Manual m;
  m.Run();
  ASSERT_EQ(m.a->counters().exchanges_completed, 1u);
  // InitHello of a completed exchange.
  EXPECT_TRUE(m.ToB(m.ih).empty());
  EXPECT_EQ(m.b->counters().replayed, 1u);
  // RespHello and EmptyData name an initiation that is over.
  EXPECT_TRUE(m.ToA(m.rh).empty());
  EXPECT_TRUE(m.ToA(m.ed).empty());
  EXPECT_EQ(m.a->counters().unknown_session, 2u);
  // InitConf: a repeat soon after is a retransmission and gets the same EmptyData,
  // installing nothing; once the window has passed it is a replay.
  Fragments again = m.ToB(m.ic);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0], m.ed[0]);
  EXPECT_TRUE(m.ob.psk_updates.empty());
  m.now += kRetransmitWindow;
  EXPECT_TRUE(m.ToB(m.ic).empty());
  EXPECT_EQ(m.b->counters().replayed, 2u);
  EXPECT_EQ(m.b->counters().exchanges_completed, 1u);
}

TEST(Silence, AnOlderInitConfIsAReplayEvenAfterANewerExchange) {
  Manual m;
  m.Run();
  const Fragments old_ic = m.ic;
  m.now += 5s;
  m.Run();
  ASSERT_EQ(m.b->counters().exchanges_completed, 2u);
  EXPECT_TRUE(m.ToB(old_ic).empty());
  EXPECT_EQ(m.b->counters().replayed, 1u);
  EXPECT_EQ(m.b->counters().exchanges_completed, 2u);
}

TEST(Silence, AnInitConfFromBeforeTheLatestKeyIsRefused) {
  // b answers a's InitHello, then completes a different exchange with a; the InitConf
  // of the first arrives late and must not move b off the key a holds.
  Manual m;
  m.a->Tick(m.now, m.oa);
  Fragments ih1 = Take(m.oa);
  Fragments rh1 = m.ToB(ih1);
  Fragments ic1 = m.ToA(rh1);  // a now waits for EmptyData of exchange 1
  // a gives up on exchange 1 and runs exchange 2.
  (void)ic1;
  m.now += kHandshakeAbort;
  m.a->Tick(m.now, m.oa);
  Fragments ih2 = Take(m.oa);
  ASSERT_FALSE(ih2.empty());
  Fragments ic2 = m.ToA(m.ToB(ih2));
  m.ToA(m.ToB(ic2));
  ASSERT_EQ(m.b->counters().exchanges_completed, 1u);
  ASSERT_EQ(m.a->counters().exchanges_completed, 1u);
  EXPECT_TRUE(m.ToB(ic1).empty());
  EXPECT_EQ(m.b->counters().replayed, 1u);
  EXPECT_EQ(m.b->counters().exchanges_completed, 1u);
}

TEST(Silence, MisdirectedMessagesFailTheMac) {
  Manual m;
  m.Run();
  // c also has a as a peer, but a's messages were maced for b.
  auto kc = MakeKeys(kAlg, 7);
  SeededRng rc(8);
  auto c = std::move(*Exchange::Create(kc.pk, crypto::MlKemDecapsKey(kc.sk), rc, Opts(), m.now));
  Output oc;
  ASSERT_TRUE(c->AddPeer({m.ka.pk, {}, std::nullopt, std::nullopt}, m.now, oc).ok());
  oc.Clear();
  for (const Fragments* msg : {&m.ih, &m.ic})
    for (const Bytes& d : *msg) c->HandleDatagram(Ep(1), d, m.now, oc);
  EXPECT_TRUE(oc.datagrams.empty());
  EXPECT_TRUE(oc.psk_updates.empty());
  EXPECT_EQ(c->counters().bad_mac, 4u);
  // b's answers to a, sent to c: same.
  for (const Fragments* msg : {&m.rh, &m.ed})
    for (const Bytes& d : *msg) c->HandleDatagram(Ep(2), d, m.now, oc);
  EXPECT_TRUE(oc.datagrams.empty());
  EXPECT_EQ(c->counters().bad_mac, 8u);
}

TEST(Silence, ASenderThatIsNotAPeerGetsNoReply) {
  Manual m;
  // A stranger who knows b's public key runs the protocol against b.
  auto ks = MakeKeys(kAlg, 9);
  SeededRng rs(10);
  auto s = std::move(*Exchange::Create(ks.pk, crypto::MlKemDecapsKey(ks.sk), rs, Opts(), m.now));
  Output os;
  ASSERT_TRUE(s->AddPeer({m.kb.pk, {}, Ep(2), std::nullopt}, m.now, os).ok());
  os.Clear();
  s->Tick(m.now, os);
  Fragments ih = Take(os);
  ASSERT_EQ(ih.size(), 3u);
  EXPECT_TRUE(m.ToB(ih, Ep(66)).empty());
  EXPECT_EQ(m.b->counters().unknown_peer, 1u);
  // Without b's public key: not even the mac.
  Fragments wrong = MakeFragments(MsgType::kInitHello, 5, BodyOf(ih), MacKeyFor(m.labels, ks.pk));
  EXPECT_TRUE(m.ToB(wrong, Ep(66)).empty());
  EXPECT_EQ(m.b->counters().bad_mac, 3u);
  EXPECT_EQ(m.b->counters().resp_hellos_sent, 0u);
}

TEST(Silence, ForgedCookieRepliesAreDropped) {
  Manual m;
  m.a->Tick(m.now, m.oa);
  Fragments ih = Take(m.oa);
  Bytes reply(kCookieReplySize, 0x55);
  reply[0] = uint8_t(MsgType::kCookieReply);
  reply[1] = kWireVersion;
  reply[2] = reply[3] = 0;
  std::copy(ih[0].begin() + 4, ih[0].begin() + 8, reply.begin() + 4);  // the right msg_id
  EXPECT_TRUE(m.ToA({reply}).empty());
  reply[4] ^= 1;  // names no message
  EXPECT_TRUE(m.ToA({reply}).empty());
  EXPECT_EQ(m.a->counters().bad_cookie_reply, 2u);
  EXPECT_FALSE(m.a->GetPeerStatus(m.pa)->has_cookie);
}

// --- cookies under load ---------------------------------------------------------------

TEST(Cookie, UnderLoadAnInitHelloWithoutCookieGetsOnlyACookieReply) {
  Manual m;
  m.b->SetLoadMode(LoadMode::kForceUnderLoad);
  m.a->Tick(m.now, m.oa);
  Fragments ih = Take(m.oa);
  Fragments reply = m.ToB(ih);
  ASSERT_EQ(reply.size(), 1u) << "one reply, to fragment 0 only";
  EXPECT_EQ(reply[0].size(), kCookieReplySize);
  EXPECT_LT(reply[0].size(), ih[0].size()) << "no amplification";
  EXPECT_EQ(m.b->counters().cookie_required, 3u);
  EXPECT_EQ(m.b->counters().resp_hellos_sent, 0u);
  // a takes the cookie; its retransmission carries it and is answered.
  EXPECT_TRUE(m.ToA(reply).empty());
  EXPECT_TRUE(m.a->GetPeerStatus(m.pa)->has_cookie);
  m.now += 1300ms;
  m.a->Tick(m.now, m.oa);
  Fragments retry = Take(m.oa);
  ASSERT_EQ(retry.size(), 3u);
  Fragments rh = m.ToB(retry);
  ASSERT_EQ(rh.size(), 3u);
  Fragments ed = m.ToB(m.ToA(rh));
  ASSERT_EQ(ed.size(), 1u);
  m.ToA(ed);
  EXPECT_EQ(m.a->counters().exchanges_completed, 1u);
  // A cookie is bound to the source address: from elsewhere it is refused.
  Manual m2;
  m2.b->SetLoadMode(LoadMode::kForceUnderLoad);
  m2.a->Tick(m2.now, m2.oa);
  Fragments ih2 = Take(m2.oa);
  m2.ToA(m2.ToB(ih2));
  m2.now += 1300ms;
  m2.a->Tick(m2.now, m2.oa);
  EXPECT_EQ(m2.ToB(Take(m2.oa), Ep(9)).size(), 1u) << "only a new cookie reply";
}

TEST(Cookie, AFloodEngagesTheCookiePathAndTheLegitimatePeerStillCompletes) {
  SimNet net(3, T0());
  Node a(MakeKeys(kAlg, 1), 2, Opts(), Ep(1), T0());
  Node b(MakeKeys(kAlg, 3), 4, Opts(), Ep(2), T0());
  net.AddNode(&a);
  net.AddNode(&b);
  // The attacker knows b's public key: its InitHellos pass the mac and cost b a
  // decapsulation each, until load is detected.
  auto ks = MakeKeys(kAlg, 5);
  SeededRng rs(6);
  auto s = std::move(*Exchange::Create(ks.pk, crypto::MlKemDecapsKey(ks.sk), rs, Opts(), T0()));
  Output os;
  ASSERT_TRUE(s->AddPeer({b.keys.pk, {}, Ep(2), std::nullopt}, T0(), os).ok());
  os.Clear();
  s->Tick(T0(), os);
  Fragments flood = Take(os);
  Output out;
  PeerId pb = b.Add(a, false, T0(), out);
  net.Collect(b, out);
  bool under_load_seen = false;
  PeerId pa = 0;
  for (int step = 0; step < 300; ++step) {  // 3 s of flood, 40 InitHellos per 10 ms
    for (int i = 0; i < 40; ++i)
      for (const Bytes& f : flood)
        net.Inject(Ep(uint8_t(100 + i % 100), uint16_t(1000 + step)), Ep(2), f);
    if (step == 20) {  // the legitimate peer starts once the flood is on
      pa = a.Add(b, true, net.now(), out);
      net.Collect(a, out);
    }
    net.RunFor(10ms);
    under_load_seen |= b.ex->UnderLoad(net.now());
  }
  EXPECT_TRUE(under_load_seen);
  const ExchangeCounters& cb = b.ex->counters();
  EXPECT_GT(cb.cookie_replies_sent, 0u);
  EXPECT_GT(cb.cookie_required, 1000u);
  EXPECT_LT(cb.unknown_peer, 200u) << "decapsulations spent on the flood stay bounded";
  EXPECT_GE(a.ex->counters().cookies_received, 1u);
  auto ka = a.Last(pa), kb = b.Last(pb);
  ASSERT_TRUE(ka && kb);
  EXPECT_EQ(ka->source, PskSource::kExchange);
  EXPECT_EQ(ka->psk, kb->psk);
}

}  // namespace
}  // namespace dlog::pq
