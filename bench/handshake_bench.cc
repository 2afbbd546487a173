// Handshakes per second per core: the initiator's and the responder's halves of a full
// Noise IKpsk2 handshake through wg::Device, on one thread.
//
//   ./build/bench/handshake_bench
#include <benchmark/benchmark.h>

#include <chrono>
#include <vector>

#include "base/rng.h"
#include "wg/device.h"

namespace dlog::wg {
namespace {

using namespace std::chrono_literals;

struct Side {
  explicit Side(uint64_t seed) : rng(seed), dev(rng) {}
  SeededRng rng;
  Device dev;
  PrivateKey priv;
  PublicKey pub{};
  Endpoint ep;
  Output out;
};

Bytes Ipv4Packet(uint8_t src, uint8_t dst) {
  Bytes p(64, 0);
  p[0] = 0x45;
  p[3] = uint8_t(p.size());
  p[8] = 64;
  p[9] = 17;
  const uint8_t s[4] = {10, 0, 0, src}, d[4] = {10, 0, 0, dst};
  std::copy(s, s + 4, p.begin() + 12);
  std::copy(d, d + 4, p.begin() + 16);
  return p;
}

void Configure(Side& self, const Side& other, uint8_t other_host, TimePoint now, WallTime wall) {
  ConfigUpdate u;
  u.private_key = self.priv;
  PeerUpdate p;
  p.public_key = other.pub;
  p.endpoint = other.ep;
  p.allowed_ips.push_back({*IpPrefix::Parse("10.0.0." + std::to_string(other_host) + "/32")});
  u.peers.push_back(p);
  if (!self.dev.ApplyConfig(u, now, wall, self.out).ok()) std::abort();
  self.dev.SetUp(true, now, wall, self.out);
}

// Each iteration jumps past REJECT_AFTER_TIME, so the next packet needs a new handshake;
// wall time moves with it, so every TAI64N timestamp is fresh.
void BM_Handshake(benchmark::State& state) {
  SystemRng sys;
  Side a(1), b(2);
  a.priv = crypto::GeneratePrivateKey(sys);
  b.priv = crypto::GeneratePrivateKey(sys);
  a.pub = crypto::PublicKeyOf(a.priv);
  b.pub = crypto::PublicKeyOf(b.priv);
  a.ep = *Endpoint::Parse("192.0.2.1:51820");
  b.ep = *Endpoint::Parse("192.0.2.2:51820");
  TimePoint now{1000s};
  WallTime wall{1'700'000'000'000'000'000};
  Configure(a, b, 2, now, wall);
  Configure(b, a, 1, now, wall);
  // Measure the handshake itself, not the cookie path that load detection would pick.
  b.dev.SetLoadMode(LoadMode::kForceNotUnderLoad);
  a.dev.SetLoadMode(LoadMode::kForceNotUnderLoad);
  const Bytes packet = Ipv4Packet(1, 2);
  Bytes initiation, response;
  int64_t completed = 0;
  for (auto _ : state) {
    state.PauseTiming();
    now += 200s;
    wall.unix_nanos += 200'000'000'000;
    a.out.Clear();
    b.out.Clear();
    state.ResumeTiming();
    a.dev.HandleTunPacket(packet, now, wall, a.out);  // initiator: CreateInitiation
    if (a.out.datagram_count() != 1) {
      state.SkipWithError("no initiation");
      break;
    }
    b.dev.HandleDatagram(a.ep, a.out.datagram(0), now, wall, b.out);  // responder
    if (b.out.datagram_count() != 1) {
      state.SkipWithError("no response");
      break;
    }
    a.out.Clear();
    a.dev.HandleDatagram(b.ep, b.out.datagram(0), now, wall, a.out);  // initiator again
    ++completed;
  }
  if (a.dev.Counters().handshakes_completed != uint64_t(completed)) {
    state.SkipWithError("handshakes did not complete");
  }
  state.counters["handshakes/s"] =
      benchmark::Counter(double(completed), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Handshake)->Unit(benchmark::kMicrosecond)->MeasureProcessCPUTime()->UseRealTime();

}  // namespace
}  // namespace dlog::wg

BENCHMARK_MAIN();
