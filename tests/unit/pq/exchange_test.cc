// The exchange end to end over a simulated network with a fake clock: agreement,
// epochs, retransmission, staleness, collisions, and faults (loss, duplication,
// reordering) replayed from seeds.
#include "pq/exchange.h"

#include <gtest/gtest.h>

#include <set>

#include "pq_sim.h"

namespace dlog::pq {
namespace {

using namespace std::chrono_literals;
using testing::Ep;
using testing::MakeKeys;
using testing::Node;
using testing::SimNet;
using testing::T0;

ExchangeOptions Opts(Algorithm a = Algorithm::kKyber1024, Duration interval = 5s) {
  ExchangeOptions o;
  o.algorithm = a;
  o.rekey_interval = interval;
  return o;
}

// Two nodes: a (10.0.0.1) and b (10.0.0.2), each the other's peer.
struct Pair {
  Pair(ExchangeOptions oa, ExchangeOptions ob, bool a_knows_b, bool b_knows_a, uint64_t seed = 1)
      : net(seed, T0()),
        a(MakeKeys(oa.algorithm, seed * 10 + 1), seed * 10 + 2, oa, Ep(1), T0()),
        b(MakeKeys(ob.algorithm, seed * 10 + 3), seed * 10 + 4, ob, Ep(2), T0()) {
    net.AddNode(&a);
    net.AddNode(&b);
    Output out;
    pa = a.Add(b, a_knows_b, T0(), out);
    net.Collect(a, out);
    pb = b.Add(a, b_knows_a, T0(), out);
    net.Collect(b, out);
  }
  explicit Pair(Algorithm alg = Algorithm::kKyber1024, uint64_t seed = 1)
      : Pair(Opts(alg), Opts(alg), true, false, seed) {}

  bool Agree() const {
    auto ka = a.Last(pa), kb = b.Last(pb);
    return ka && kb && ka->source == PskSource::kExchange && kb->source == PskSource::kExchange &&
           ka->psk == kb->psk;
  }

