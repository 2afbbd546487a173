// ML-KEM KeyGen / Encaps / Decaps, per parameter set (argument 0, 1, 2 = 512, 768, 1024),
// plus the SHAKE128 squeeze rate that bounds SampleNTT.
#include <benchmark/benchmark.h>

#include "base/rng.h"
#include "crypto/keccak.h"
#include "crypto/mlkem.h"

namespace dlog::crypto {
namespace {

MlKemParams ParamsOf(benchmark::State& state) {
  auto params = static_cast<MlKemParams>(state.range(0));
  state.SetLabel(MlKemName(params));
  return params;
}

void BM_MlKemKeyGen(benchmark::State& state) {
  const MlKemParams params = ParamsOf(state);
  SeededRng rng(1);
  for (auto _ : state) {
    MlKemKeyPair kp = MlKemKeyGen(params, rng);
    benchmark::DoNotOptimize(kp.ek.data());
  }
}

void BM_MlKemEncaps(benchmark::State& state) {
  const MlKemParams params = ParamsOf(state);
  SeededRng rng(2);
  MlKemKeyPair kp = MlKemKeyGen(params, rng);
  for (auto _ : state) {
    Result<MlKemEncapsulation> enc = MlKemEncaps(params, kp.ek, rng);
    benchmark::DoNotOptimize(enc->ciphertext.data());
  }
}

void BM_MlKemDecaps(benchmark::State& state) {
  const MlKemParams params = ParamsOf(state);
  SeededRng rng(3);
  MlKemKeyPair kp = MlKemKeyGen(params, rng);
  Result<MlKemEncapsulation> enc = MlKemEncaps(params, kp.ek, rng);
  for (auto _ : state) {
    Result<MlKemSharedKey> key = MlKemDecaps(params, kp.dk.span(), enc->ciphertext);
    benchmark::DoNotOptimize(key->data());
  }
}

void BM_Shake128Squeeze(benchmark::State& state) {
  Shake128 xof;
  xof.Absorb(AsBytes("bench"));
  uint8_t block[Shake128::kRate];
  for (auto _ : state) {
    xof.Squeeze(block);
    benchmark::DoNotOptimize(block);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(sizeof block));
}

BENCHMARK(BM_MlKemKeyGen)->DenseRange(0, 2)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MlKemEncaps)->DenseRange(0, 2)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MlKemDecaps)->DenseRange(0, 2)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Shake128Squeeze);

}  // namespace
}  // namespace dlog::crypto

BENCHMARK_MAIN();
