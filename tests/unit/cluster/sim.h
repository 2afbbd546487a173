// A seeded in-process world for cluster::Node tests: nodes on one underlay, datagrams
// delivered after a random delay (reordering) or lost, WireGuard modelled as "a mesh
// datagram from A reaches B when each holds the other as a peer and B's allowed IP for
// A is A's address". Every run replays from its seed.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <vector>

#include "base/rng.h"
#include "cluster/node.h"

namespace dlog::cluster::test {

inline Now At(TimePoint t) {
  return Now{t, WallTime{1'750'000'000'000'000'000 + t.time_since_epoch().count()}};
}

inline wg::Endpoint Ep(uint8_t last, uint16_t port = 51820) {
  wg::Endpoint e;
  e.addr = {192, 168, 1, last};
  e.port = port;
  return e;
}

struct SimMember {
  NodeKeys keys;
  std::unique_ptr<Node> node;
  wg::Endpoint endpoint;
  std::map<PublicKey, PeerChange> peers;  // the device's peer set
  std::vector<std::string> events;
  ClusterState saved;
  bool has_saved = false;
  bool down = false;
  bool removed = false;
};

class SimWorld {
 public:
  explicit SimWorld(uint64_t seed, double loss = 0.0) : rng_(seed), loss_(loss) {}

  TimePoint now() const { return now_; }
  Rng& rng() { return rng_; }

  size_t Add(const std::string& name, uint8_t host, Role role = Role::kNode) {
    auto m = std::make_unique<SimMember>();
    m->keys = GenerateNodeKeys(pq::Algorithm::kKyber768, rng_, name);
    m->endpoint = Ep(host);
    NodeOptions o;
    o.role = role;
    m->node = std::make_unique<Node>(m->keys.Clone(), o, std::nullopt, rng_);
    members_.push_back(std::move(m));
    return members_.size() - 1;
  }
  SimMember& operator[](size_t i) { return *members_[i]; }
  size_t size() const { return members_.size(); }

  // Drops the Node and builds a new one from its saved state and keys.
  void Restart(size_t i) {
    SimMember& m = *members_[i];
    NodeOptions o;
    m.node = std::make_unique<Node>(m.keys.Clone(), o,
                                    m.has_saved ? std::optional(m.saved) : std::nullopt, rng_);
    m.peers.clear();  // a fresh device, configured again from the core's output
    Drain(i);
  }

  void Drain(size_t i) {
    SimMember& m = *members_[i];
    Output out = m.node->TakeOutput();
    for (auto& d : out.underlay) Send(i, d.to, std::move(d.bytes), false, {});
    // As the runtime does: adds and updates, then mesh datagrams, then removals.
    for (auto& p : out.peers) {
      if (p.kind == PeerChange::Kind::kRemove) continue;
      auto& slot = m.peers[p.key];
      std::optional<wg::Endpoint> ep = p.endpoint ? p.endpoint : slot.endpoint;
      slot = p;
      slot.endpoint = ep;
    }
    for (auto& d : out.mesh) {
      // Sealed at send time: only to a key the device holds as a peer.
      if (m.peers.count(d.to)) Send(i, {}, std::move(d.bytes), true, d.to);
    }
    for (auto& p : out.peers) {
      if (p.kind == PeerChange::Kind::kRemove) m.peers.erase(p.key);
    }
    for (auto& e : out.events) m.events.push_back(e);
    if (out.state_changed) {
      m.saved = m.node->ExportState();
      m.has_saved = true;
    }
    if (out.removed) m.removed = true;
    if (out.key_switch) {
      // The device now runs the new key: it is the node's identity from here on.
      m.keys.wg_public = m.node->public_key();
    }
  }

  // Runs until `until`, ticking every member every 100 ms and reporting peer status.
  void RunUntil(TimePoint until) {
    while (now_ < until) {
      DeliverDue();
      if (now_ >= next_tick_) {
        for (size_t i = 0; i < members_.size(); ++i) {
          if (members_[i]->down) continue;
          ReportStatus(i);
          members_[i]->node->Tick(At(now_));
          Drain(i);
        }
        next_tick_ = now_ + std::chrono::milliseconds(100);
      }
      now_ += std::chrono::milliseconds(5);
    }
  }
  void RunFor(Duration d) { RunUntil(now_ + d); }