  SimNet net;
  Node a, b;
  PeerId pa = 0, pb = 0;
};

TEST(Exchange, AddPeerEmitsARandomNonZeroPskAtOnce) {
  Pair p;
  ASSERT_EQ(p.a.psks.size(), 1u);
  EXPECT_EQ(p.a.psks[0].source, PskSource::kRandomInitial);
  EXPECT_FALSE(p.a.psks[0].psk.IsZero());
  EXPECT_NE(p.a.psks[0].psk, p.b.psks[0].psk);
  EXPECT_EQ(p.a.psks[0].wg_public_key[0], 2);  // names b's WireGuard key
}

TEST(Exchange, BothSidesDeriveTheSamePsk) {
  for (Algorithm alg : {Algorithm::kKyber1024, Algorithm::kKyber768}) {
    Pair p(alg);
    p.net.RunFor(1s);
    ASSERT_TRUE(p.Agree()) << AlgorithmName(alg);
    EXPECT_EQ(p.a.Last(p.pa)->epoch, 1u);
    EXPECT_EQ(p.b.Last(p.pb)->epoch, 1u);
    EXPECT_FALSE(p.a.Last(p.pa)->psk.IsZero());
    EXPECT_EQ(p.a.ex->counters().exchanges_completed, 1u);
    EXPECT_EQ(p.b.ex->counters().exchanges_completed, 1u);
    EXPECT_EQ(p.a.ex->counters().retransmissions, 0u);
    // b learnt a's endpoint from the InitConf.
    EXPECT_EQ(p.b.ex->GetPeerStatus(p.pb)->endpoint, Ep(1));
  }
}

TEST(Exchange, MessagesAreFragmentedBelowTheIpv6MinimumMtu) {
  Pair p;
  size_t max_size = 0, count = 0;
  p.net.set_filter([&](const wg::Endpoint&, const wg::Endpoint&, ByteSpan d) {
    max_size = std::max(max_size, d.size());
    ++count;
    return true;
  });
  p.net.RunFor(1s);
  ASSERT_TRUE(p.Agree());
  EXPECT_LE(max_size, 1232u);
  EXPECT_EQ(count, 3u + 3u + 1u + 1u);  // InitHello, RespHello: 3 fragments each
}

TEST(Exchange, NewPskEveryEpochAndTheSameSideKeepsInitiating) {
  Pair p(Opts(), Opts(), true, true);  // both know each other: both may initiate
  p.net.RunFor(1s);
  ASSERT_TRUE(p.Agree());
  std::vector<Key> seen{p.a.Last(p.pa)->psk};
  for (int epoch = 2; epoch <= 6; ++epoch) {
    p.net.RunFor(5s);
    ASSERT_TRUE(p.Agree()) << "epoch " << epoch;
    const Key k = p.a.Last(p.pa)->psk;
    for (const Key& old : seen) EXPECT_NE(k, old) << "epoch " << epoch;
    seen.push_back(k);
  }
  // Six epochs in 26 s, not more (no duplicate exchanges).
  EXPECT_EQ(p.a.ExchangedCount(p.pa), 6u);
  EXPECT_EQ(p.b.ExchangedCount(p.pb), 6u);
  EXPECT_EQ(p.a.ex->counters().collisions + p.b.ex->counters().collisions, 1u)
      << "only the start-up collision: a " << p.a.ex->counters().collisions << " b "
      << p.b.ex->counters().collisions << " abandoned a "
      << p.a.ex->counters().initiations_abandoned << " b "
      << p.b.ex->counters().initiations_abandoned << " hellos a "
      << p.a.ex->counters().init_hellos_sent << " b " << p.b.ex->counters().init_hellos_sent;
}

TEST(Exchange, EpochLengthFollowsRekeyInterval) {
  Pair p(Opts(Algorithm::kKyber1024, 120s), Opts(Algorithm::kKyber1024, 120s), true, false);
  p.net.RunFor(1s);
  ASSERT_TRUE(p.Agree());
  p.net.RunFor(118s);
  EXPECT_EQ(p.a.ExchangedCount(p.pa), 1u);
  p.net.RunFor(2s);
  EXPECT_EQ(p.a.ExchangedCount(p.pa), 2u);
  EXPECT_TRUE(p.Agree());
}

TEST(Exchange, RetransmitsWithBackoffUntilThePeerAnswers) {
  Pair p;
  std::vector<TimePoint> hello_times;
  bool blocked = true;
  p.net.set_filter([&](const wg::Endpoint& from, const wg::Endpoint&, ByteSpan d) {
    if (from == Ep(1) && d[0] == uint8_t(MsgType::kInitHello) && d[2] == 0)
      hello_times.push_back(p.net.now());
    return !blocked;
  });
  p.net.RunFor(20s);
  EXPECT_FALSE(p.a.Last(p.pa)->source == PskSource::kExchange);
  // Sent at 0, then after ~1, 2, 4, 5, 5… s (each + up to 250 ms jitter).
  ASSERT_GE(hello_times.size(), 6u);
  const Duration expect[] = {1s, 2s, 4s, 5s, 5s};
  for (size_t i = 0; i < 5; ++i) {
    Duration gap = hello_times[i + 1] - hello_times[i];
    EXPECT_GE(gap, expect[i]) << i;
    EXPECT_LT(gap, expect[i] + 251ms) << i;
  }
  EXPECT_EQ(p.a.ex->counters().retransmissions, hello_times.size() - 1);
  blocked = false;
  p.net.RunFor(5300ms);  // one retransmission interval
  EXPECT_TRUE(p.Agree());
}

TEST(Exchange, LostEmptyDataIsRecoveredByInitConfRetransmission) {
  Pair p;
  int dropped = 0;
  p.net.set_filter([&](const wg::Endpoint&, const wg::Endpoint&, ByteSpan d) {
    if (d[0] == uint8_t(MsgType::kEmptyData) && dropped < 2) {
      ++dropped;
      return false;
    }
    return true;
  });
  p.net.RunFor(500ms);
  // b installed on InitConf; a waits for the acknowledgement.
  EXPECT_EQ(p.b.ExchangedCount(p.pb), 1u);
  EXPECT_EQ(p.a.ExchangedCount(p.pa), 0u);
  EXPECT_TRUE(p.a.ex->GetPeerStatus(p.pa)->awaiting_empty_data);
  p.net.RunFor(4s);
  ASSERT_TRUE(p.Agree());
  EXPECT_EQ(p.b.ExchangedCount(p.pb), 1u) << "a repeated InitConf installs nothing new";
  EXPECT_EQ(p.b.ex->counters().retransmissions_answered, 2u);
  EXPECT_EQ(p.b.ex->counters().empty_datas_sent, 1u);
}

TEST(Exchange, StalePskIsReplacedByARandomKeyAndRecoversWhenThePathHeals) {
  Pair p(Opts(), Opts(), true, true);
  p.net.RunFor(1s);
  ASSERT_TRUE(p.Agree());
  const Key good = p.a.Last(p.pa)->psk;
  bool cut = true;
  p.net.set_filter([&](const wg::Endpoint&, const wg::Endpoint&, ByteSpan) { return !cut; });
  p.net.RunFor(14s);  // less than 3 epochs (15 s) after the exchange at ~0 s
  EXPECT_EQ(p.a.Last(p.pa)->psk, good);
  EXPECT_EQ(p.a.Last(p.pa)->source, PskSource::kExchange);
  p.net.RunFor(1500ms);
  ASSERT_EQ(p.a.Last(p.pa)->source, PskSource::kRandomStale);
  ASSERT_EQ(p.b.Last(p.pb)->source, PskSource::kRandomStale);
  EXPECT_NE(p.a.Last(p.pa)->psk, good);
  EXPECT_NE(p.a.Last(p.pa)->psk, p.b.Last(p.pb)->psk);
  EXPECT_FALSE(p.a.ex->GetPeerStatus(p.pa)->has_pq_psk);
  EXPECT_EQ(p.a.ex->counters().stale_psks, 1u);
  p.net.RunFor(30s);  // still cut: stays random, no second emission
  EXPECT_EQ(p.a.ex->counters().stale_psks, 1u);
  cut = false;
  p.net.RunFor(5300ms);  // both retransmit at most every 5 s (+ jitter)
  ASSERT_TRUE(p.Agree());
  EXPECT_TRUE(p.a.ex->GetPeerStatus(p.pa)->has_pq_psk);
}

TEST(Exchange, AbandonsAnInitiationAfter90SecondsAndStartsAFreshOne) {
  Pair p;
  std::set<uint32_t> msg_ids;
  p.net.set_filter([&](const wg::Endpoint& from, const wg::Endpoint&, ByteSpan d) {
    if (from == Ep(1)) msg_ids.insert(LoadLE32(d.data() + 4));
    return false;
  });
  p.net.RunFor(89s);
  EXPECT_EQ(msg_ids.size(), 1u);
  p.net.RunFor(2s);
  EXPECT_EQ(msg_ids.size(), 2u);
  EXPECT_EQ(p.a.ex->counters().initiations_abandoned, 1u);
}

TEST(Exchange, SimultaneousInitiationsConvergeOnOneKey) {
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    Pair p(Opts(), Opts(), true, true, seed);
    p.net.set_faults({0, 0, 1, 40});
    p.net.RunFor(2s);
    ASSERT_TRUE(p.Agree()) << "seed " << seed;
    p.net.RunFor(30s);
    ASSERT_TRUE(p.Agree()) << "seed " << seed;
  }
}

TEST(Exchange, ResponderOnlyPeerLearnsTheEndpointAndTakesOverWhenTheInitiatorGoesQuiet) {
  Pair p;  // b has no endpoint for a
  p.net.RunFor(1s);
  ASSERT_TRUE(p.Agree());
  // b now knows a's endpoint and initiates 1/12 epoch after a would have.
  p.net.RunFor(5s + 5s / 12 + 400ms);
  EXPECT_EQ(p.b.ex->counters().init_hellos_sent, 0u) << "a initiated first, as always";
  EXPECT_TRUE(p.Agree());
}

// Seeded fault injection: loss, duplication and reordering of fragments.
TEST(Exchange, SurvivesLossDuplicationAndReorderingReplayableFromSeed) {
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    Pair p(Opts(), Opts(), true, true, seed);
    p.net.set_faults({0.2, 0.2, 1, 60});
    p.net.RunFor(60s);
    // Let in-flight exchanges settle on a clean network, then compare.
    p.net.set_faults({0, 0, 1, 1});
    p.net.RunFor(12s);
    ASSERT_TRUE(p.Agree()) << "seed " << seed;
    EXPECT_GE(p.a.ExchangedCount(p.pa), 6u) << "seed " << seed;
    const ExchangeCounters& c = p.a.ex->counters();
    EXPECT_EQ(c.bad_mac + c.auth_failed + c.bad_size, 0u) << "seed " << seed;
  }
}

