#include "cluster/node.h"

#include <algorithm>
#include <charconv>

#include "cluster/node_impl.h"

namespace dlog::cluster {

// --- OverlayPrefix -------------------------------------------------------------------

Result<OverlayPrefix> OverlayPrefix::Parse(std::string_view cidr) {
  const auto bad = [&] {
    return Status::Error("overlay prefix \"" + std::string(cidr) +
                         "\" is not an IPv4 prefix like 10.0.0.0/24 (length 8..30)");
  };
  const size_t slash = cidr.find('/');
  if (slash == std::string_view::npos) return bad();
  uint32_t addr = 0;
  std::string_view ip = cidr.substr(0, slash);
  for (int i = 0; i < 4; ++i) {
    const size_t dot = ip.find('.');
    if ((i < 3) != (dot != std::string_view::npos)) return bad();
    std::string_view part = ip.substr(0, dot);
    unsigned v = 0;
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (ec != std::errc() || p != part.data() + part.size() || part.empty() || v > 255) {
      return bad();
    }
    addr = addr << 8 | v;
    if (i < 3) ip.remove_prefix(dot + 1);
  }
  std::string_view len = cidr.substr(slash + 1);
  unsigned l = 0;
  auto [p, ec] = std::from_chars(len.data(), len.data() + len.size(), l);
  if (ec != std::errc() || p != len.data() + len.size() || l < 8 || l > 30) return bad();
  OverlayPrefix o;
  o.length = uint8_t(l);
  o.network = addr & ~((uint32_t(1) << (32 - l)) - 1);
  if (o.network != addr) return bad();
  return o;
}

uint32_t OverlayPrefix::LastHost() const { return network + (uint32_t(1) << (32 - length)) - 2; }

bool OverlayPrefix::Contains(uint32_t addr) const {
  return addr >= FirstHost() && addr <= LastHost();
}

bool Output::empty() const {
  return underlay.empty() && mesh.empty() && peers.empty() && events.empty() && !state_changed &&
         !address_changed && !key_switch && !removed;
}

// --- Impl helpers --------------------------------------------------------------------

void Node::Impl::Event(std::string text) {
  if (out.events.size() < kMaxEvents) out.events.push_back(std::move(text));
}

void Node::Impl::MarkChanged() { out.state_changed = true; }

bool Node::Impl::IsTrustedSender(const PublicKey& key) const {
  const MemberRecord* r = roster.Find(key);
  if (!r) return false;
  if (!r->removed) return true;
  return r->HasSuccessor() && roster.IsLive(r->successor);  // rotating: old key until switch
}

uint32_t Node::Impl::NewMsgId() { return rng.U32(); }

void Node::Impl::PublishRecord(MemberRecord r, Now now) {
  SignMember(*cluster_keys, r);
  if (roster.Merge(r)) {
    ++counters.records_applied;
    recent[r.key] = now.mono;
    PushRecords({r});
    AfterRosterChange(now);
  }
}

void Node::Impl::CheckSelf() {
  const MemberRecord* self = Self();
  if (!self || !self->removed || removed) return;
  if (rotation && self->successor == rotation->next_public) return;
  removed = true;
  out.removed = true;
  Event("This member was removed from the cluster");
}

void Node::Impl::ResolveCollisions(Now now) {
  if (!IsNode()) return;
  for (const PublicKey& k : roster.Collisions()) {
    MemberRecord r = *roster.Find(k);
    const uint32_t old = r.overlay;
    auto free = roster.LowestFree(opt.prefix.FirstHost(), opt.prefix.LastHost());
    if (!free) return;
    r.overlay = *free;
    ++r.version;
    ++counters.address_reassigned;
    Event("Address collision on " + FormatOverlay(old) + ": " + r.name + " moves to " +
          FormatOverlay(*free));
    SignMember(*cluster_keys, r);
    roster.Merge(r);
    recent[r.key] = now.mono;
    pending_push.push_back(r);
  }
}

void Node::Impl::AfterRosterChange(Now now) {
  ResolveCollisions(now);
  // Peers first (a moved member must be a peer at its new address), then the push.
  std::vector<MemberRecord> push;
  push.swap(pending_push);
  const MemberRecord* self = Self();
  if (self && !self->removed && self->overlay != last_address) {
    last_address = self->overlay;
    out.address_changed = true;
  }
  CheckSelf();
  MarkChanged();
  RecomputePeers(now);
  if (!push.empty()) PushRecords(push);
}

// --- Node ----------------------------------------------------------------------------

Node::Node(NodeKeys keys, NodeOptions options, std::optional<ClusterState> state, Rng& rng)
    : impl_(std::make_unique<Impl>(std::move(keys), options, rng)) {
  if (!state || !state->joined) return;
  Impl& m = *impl_;
  m.joined = true;
  m.cluster_public = state->cluster_public_key;
  m.cluster_keys = state->cluster_keys;
  for (const auto& r : state->members) m.roster.Merge(r);
  for (const auto& t : state->tokens) {
    if (m.tokens.size() < kMaxTokens) m.tokens.emplace(t.id, t);
  }
  if (const MemberRecord* self = m.Self()) {
    m.opt.role = self->role;
    m.removed = self->removed;
    m.last_address = self->overlay;
    // The runtime configures the address and the peers again after a restart.
    m.out.address_changed = !self->removed;
    m.peers_pending = true;
  }
}

Node::~Node() = default;

Status Node::Bootstrap(const ClusterKeys& cluster, Now now) {
  Impl& m = *impl_;
  if (m.joined || m.joining) return Status::Error("this member already belongs to a cluster");
  m.joined = true;
  m.cluster_keys = cluster;
  m.cluster_public = cluster.public_key;
  m.opt.role = Role::kNode;
  MemberRecord r;
  r.key = m.keys.wg_public;
  r.version = 1;
  r.role = Role::kNode;
  r.overlay = m.opt.prefix.FirstHost();
  r.name = m.keys.name;
  r.endpoints.assign(m.own_endpoints.begin(),
                     m.own_endpoints.begin() + std::min(m.own_endpoints.size(), kMaxEndpoints));
  if (m.opt.quantum_resistant) {
    r.pq_algorithm = m.keys.pq.algorithm;
    r.pq_public_key = m.keys.pq.public_key;
  }
  m.Event("Cluster created: pin " + FormatPin(PinOf(cluster.public_key)));
  m.Event("Cluster ready! Node ID: " + r.name);
  m.Event("WireGuard endpoint: " + FormatOverlay(r.overlay));
  m.PublishRecord(std::move(r), now);
  m.out.address_changed = true;
  return Status::Ok();
}

bool Node::joined() const { return impl_->joined; }
bool Node::join_failed() const { return impl_->join_failed; }

void Node::OnUnderlayDatagram(const wg::Endpoint& from, ByteSpan bytes, Now now) {
  Impl& m = *impl_;
  auto f = ParseFragment(bytes);
  if (!f || IsMeshType(f->type)) {
    ++m.counters.malformed;
    return;
  }
  if (f->type == MsgType::kJoinRequest) {
    if (!m.joined || !m.IsNode() || m.removed) {
      ++m.counters.join_not_node;
      return;
    }
    if (!m.RateLimit(from, now.mono)) {
      ++m.counters.join_rate_limited;
      return;
    }
  } else if (!m.joining) {
    ++m.counters.accept_bad;
    return;
  }
  Bytes body;
  if (!m.underlay_reasm.Add("u" + from.ToString(), *f, now.mono, body)) return;
  if (f->type == MsgType::kJoinRequest) {
    m.OnJoinRequest(from, body, now);
  } else {
    m.OnJoinAccept(from, body, now);
  }
}

void Node::OnMeshDatagram(const PublicKey& from, ByteSpan bytes, Now now) {
  Impl& m = *impl_;
  if (!m.joined || m.removed || !m.IsTrustedSender(from) || from == m.keys.wg_public) {
    ++m.counters.mesh_not_member;
    return;
  }
  auto f = ParseFragment(bytes);
  if (!f || !IsMeshType(f->type)) {
    ++m.counters.malformed;
    return;
  }
  Bytes body;
  if (!m.mesh_reasm.Add(std::string(from.begin(), from.end()), *f, now.mono, body)) return;
  m.OnMeshMessage(from, f->type, body, now);
}

void Node::OnCandidate(const std::optional<PublicKey>& key, std::string_view name,
                       const wg::Endpoint& endpoint, Now now) {
  Impl& m = *impl_;
  if (!endpoint.IsSet()) return;
  if (key && *key == m.keys.wg_public) return;
  std::string ip = endpoint.ToString();
  ip = ip.substr(0, ip.rfind(':'));
  const std::string label = std::string(name.empty() ? "a member" : name) + " at " + ip;
  if (m.announced.size() < kMaxUnknownCandidates * 4 && m.announced.insert(label).second) {
    m.Event("Found " + label);
  }
  if (m.joining) {
    auto& t = m.joining->targets;
    if (std::find(t.begin(), t.end(), endpoint) == t.end() && t.size() < kMaxJoinTargets) {
      t.push_back(endpoint);
      m.joining->next = std::min(m.joining->next, now.mono);
    }
  }
  if (!key || !m.roster.Find(*key)) return;
  auto& list = m.discovered[*key];
  if (std::find(list.begin(), list.end(), endpoint) != list.end()) return;
  if (list.size() >= kMaxCandidateEndpoints) list.erase(list.begin());
  list.push_back(endpoint);
  m.RecomputePeers(now);
}

void Node::OnPeerStatus(const PublicKey& key, bool up, Now now) {
  Impl& m = *impl_;
  auto it = m.peers.find(key);
  if (it == m.peers.end()) return;
  const bool was = it->second.up;
  it->second.up = up;
  if (up && !was) {
    m.Event("Tunnel to " + it->second.applied.name + ": established");
    const MemberRecord* r = m.roster.Find(key);
    if (r && !r->removed) {
      // A rotated-in key that handshakes takes over from its predecessor.
      for (const auto& [k, old] : m.roster.records()) {
        if (old.removed && old.successor == key) {
          m.successors_up.insert(key);
          m.RecomputePeers(now);
          break;
        }
      }
    }
  }
}

void Node::SetOwnEndpoints(const std::vector<wg::Endpoint>& endpoints, Now now) {
  Impl& m = *impl_;
  m.own_endpoints.assign(endpoints.begin(),
                         endpoints.begin() + std::min(endpoints.size(), kMaxEndpoints));
  const MemberRecord* self = m.Self();
  if (!m.IsNode() || !self || self->removed || self->endpoints == m.own_endpoints) return;
  MemberRecord r = *self;
  r.endpoints = m.own_endpoints;
  ++r.version;
  m.PublishRecord(std::move(r), now);
}

void Node::Tick(Now now) {
  Impl& m = *impl_;
  m.underlay_reasm.Expire(now.mono);
  m.mesh_reasm.Expire(now.mono);
  if (m.joining && now.mono >= m.joining->next) m.SendJoinRequests(now);
  if (m.joined && !m.removed) {
    if (m.peers_pending) {
      m.peers_pending = false;
      m.RecomputePeers(now);
    }
    m.AntiEntropy(now);
    m.RotationTick(now);
    m.PeerEndpointTick(now);
  }
}

TimePoint Node::NextDeadline() const {
  const Impl& m = *impl_;
  TimePoint t = std::min(m.underlay_reasm.NextDeadline(), m.mesh_reasm.NextDeadline());
  if (m.joining) t = std::min(t, m.joining->next);
  if (m.joined && !m.removed) {
    if (m.peers_pending || !m.anti_entropy_started) return TimePoint::min();
    t = std::min(t, m.next_anti_entropy);
    if (m.rotation) t = std::min(t, m.rotation->deadline);
    t = std::min(t, m.PeerDeadline());
  }
  return t;
}

// --- Admin ---------------------------------------------------------------------------

Result<std::string> Node::CreateToken(Role role, int64_t expiry_unix, uint32_t max_uses, Now now) {
  Impl& m = *impl_;
  if (!m.IsNode() || m.removed)
    return Status::Error("only a node of the cluster can create tokens");
  if (expiry_unix <= now.UnixSeconds()) return Status::Error("the token's expiry is in the past");
  if (m.tokens.size() >= kMaxTokens) {
    std::erase_if(m.tokens,
                  [&](const auto& kv) { return kv.second.Unusable(now.UnixSeconds()) != nullptr; });
    if (m.tokens.size() >= kMaxTokens) {
      return Status::Error("too many live tokens (" + std::to_string(kMaxTokens) +
                           "); revoke some first");
    }
  }
  JoinToken t;
  t.pin = PinOf(m.cluster_public);
  m.rng.Fill(t.id);
  m.rng.Fill(t.secret.span());
  TokenRecord rec;
  rec.id = t.id;
  rec.role = role;
  rec.expiry_unix = expiry_unix;
  rec.max_uses = max_uses;
  rec.join_key = JoinKeyOf(t.secret);
  m.tokens[t.id] = rec;
  m.MarkChanged();
  m.PushTokens();
  return FormatToken(t);
}

Status Node::RevokeToken(const TokenId& id, Now now) {
  Impl& m = *impl_;
  if (!m.IsNode()) return Status::Error("only a node of the cluster can revoke tokens");
  auto it = m.tokens.find(id);
  if (it == m.tokens.end()) return Status::Error("no token with that id");
  if (!it->second.revoked) {
    it->second.revoked = true;
    m.MarkChanged();
    m.PushTokens();
  }
  return Status::Ok();
}

Status Node::RemoveMember(const PublicKey& key, Now now) {
  Impl& m = *impl_;
  if (!m.IsNode() || m.removed)
    return Status::Error("only a node of the cluster can remove members");
  if (key == m.keys.wg_public)
    return Status::Error("a node cannot remove itself; ask another node");
  const MemberRecord* r = m.roster.Find(key);
  if (!r || r->removed) return Status::Error("no live member with that key");
  MemberRecord t = *r;
  t.removed = true;
  ++t.version;
  m.Event("Removed " + t.name + " (" + FormatOverlay(t.overlay) + ")");
  m.PublishRecord(std::move(t), now);
  return Status::Ok();
}

Result<MemberRecord> Node::AddMember(const PublicKey& key, std::string_view name, Role role,
                                     Now now) {
  Impl& m = *impl_;
  if (!m.IsNode() || m.removed) return Status::Error("only a node of the cluster can add members");
  if (!IsValidName(name)) return Status::Error("a member name is 1 to 63 of [A-Za-z0-9._-]");
  if (m.roster.Find(key)) return Status::Error("that key is (or was) already a member");
  auto addr = m.roster.LowestFree(m.opt.prefix.FirstHost(), m.opt.prefix.LastHost());
  if (!addr) return Status::Error("the overlay prefix has no free address");
  MemberRecord r;
  r.key = key;
  r.version = 1;
  r.role = role;
  r.overlay = *addr;
  r.name = std::string(name);
  m.PublishRecord(r, now);
  return *m.roster.Find(key);
}

Result<crypto::X25519Private> Node::RotateOwnKeys(Now now) {
  Impl& m = *impl_;
  if (!m.IsNode() || m.removed) return Status::Error("only a node of the cluster can rotate keys");
  if (m.rotation) return Status::Error("a rotation is already in progress");
  const MemberRecord* self = m.Self();
  if (!self) return Status::Error("this node has no record yet");
  Impl::Rotation rot;
  rot.next_private = crypto::GeneratePrivateKey(m.rng);
  rot.next_public = crypto::PublicKeyOf(rot.next_private);
  rot.deadline = now.mono + kRotationGrace;
  MemberRecord next = *self;
  next.key = rot.next_public;
  next.version = self->version + 1;
  MemberRecord old = *self;
  old.removed = true;
  old.successor = rot.next_public;
  ++old.version;
  SignMember(*m.cluster_keys, next);
  SignMember(*m.cluster_keys, old);
  m.rotation = rot;
  m.Event("Rotating this node's WireGuard key");
  m.roster.Merge(next);
  m.roster.Merge(old);
  m.recent[next.key] = now.mono;
  m.recent[old.key] = now.mono;
  m.PushRecords({next, old});
  m.AfterRosterChange(now);
  return rot.next_private;
}

std::vector<MemberView> Node::ListMembers() const {
  const Impl& m = *impl_;
  std::vector<MemberView> out;
  for (const auto& [k, r] : m.roster.records()) {
    MemberView v{r, k == m.keys.wg_public, false};
    if (auto it = m.peers.find(k); it != m.peers.end()) v.peer_up = it->second.up;
    out.push_back(std::move(v));
  }
  return out;
}

std::vector<TokenRecord> Node::ListTokens() const {
  std::vector<TokenRecord> out;
  for (const auto& [id, t] : impl_->tokens) out.push_back(t);
  return out;
}

Output Node::TakeOutput() {
  Output o = std::move(impl_->out);
  impl_->out = Output();
  return o;
}

ClusterState Node::ExportState() const {
  const Impl& m = *impl_;
  ClusterState s;
  s.joined = m.joined;
  s.cluster_public_key = m.cluster_public;
  s.cluster_keys = m.cluster_keys;
  for (const auto& [k, r] : m.roster.records()) s.members.push_back(r);
  for (const auto& [id, t] : m.tokens) s.tokens.push_back(t);
  return s;
}

std::optional<uint32_t> Node::overlay_address() const {
  const MemberRecord* self = impl_->Self();
  if (self && self->removed && impl_->rotation) {
    self = impl_->roster.Find(impl_->rotation->next_public);  // same address
  }
  if (!impl_->joined || !self || self->removed) return std::nullopt;
  return self->overlay;
}

const PublicKey& Node::public_key() const { return impl_->keys.wg_public; }
std::string Node::name() const { return impl_->keys.name; }
Pin Node::cluster_pin() const { return impl_->joined ? PinOf(impl_->cluster_public) : Pin{}; }
const ClusterSecret* Node::cluster_secret() const {
  return impl_->cluster_keys ? &impl_->cluster_keys->secret : nullptr;
}
const Counters& Node::counters() const { return impl_->counters; }

}  // namespace dlog::cluster
