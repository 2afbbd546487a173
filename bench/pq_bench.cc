// CPU per side of one full PQ exchange (target: < 1 ms per side with ML-KEM-1024), and
// of the whole exchange through the sans-I/O core (fragments, macs, reassembly, timers).
//
//   initiator: KeyGen(eph) + Encaps(spkr) + Decaps(eph) + Decaps(sski) + hashing
//   responder: Decaps(sskr) + Encaps(epki) + Encaps(spki) + biscuit + hashing
#include <benchmark/benchmark.h>

#include "base/rng.h"
#include "pq/exchange.h"
#include "pq/handshake.h"

namespace dlog::pq {
namespace {

using namespace std::chrono_literals;

struct Sides {
  explicit Sides(Algorithm alg)
      : a(alg), labels(Labels::Make(alg)), ri(1), rr(2), biscuits(rr, TimePoint{}) {
    KemKeyPair ki = KemKeyGen(a, ri), kr = KemKeyGen(a, rr);
    idi = std::make_unique<Identity>(MakeIdentity(labels, a, ki.ek, std::move(ki.dk)));
    idr = std::make_unique<Identity>(MakeIdentity(labels, a, kr.ek, std::move(kr.dk)));
    r_at_i = MakePeerKeys(labels, idr->spk, Key{});
    i_at_r = MakePeerKeys(labels, idi->spk, Key{});
    lookup = [this](const Label&) { return &i_at_r; };
  }
  Context ci() { return {a, labels, *idi, ri}; }
  Context cr() { return {a, labels, *idr, rr}; }

  Algorithm a;
  Labels labels;
  SeededRng ri, rr;
  std::unique_ptr<Identity> idi, idr;
  PeerKeys r_at_i, i_at_r;
  BiscuitKeys biscuits;
  PeerLookup lookup;
};

// Runs one exchange, timing only the steps of `side` (0: initiator, 1: responder).
void OneExchange(Sides& s, benchmark::State& state, int side) {
  auto timed = [&](int who, auto&& f) {
    if (who != side) state.PauseTiming();
    f();
    if (who != side) state.ResumeTiming();
  };
  Bytes ih, rh, ic, ed;
  Result<InitiatorHandshake> hs = Status::Error("unset");
  std::optional<ResponderHello> h;
  SessionKeys ki;
  Failure f;
  timed(0, [&] { hs = CreateInitHello(s.ci(), s.r_at_i, ih); });
  timed(1, [&] {
    h = ConsumeInitHello(s.cr(), ih, s.lookup, f);
    (void)CreateRespHello(s.cr(), *h, ih, s.biscuits, rh);
  });
  timed(0, [&] {
    if (!ConsumeRespHello(s.ci(), rh, *hs)) state.SkipWithError("RespHello");
    ki = CreateInitConf(s.ci(), *hs, rh, ic);
  });
  timed(1, [&] {
    auto conf = ConsumeInitConf(s.cr(), ic, s.biscuits, s.lookup, f);
    if (!conf) state.SkipWithError("InitConf");
    ed = CreateEmptyData(hs->sidi, conf->keys);
  });
  timed(0, [&] {
    if (!ConsumeEmptyData(ed, hs->sidi, ki)) state.SkipWithError("EmptyData");
  });
}

void BM_ExchangeInitiatorSide(benchmark::State& state) {
  Sides s(Algorithm(state.range(0)));
  for (auto _ : state) OneExchange(s, state, 0);
  state.SetLabel(AlgorithmName(s.a));
}
void BM_ExchangeResponderSide(benchmark::State& state) {
  Sides s(Algorithm(state.range(0)));
  for (auto _ : state) OneExchange(s, state, 1);
  state.SetLabel(AlgorithmName(s.a));
}

// Both sides through the Exchange core, datagrams handed across in memory.
void BM_ExchangeCoreBothSides(benchmark::State& state) {
  const Algorithm alg = Algorithm(state.range(0));
  SeededRng rng_keys(3), ra(4), rb(5);
  KemKeyPair ka = KemKeyGen(alg, rng_keys), kb = KemKeyGen(alg, rng_keys);
  Bytes pka = ka.ek, pkb = kb.ek;
  ExchangeOptions opt;
  opt.algorithm = alg;
  opt.rekey_interval = 1s;
  TimePoint now{};
  auto a = std::move(*Exchange::Create(pka, std::move(ka.dk), ra, opt, now));
  auto b = std::move(*Exchange::Create(pkb, std::move(kb.dk), rb, opt, now));
  wg::Endpoint ea, eb;
  ea.port = 1;
  eb.port = 2;
  Output oa, ob;
  PeerConfig to_b;
  to_b.public_key = pkb;
  to_b.endpoint = eb;
  PeerConfig to_a;
  to_a.public_key = pka;
  (void)a->AddPeer(to_b, now, oa);
  (void)b->AddPeer(to_a, now, ob);
  uint64_t completed = 0;
  for (auto _ : state) {
    now += 1s;
    oa.Clear();
    a->Tick(now, oa);  // starts an exchange (one epoch passed)
    for (int round = 0; round < 4 && !oa.datagrams.empty(); ++round) {
      ob.Clear();
      for (auto& d : oa.datagrams) b->HandleDatagram(ea, d.bytes, now, ob);
      oa.Clear();
      for (auto& d : ob.datagrams) a->HandleDatagram(eb, d.bytes, now, oa);
    }
    completed = a->counters().exchanges_completed;
  }
  if (completed != state.iterations() && completed != state.iterations() + 1)
    state.SkipWithError("exchanges did not complete");
  state.SetLabel(AlgorithmName(alg));
}

BENCHMARK(BM_ExchangeInitiatorSide)
    ->Arg(int(Algorithm::kKyber1024))
    ->Arg(int(Algorithm::kKyber768))
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ExchangeResponderSide)
    ->Arg(int(Algorithm::kKyber1024))
    ->Arg(int(Algorithm::kKyber768))
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ExchangeCoreBothSides)
    ->Arg(int(Algorithm::kKyber1024))
    ->Arg(int(Algorithm::kKyber768))
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace dlog::pq

BENCHMARK_MAIN();