// A side restarts (new biscuit keys, no memory of the exchange in flight), at every
// moment of an exchange: the two are back on one key within a few seconds.
TEST(Exchange, RecoversFromARestartAtAnyMomentOfAnExchange) {
  for (bool restart_b : {false, true}) {
    for (int delay_ms = 0; delay_ms <= 6; ++delay_ms) {
      Pair p(Opts(), Opts(), true, true, 40 + delay_ms);
      p.net.set_faults({0, 0, 1, 1});
      p.net.RunFor(12s);
      ASSERT_TRUE(p.Agree());
      // Run into the next exchange, then restart one side delay_ms into it.
      auto hellos = [&] {
        return p.a.ex->counters().init_hellos_sent + p.b.ex->counters().init_hellos_sent;
      };
      const uint64_t before = hellos();
      while (hellos() == before) p.net.RunFor(1ms);
      p.net.RunFor(std::chrono::milliseconds(delay_ms));
      Node& n = restart_b ? p.b : p.a;
      auto fresh = Exchange::Create(n.keys.pk, crypto::MlKemDecapsKey(n.keys.sk), n.rng, Opts(),
                                    p.net.now());
      ASSERT_TRUE(fresh.ok());
      n.ex = std::move(*fresh);
      Output out;
      PeerId id = n.Add(restart_b ? p.a : p.b, true, p.net.now(), out);
      ASSERT_EQ(id, restart_b ? p.pb : p.pa);
      p.net.Collect(n, out);
      p.net.RunFor(3s);
      EXPECT_TRUE(p.Agree()) << "restart " << (restart_b ? "b" : "a") << " after " << delay_ms
                             << " ms";
    }
  }
}

