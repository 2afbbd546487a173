// Test harness for the PQ exchange: nodes with seeded keys, and a seeded network
// simulator with latency, loss, duplication and reordering (any failure replays from its
// seed). Header-only; included by the pq tests.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <vector>

#include "base/rng.h"
#include "pq/exchange.h"
#include "pq/fragment.h"

namespace dlog::pq::testing {

inline wg::Endpoint Ep(uint8_t host, uint16_t port = 51820) {
  wg::Endpoint e;
  e.addr[0] = 10;
  e.addr[3] = host;
  e.port = port;
  return e;
}

struct Keys {
  Bytes pk;
  Bytes sk;  // dk bytes
};

inline Keys MakeKeys(Algorithm a, uint64_t seed) {
  SeededRng rng(seed);
  KemKeyPair kp = KemKeyGen(a, rng);
  return {kp.ek, Bytes(kp.dk.span().begin(), kp.dk.span().end())};
}

inline TimePoint T0() { return TimePoint(std::chrono::seconds(1000)); }

// One side: an Exchange plus everything it emitted.
struct Node {
  Node(const Keys& k, uint64_t seed, ExchangeOptions opt, wg::Endpoint ep, TimePoint now)
      : rng(seed), keys(k), endpoint(ep) {
    auto r = Exchange::Create(k.pk, crypto::MlKemDecapsKey(k.sk), rng, opt, now);
    EXPECT_TRUE(r.ok()) << r.error();
    ex = std::move(*r);
  }
  PeerId Add(const Node& other, bool with_endpoint, TimePoint now, Output& out,
             uint8_t wg_tag = 0) {
    PeerConfig pc;
    pc.public_key = other.keys.pk;
    pc.wg_public_key.fill(wg_tag ? wg_tag : other.endpoint.addr[3]);
    if (with_endpoint) pc.endpoint = other.endpoint;
    auto r = ex->AddPeer(pc, now, out);
    EXPECT_TRUE(r.ok()) << r.error();
    return *r;
  }
  // The PSK the WireGuard slot would hold for `peer` after every update so far.
  std::optional<Key> Slot(PeerId peer) const {
    std::optional<Key> k;
    for (const PskUpdate& u : psks)
      if (u.peer == peer) k = u.psk;
    return k;
  }
  std::optional<PskUpdate> Last(PeerId peer) const {
    std::optional<PskUpdate> k;
    for (const PskUpdate& u : psks)
      if (u.peer == peer) k = u;
    return k;
  }
  size_t ExchangedCount(PeerId peer) const {
    size_t n = 0;
    for (const PskUpdate& u : psks) n += u.peer == peer && u.source == PskSource::kExchange;
    return n;
  }

  SeededRng rng;
  Keys keys;
  wg::Endpoint endpoint;
  std::unique_ptr<Exchange> ex;
  std::vector<PskUpdate> psks;
};

// A simulated network between nodes, addressed by endpoint.
class SimNet {
 public:
  struct Faults {
    double loss = 0;       // probability a datagram is dropped
    double duplicate = 0;  // probability it is delivered twice
    int min_latency_ms = 1;
    int max_latency_ms = 1;  // > min: random latency, hence reordering
  };
  // Called for each datagram before delivery; return false to drop it.
  using Filter = std::function<bool(const wg::Endpoint& from, const wg::Endpoint& to, ByteSpan)>;

  explicit SimNet(uint64_t seed, TimePoint start) : gen_(seed), now_(start) {}

  void AddNode(Node* n) { nodes_[Key(n->endpoint)] = n; }
  void set_faults(Faults f) { faults_ = f; }
  void set_filter(Filter f) { filter_ = std::move(f); }
  TimePoint now() const { return now_; }

  // Takes a node's output: PSKs recorded, datagrams queued.
  void Collect(Node& from, Output& out) {
    for (PskUpdate& u : out.psk_updates) from.psks.push_back(u);
    for (Output::Datagram& d : out.datagrams) Queue(from.endpoint, d.to, d.bytes);
    out.Clear();
  }

  // Queues a datagram from anywhere (an attacker, a spoofed source).
  void Inject(const wg::Endpoint& from, const wg::Endpoint& to, const Bytes& b) {
    queue_.push({now_ + std::chrono::milliseconds(1), seq_++, from, to, b});
  }

  // Runs the network and every node's timers until `until`.
  void RunUntil(TimePoint until) {
    for (int guard = 0;; ++guard) {
      if (guard > 10'000'000) {
        ADD_FAILURE() << "simulation does not progress (a deadline that Tick does not move?)";
        return;
      }
      TimePoint next = until;
      if (!queue_.empty()) next = std::min(next, queue_.top().at);
      for (auto& [_, n] : nodes_) next = std::min(next, n->ex->NextDeadline());
      if (next > until) break;
      now_ = std::max(now_, next);
      if (!queue_.empty() && queue_.top().at <= now_) {
        Pending p = queue_.top();
        queue_.pop();
        Deliver(p);
        continue;
      }
      for (auto& [_, n] : nodes_) {
        if (n->ex->NextDeadline() <= now_) {
          Output out;
          n->ex->Tick(now_, out);
          Collect(*n, out);
        }
      }
      if (now_ == until) break;
    }
    now_ = until;
  }
  void RunFor(Duration d) { RunUntil(now_ + d); }

  uint64_t delivered() const { return delivered_; }

 private:
  struct Pending {
    TimePoint at;
    uint64_t seq;
    wg::Endpoint from, to;
    Bytes bytes;
    bool operator<(const Pending& o) const {
      return at != o.at ? at > o.at : seq > o.seq;  // min-heap
    }
  };
  static uint64_t Key(const wg::Endpoint& e) { return uint64_t(e.addr[3]) << 16 | e.port; }

  void Queue(const wg::Endpoint& from, const wg::Endpoint& to, const Bytes& b) {
    std::uniform_real_distribution<double> u(0, 1);
    if (u(gen_) < faults_.loss) return;
    int copies = u(gen_) < faults_.duplicate ? 2 : 1;
    for (int i = 0; i < copies; ++i) {
      std::uniform_int_distribution<int> lat(faults_.min_latency_ms, faults_.max_latency_ms);
      queue_.push({now_ + std::chrono::milliseconds(lat(gen_)), seq_++, from, to, b});
    }
  }
  void Deliver(const Pending& p) {
    auto it = nodes_.find(Key(p.to));
    if (it == nodes_.end()) return;
    if (filter_ && !filter_(p.from, p.to, p.bytes)) return;
    ++delivered_;
    Output out;
    it->second->ex->HandleDatagram(p.from, p.bytes, now_, out);
    Collect(*it->second, out);
  }

  std::mt19937_64 gen_;
  TimePoint now_;
  Faults faults_;
  Filter filter_;
  std::map<uint64_t, Node*> nodes_;
  std::priority_queue<Pending> queue_;
  uint64_t seq_ = 0;
  uint64_t delivered_ = 0;
};

}  // namespace dlog::pq::testing
