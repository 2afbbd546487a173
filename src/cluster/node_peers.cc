// The WireGuard peer set this member should have, as a diff against what it last
// asked for (docs/CLUSTER.md, "Peers").
//
//   peers     every live member (nodes), or every live node (clients, admins), but
//             never this member itself;
//   rotation  a tombstone whose successor is live stays a peer (with its address) while
//             its tunnel is up and the successor has not handshaken here yet; the
//             successor is meanwhile a peer without allowed IPs (allowed_ip 0), so it can
//             handshake but not yet carry traffic. Its first handshake moves the address;
//   endpoint  the record's endpoints, then discovered ones; a peer that is down moves
//             to the next candidate every kEndpointRetryInterval (so a false address
//             announced by mDNS costs a retry, not the tunnel).
#include <algorithm>

#include "cluster/node_impl.h"

namespace dlog::cluster {

std::vector<wg::Endpoint> Node::Impl::CandidateEndpoints(const MemberRecord& r) const {
  std::vector<wg::Endpoint> out = r.endpoints;
  if (auto it = discovered.find(r.key); it != discovered.end()) {
    for (const auto& e : it->second) {
      if (out.size() >= kMaxCandidateEndpoints) break;
      if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(e);
    }
  }
  return out;
}

namespace {

bool SamePeer(const PeerChange& a, const PeerChange& b) {
  return a.allowed_ip == b.allowed_ip && a.pq_algorithm == b.pq_algorithm &&
         a.pq_public_key == b.pq_public_key && a.name == b.name;
}

}  // namespace

void Node::Impl::RecomputePeers(Now now) {
  std::map<PublicKey, PeerChange> want;
  const bool self_ok = joined && !removed;
  // Successor key → predecessor record, for rotations in progress.
  std::map<PublicKey, const MemberRecord*> predecessor;
  for (const auto& [k, r] : roster.records()) {
    if (r.removed && r.HasSuccessor()) predecessor[r.successor] = &r;
  }
  auto add = [&](const MemberRecord& r, uint32_t allowed_ip) {
    PeerChange p;
    p.key = r.key;
    p.name = r.name;
    p.allowed_ip = allowed_ip;
    if (opt.quantum_resistant && r.pq_algorithm) {
      p.pq_algorithm = r.pq_algorithm;
      p.pq_public_key = r.pq_public_key;
    }
    want[r.key] = std::move(p);
  };
  for (const auto& [k, r] : roster.records()) {
    if (!self_ok || r.removed || k == keys.wg_public) continue;
    if (rotation && k == rotation->next_public) continue;
    if (opt.role != Role::kNode && r.role != Role::kNode) continue;
    auto pred = predecessor.find(k);
    const bool old_up = pred != predecessor.end() && pred->second->key != keys.wg_public &&
                        peers.count(pred->second->key) && peers.at(pred->second->key).up;
    if (old_up && !successors_up.count(k)) {
      add(*pred->second, pred->second->overlay);  // the old key keeps carrying traffic
      add(r, 0);
    } else {
      add(r, r.overlay);
    }
  }
  // Removals, then adds and updates. The runtime applies removals last: an address that
  // moves between keys is re-pointed by the add (WireGuard's allowed IPs map a prefix to
  // one peer), and removing the old peer afterwards leaves the re-pointed prefix alone.
  for (auto it = peers.begin(); it != peers.end();) {
    if (want.count(it->first)) {
      ++it;
      continue;
    }
    PeerChange p = it->second.applied;
    p.kind = PeerChange::Kind::kRemove;
    p.endpoint.reset();
    Event("Tunnel to " + p.name + ": removed");
    out.peers.push_back(std::move(p));
    it = peers.erase(it);
  }
  for (auto& [k, p] : want) {
    auto it = peers.find(k);
    if (it == peers.end()) {
      const MemberRecord* r = roster.Find(k);
      const auto cands = r ? CandidateEndpoints(*r) : std::vector<wg::Endpoint>();
      if (!cands.empty()) p.endpoint = cands[0];
      p.kind = PeerChange::Kind::kAdd;
      PeerState st;
      st.applied = p;
      st.last_switch = now.mono;
      peers.emplace(k, st);
      Event("Tunnel to " + p.name + ": configured" +
            (p.endpoint ? " (" + p.endpoint->ToString() + ")" : ""));
      out.peers.push_back(std::move(p));
    } else if (!SamePeer(it->second.applied, p)) {
      p.kind = PeerChange::Kind::kUpdate;
      p.endpoint.reset();
      it->second.applied = p;
      out.peers.push_back(std::move(p));
    }
  }
}

void Node::Impl::PeerEndpointTick(Now now) {
  for (auto& [k, st] : peers) {
    if (st.up || now.mono - st.last_switch < kEndpointRetryInterval) continue;
    const MemberRecord* r = roster.Find(k);
    if (!r) continue;
    const auto cands = CandidateEndpoints(*r);
    st.last_switch = now.mono;
    if (cands.size() < 2) continue;
    st.endpoint_index = (st.endpoint_index + 1) % cands.size();
    PeerChange p = st.applied;
    p.kind = PeerChange::Kind::kUpdate;
    p.endpoint = cands[st.endpoint_index];
    st.applied.endpoint = p.endpoint;
    out.peers.push_back(std::move(p));
  }
}

TimePoint Node::Impl::PeerDeadline() const {
  TimePoint t = TimePoint::max();
  for (const auto& [k, st] : peers) {
    if (!st.up) t = std::min(t, st.last_switch + kEndpointRetryInterval);
  }
  return t;
}

}  // namespace dlog::cluster