// The responder restarts while the initiator waits for its EmptyData, and cannot
// initiate itself (it has no endpoint for the initiator): the initiator gives up the
// InitConf after kInitConfAbort and starts afresh.
TEST(Exchange, RecoversWhenAResponderOnlyPeerRestartsDuringInitConf) {
  Pair p;  // b knows no endpoint for a
  bool drop_empty = false;
  p.net.set_filter([&](const wg::Endpoint&, const wg::Endpoint&, ByteSpan d) {
    return !(drop_empty && d[0] == uint8_t(MsgType::kEmptyData));
  });
  p.net.RunFor(1s);
  ASSERT_TRUE(p.Agree());
  drop_empty = true;
  p.net.RunFor(5s);  // the next exchange: b installs, a waits for the EmptyData
  ASSERT_TRUE(p.a.ex->GetPeerStatus(p.pa)->awaiting_empty_data);
  auto fresh = Exchange::Create(p.b.keys.pk, crypto::MlKemDecapsKey(p.b.keys.sk), p.b.rng, Opts(),
                                p.net.now());
  p.b.ex = std::move(*fresh);
  Output out;
  p.b.Add(p.a, false, p.net.now(), out);
  p.net.Collect(p.b, out);
  drop_empty = false;
  p.net.RunFor(kInitConfAbort - 1s);
  EXPECT_FALSE(p.Agree()) << "a still retransmits an InitConf b cannot open";
  EXPECT_GT(p.b.ex->counters().auth_failed, 0u);
  p.net.RunFor(2s);
  EXPECT_TRUE(p.Agree());
}

TEST(Exchange, RejectsBadPeerConfiguration) {
  Pair p;
  Output out;
  PeerConfig pc;
  pc.public_key = p.b.keys.pk;
  EXPECT_FALSE(p.a.ex->AddPeer(pc, T0(), out).ok()) << "duplicate";
  pc.public_key = p.a.keys.pk;
  EXPECT_FALSE(p.a.ex->AddPeer(pc, T0(), out).ok()) << "own key";
  pc.public_key = testing::MakeKeys(Algorithm::kKyber768, 99).pk;
  auto r = p.a.ex->AddPeer(pc, T0(), out);
  ASSERT_FALSE(r.ok()) << "768 key on a 1024 exchange";
  EXPECT_NE(r.error().find("ML-KEM-1024"), std::string::npos) << r.error();
  pc.public_key.assign(1568, 0xFF);  // coefficients >= q
  EXPECT_FALSE(p.a.ex->AddPeer(pc, T0(), out).ok());
  EXPECT_TRUE(out.psk_updates.empty());
}

