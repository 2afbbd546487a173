// Longest-prefix match on the data path: one Lookup per packet, with 10k peers.
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <vector>

#include "wg/allowed_ips.h"

namespace dlog::wg {
namespace {

constexpr PeerId kPeers = 10000;
constexpr size_t kQueries = 1 << 16;  // a power of two, cycled through

struct Table {
  AllowedIps trie;
  std::vector<IpPrefix> queries;  // host addresses to look up
};

void RandomBits(std::mt19937_64& rng, std::array<uint8_t, 16>& addr, int from, int to) {
  for (int i = from; i < to; ++i) {
    const uint8_t bit = uint8_t(0x80 >> (i % 8));
    addr[i / 8] = uint8_t((addr[i / 8] & ~bit) | ((rng() & 1) ? bit : 0));
  }
}

IpPrefix Random(std::mt19937_64& rng, bool v6, std::array<uint8_t, 16> base, int fixed, int bits) {
  IpPrefix p;
  p.v6 = v6;
  p.addr = base;
  RandomBits(rng, p.addr, fixed, v6 ? 128 : 32);
  p.bits = uint8_t(bits);
  return p;
}

// Queries: `hit_percent` of them inside a random stored prefix, the rest anywhere.
void AddQueries(Table& t, std::mt19937_64& rng, const std::vector<IpPrefix>& stored,
                int hit_percent) {
  for (size_t i = 0; i < kQueries; ++i) {
    const IpPrefix& p = stored[rng() % stored.size()];
    const int max = p.v6 ? 128 : 32;
    const bool hit = int(rng() % 100) < hit_percent;
    t.queries.push_back(Random(rng, p.v6, p.addr, hit ? p.bits : 0, max));
  }
}

// A cluster overlay: every peer owns one host address in 10.0.0.0/8.
std::unique_ptr<Table> V4Hosts(int hit_percent) {
  auto owned = std::make_unique<Table>();
  Table& t = *owned;
  std::mt19937_64 rng(1);
  std::vector<IpPrefix> stored;
  for (PeerId peer = 0; peer < kPeers; ++peer) {
    stored.push_back(Random(rng, false, {10}, 8, 32));
    t.trie.Insert(stored.back(), peer);
  }
  AddQueries(t, rng, stored, hit_percent);
  return owned;
}

// Routed networks: every peer owns a prefix of length 8..32 anywhere, so they nest.
std::unique_ptr<Table> V4Mixed() {
  auto owned = std::make_unique<Table>();
  Table& t = *owned;
  std::mt19937_64 rng(2);
  std::vector<IpPrefix> stored;
  for (PeerId peer = 0; peer < kPeers; ++peer) {
    stored.push_back(Random(rng, false, {}, 0, 8 + int(rng() % 25)));
    t.trie.Insert(stored.back(), peer);
  }
  AddQueries(t, rng, stored, 90);
  return owned;
}

// Every peer owns a /128 and a /64 under fd00::/8.
std::unique_ptr<Table> V6() {
  auto owned = std::make_unique<Table>();
  Table& t = *owned;
  std::mt19937_64 rng(3);
  std::vector<IpPrefix> stored;
  for (PeerId peer = 0; peer < kPeers; ++peer) {
    stored.push_back(Random(rng, true, {0xfd}, 8, 128));
    t.trie.Insert(stored.back(), peer);
    stored.push_back(Random(rng, true, {0xfd}, 8, 64));
    t.trie.Insert(stored.back(), peer);
  }
  AddQueries(t, rng, stored, 90);
  return owned;
}

void RunLookups(benchmark::State& state, const Table& t) {
  size_t i = 0;
  for (auto _ : state) {
    const IpPrefix& q = t.queries[i++ & (kQueries - 1)];
    benchmark::DoNotOptimize(t.trie.Lookup(q.v6, q.addr.data()));
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["prefixes"] = double(t.trie.size());
  state.counters["nodes"] = double(t.trie.NodeCount());
}

void BM_LookupV4Hosts10k(benchmark::State& state) {
  static const auto t = V4Hosts(100);
  RunLookups(state, *t);
}
BENCHMARK(BM_LookupV4Hosts10k);

void BM_LookupV4HostsMostlyMiss10k(benchmark::State& state) {
  static const auto t = V4Hosts(10);
  RunLookups(state, *t);
}
BENCHMARK(BM_LookupV4HostsMostlyMiss10k);

void BM_LookupV4Mixed10k(benchmark::State& state) {
  static const auto t = V4Mixed();
  RunLookups(state, *t);
}
BENCHMARK(BM_LookupV4Mixed10k);

void BM_LookupV6_20k(benchmark::State& state) {
  static const auto t = V6();
  RunLookups(state, *t);
}
BENCHMARK(BM_LookupV6_20k);

void BM_Insert10kHosts(benchmark::State& state) {
  std::mt19937_64 rng(4);
  std::vector<IpPrefix> hosts;
  for (PeerId peer = 0; peer < kPeers; ++peer) hosts.push_back(Random(rng, false, {10}, 8, 32));
  for (auto _ : state) {
    AllowedIps trie;
    for (PeerId peer = 0; peer < kPeers; ++peer) trie.Insert(hosts[peer], peer);
    benchmark::DoNotOptimize(trie.size());
  }
  state.SetItemsProcessed(state.iterations() * kPeers);
}
BENCHMARK(BM_Insert10kHosts)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace dlog::wg

BENCHMARK_MAIN();