  // True when A's device would accept traffic from B (B a peer with B's address).
  bool Accepts(size_t a, size_t b) const {
    const SimMember& A = *members_[a];
    const SimMember& B = *members_[b];
    auto it = A.peers.find(B.node->public_key());
    auto addr = B.node->overlay_address();
    return it != A.peers.end() && addr && it->second.allowed_ip == *addr;
  }
  bool Connected(size_t a, size_t b) const { return Accepts(a, b) && Accepts(b, a); }

  // Cuts (or restores) both directions between a and b, underlay and mesh.
  void Block(size_t a, size_t b, bool on = true) {
    if (on) {
      blocked_.insert({a, b});
      blocked_.insert({b, a});
    } else {
      blocked_.erase({a, b});
      blocked_.erase({b, a});
    }
  }

  uint64_t delivered() const { return delivered_; }
  uint64_t lost() const { return lost_; }

 private:
  struct InFlight {
    TimePoint at;
    uint64_t seq;
    size_t from;
    wg::Endpoint to;
    bool mesh;
    PublicKey to_key;
    Bytes bytes;
    bool operator>(const InFlight& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };

  void Send(size_t from, const wg::Endpoint& to, Bytes bytes, bool mesh, const PublicKey& key) {
    if (loss_ > 0 && rng_.Uniform(1'000'000) < uint32_t(loss_ * 1e6)) {
      ++lost_;
      return;
    }
    const auto delay = std::chrono::milliseconds(1 + rng_.Uniform(40));
    queue_.push({now_ + delay, seq_++, from, to, mesh, key, std::move(bytes)});
  }

  void DeliverDue() {
    while (!queue_.empty() && queue_.top().at <= now_) {
      InFlight f = queue_.top();
      queue_.pop();
      if (members_[f.from]->down) continue;
      if (f.mesh) {
        DeliverMesh(f);
      } else {
        for (size_t i = 0; i < members_.size(); ++i) {
          if (members_[i]->endpoint == f.to && !members_[i]->down && !blocked_.count({f.from, i})) {
            ++delivered_;
            members_[i]->node->OnUnderlayDatagram(members_[f.from]->endpoint, f.bytes, At(now_));
            Drain(i);
          }
        }
      }
    }
  }

  void DeliverMesh(const InFlight& f) {
    for (size_t i = 0; i < members_.size(); ++i) {
      if (members_[i]->down || members_[i]->node->public_key() != f.to_key) continue;
      if (blocked_.count({f.from, i})) return;
      // WireGuard: the receiver must accept the sender's source address from the
      // sender's key (the sender's side was checked when it sent).
      if (!Accepts(i, f.from)) return;
      ++delivered_;
      members_[i]->node->OnMeshDatagram(members_[f.from]->node->public_key(), f.bytes, At(now_));
      Drain(i);
    }
  }

  void ReportStatus(size_t i) {
    SimMember& m = *members_[i];
    for (const auto& [key, p] : m.peers) {
      bool up = false;
      for (size_t j = 0; j < members_.size(); ++j) {
        if (j == i || members_[j]->down || members_[j]->node->public_key() != key) continue;
        auto back = members_[j]->peers.find(m.node->public_key());
        const bool ep_ok = (p.endpoint && *p.endpoint == members_[j]->endpoint) ||
                           (back != members_[j]->peers.end() && back->second.endpoint &&
                            *back->second.endpoint == m.endpoint);
        up = back != members_[j]->peers.end() && ep_ok;
      }
      m.node->OnPeerStatus(key, up, At(now_));
    }
  }

  SeededRng rng_;
  double loss_;
  TimePoint now_{std::chrono::seconds(1)};
  TimePoint next_tick_{};
  std::vector<std::unique_ptr<SimMember>> members_;
  std::priority_queue<InFlight, std::vector<InFlight>, std::greater<InFlight>> queue_;
  std::set<std::pair<size_t, size_t>> blocked_;
  uint64_t seq_ = 0;
  uint64_t delivered_ = 0;
  uint64_t lost_ = 0;
};

}  // namespace dlog::cluster::test