TEST(Exchange, MismatchedAlgorithmsNeverAgree) {
  // A kyber1024 exchange cannot be given a 768 identity, and a kyber768 responder drops
  // kyber1024 fragments as malformed (their sizes are not its sizes).
  ExchangeOptions o768 = Opts(Algorithm::kKyber768);
  auto k1024 = MakeKeys(Algorithm::kKyber1024, 1);
  SeededRng rng(2);
  EXPECT_FALSE(Exchange::Create(k1024.pk, crypto::MlKemDecapsKey(k1024.sk), rng, o768, T0()).ok());
  Pair p;
  Node c(MakeKeys(Algorithm::kKyber768, 3), 4, o768, Ep(3), T0());
  size_t fragments = 0;
  p.net.set_filter([&](const wg::Endpoint&, const wg::Endpoint&, ByteSpan d) {
    if (d[0] == uint8_t(MsgType::kInitHello)) {
      Output out;
      c.ex->HandleDatagram(Ep(1), d, p.net.now(), out);
      EXPECT_TRUE(out.datagrams.empty());
      ++fragments;
    }
    return true;
  });
  p.net.RunFor(1s);
  EXPECT_EQ(c.ex->counters().bad_size, fragments);
  EXPECT_EQ(c.ex->counters().bad_size, 3u);
}

TEST(Exchange, ManyPeersEachGetTheirOwnKey) {
  SimNet net(9, T0());
  Node hub(MakeKeys(Algorithm::kKyber768, 100), 101, Opts(Algorithm::kKyber768), Ep(100), T0());
  net.AddNode(&hub);
  std::vector<std::unique_ptr<Node>> spokes;
  std::vector<PeerId> hub_ids, spoke_ids;
  Output out;
  for (uint8_t i = 1; i <= 6; ++i) {
    spokes.push_back(std::make_unique<Node>(MakeKeys(Algorithm::kKyber768, 200 + i), 300 + i,
                                            Opts(Algorithm::kKyber768), Ep(i), T0()));
    net.AddNode(spokes.back().get());
    spoke_ids.push_back(spokes.back()->Add(hub, true, T0(), out));
    net.Collect(*spokes.back(), out);
    hub_ids.push_back(hub.Add(*spokes.back(), true, T0(), out));
    net.Collect(hub, out);
  }
  net.set_faults({0, 0, 1, 20});
  net.RunFor(12s);
  std::set<std::string> distinct;
  for (size_t i = 0; i < spokes.size(); ++i) {
    auto h = hub.Last(hub_ids[i]), s = spokes[i]->Last(spoke_ids[i]);
    ASSERT_TRUE(h && s);
    ASSERT_EQ(h->source, PskSource::kExchange) << i;
    ASSERT_EQ(h->psk, s->psk) << i;
    distinct.insert(std::string(h->psk.data(), h->psk.data() + 32));
  }
  EXPECT_EQ(distinct.size(), spokes.size());
}

}  // namespace
}  // namespace dlog::pq

namespace dlog::pq {
namespace {

// A member rotated its WireGuard key and kept its PQ key: the exchange is found by the
// PQ key and its PSKs name the new WireGuard key from the next epoch on.
TEST(Exchange, FindPeerByPqKeyAndRetargetItsPsks) {
  Pair p(Opts(), Opts(), true, true);
  p.net.RunFor(1s);
  ASSERT_TRUE(p.Agree());
  EXPECT_EQ(p.a.ex->FindPeer(p.b.keys.pk), p.pa);
  EXPECT_EQ(p.a.ex->FindPeer(p.a.keys.pk), std::nullopt);  // our own key is no peer
  WgPublicKey rotated;
  rotated.fill(0x77);
  p.a.ex->SetWireGuardKey(p.pa, rotated);
  p.net.RunFor(5s);
  ASSERT_TRUE(p.Agree());
  EXPECT_EQ(p.a.Last(p.pa)->wg_public_key, rotated);
  EXPECT_EQ(p.a.Last(p.pa)->epoch, 2u);
  EXPECT_EQ(p.b.Last(p.pb)->wg_public_key[0], 1);  // b's side is untouched
}

}  // namespace
}  // namespace dlog::pq
