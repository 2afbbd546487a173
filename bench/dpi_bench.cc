// CPU cost of the disguise per datagram: sealing and opening (obfs/wire.h) and the whole
// Disguise path (policy, padding, routing), for a full-size transport datagram and a
// handshake initiation.
//
//   ./build/bench/dpi_bench --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <cstring>

#include "base/clock.h"
#include "base/rng.h"
#include "obfs/disguise.h"
#include "obfs/wire.h"

namespace {

using namespace dlog;
using namespace dlog::obfs;

ClusterSecret Secret() {
  ClusterSecret s;
  std::memset(s.data(), 0x77, s.size());
  return s;
}

Bytes Inner(size_t size) {
  Bytes b(size);
  SeededRng(1).Fill(b);
  b[0] = size == 148 ? 1 : 4;
  b[1] = b[2] = b[3] = 0;
  return b;
}

void BM_Seal(benchmark::State& state) {
  const DisguiseKeys keys = DeriveKeys(Secret());
  const Bytes inner = Inner(size_t(state.range(0)));
  RandomPool pool;
  SeededRng seed(2);
  pool.Seed(seed);
  SealSpec spec;
  spec.kind = KindOf(inner);
  spec.prefix_len = 12;
  Bytes out(SealedSize(spec.kind, inner.size(), spec.prefix_len, 0));
  for (auto _ : state) {
    Seal(keys, spec, inner, pool, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(inner.size()));
}
BENCHMARK(BM_Seal)->Arg(1412)->Arg(148)->Arg(32);

void BM_Open(benchmark::State& state) {
  const DisguiseKeys keys = DeriveKeys(Secret());
  const Bytes inner = Inner(size_t(state.range(0)));
  RandomPool pool;
  SeededRng seed(2);
  pool.Seed(seed);
  SealSpec spec;
  spec.kind = KindOf(inner);
  spec.prefix_len = 12;
  Bytes sealed(SealedSize(spec.kind, inner.size(), spec.prefix_len, 0));
  Seal(keys, spec, inner, pool, sealed);
  Bytes work(sealed.size());
  for (auto _ : state) {
    std::memcpy(work.data(), sealed.data(), sealed.size());  // Open unmasks in place
    Opened o = Open(keys, work);
    if (!o.ok()) state.SkipWithError("did not open");
    benchmark::DoNotOptimize(o.inner.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(inner.size()));
}
BENCHMARK(BM_Open)->Arg(1412)->Arg(148)->Arg(32);

// Disguise::WrapAll of a 40-datagram batch (one TSO super-packet's worth) with padding.
void BM_WrapAllBatch(benchmark::State& state) {
  SeededRng rng(3);
  Options o;
  o.random_padding = state.range(0) != 0;
  Disguise d(Secret(), o, rng);
  const wg::Endpoint to = *wg::Endpoint::Parse("192.0.2.2:51820");
  wg::Output dev;
  const Bytes inner = Inner(1412);
  for (int i = 0; i < 40; ++i)
    std::memcpy(dev.AddDatagram(to, inner.size()).data(), inner.data(), inner.size());
  Output out;
  FakeClock clock;
  for (auto _ : state) {
    d.WrapAll(dev, clock.Now(), clock.WallNow(), out);
    out.Clear();
  }
  state.SetItemsProcessed(int64_t(state.iterations()) * 40);
}
BENCHMARK(BM_WrapAllBatch)->Arg(0)->Arg(1);

void BM_Unwrap(benchmark::State& state) {
  SeededRng rng(4), rng_b(5);
  Disguise a(Secret(), {}, rng), b(Secret(), {}, rng_b);
  const wg::Endpoint from = *wg::Endpoint::Parse("192.0.2.1:51820");
  FakeClock clock;
  Output out;
  a.Wrap(from, Inner(1412), clock.Now(), clock.WallNow(), out);
  const Bytes sealed(out.data(0).begin(), out.data(0).end());
  Bytes work(sealed.size());
  for (auto _ : state) {
    std::memcpy(work.data(), sealed.data(), sealed.size());
    auto u = b.Unwrap(from, work, clock.Now(), clock.WallNow());
    benchmark::DoNotOptimize(u.inner.data());
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_Unwrap);

}  // namespace

BENCHMARK_MAIN();
