// Enrollment, both sides (messages.h has the layouts, docs/CLUSTER.md the why).
#include <algorithm>

#include "cluster/node_impl.h"

namespace dlog::cluster {
namespace {

std::string HostOf(const wg::Endpoint& e) {
  std::string s = e.ToString();
  return s.substr(0, s.rfind(':'));
}

}  // namespace

// --- Member side ---------------------------------------------------------------------

bool Node::Impl::RateLimit(const wg::Endpoint& from, TimePoint now) {
  const std::string host = HostOf(from);
  auto it = buckets.find(host);
  if (it == buckets.end()) {
    if (buckets.size() >= kMaxRateLimitSources) {
      // Forget the source that has been quiet longest.
      auto oldest = std::min_element(
          buckets.begin(), buckets.end(),
          [](const auto& a, const auto& b) { return a.second.last < b.second.last; });
      buckets.erase(oldest);
    }
    it = buckets.emplace(host, Bucket{double(kJoinBurst), now}).first;
  }
  Bucket& b = it->second;
  const double refill =
      std::chrono::duration<double>(now - b.last) / std::chrono::duration<double>(kJoinRefill);
  b.tokens = std::min<double>(kJoinBurst, b.tokens + std::max(0.0, refill));
  b.last = now;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

void Node::Impl::OnJoinRequest(const wg::Endpoint& from, ByteSpan body, Now now) {
  auto req = ParseJoinRequest(body);
  if (!req) {
    ++counters.malformed;
    return;
  }
  auto tok = tokens.find(req->token_id);
  if (tok == tokens.end()) {
    ++counters.join_unknown_token;
    return;
  }
  TokenRecord& t = tok->second;
  auto plain = OpenJoinRequest(t.join_key, *req);
  if (!plain) {
    ++counters.join_bad_aead;
    return;
  }
  const int64_t skew = plain->timestamp - now.UnixSeconds();
  if (skew > kJoinClockSkew.count() || -skew > kJoinClockSkew.count()) {
    ++counters.join_stale;
    return;
  }
  if (t.revoked) {
    ++counters.join_revoked;
    return;
  }
  if (now.UnixSeconds() >= t.expiry_unix) {
    ++counters.join_expired;
    return;
  }
  if (plain->role != t.role || plain->wg_public == keys.wg_public) {
    ++counters.malformed;
    return;
  }
  const MemberRecord* existing = roster.Find(plain->wg_public);
  if (existing && existing->removed) {
    ++counters.join_removed_key;
    return;
  }
  if (existing) {
    ++counters.join_readmitted;  // a retry or replay: same answer, no use counted
  } else {
    if (t.Unusable(now.UnixSeconds())) {
      ++counters.join_used_up;
      return;
    }
    auto addr = roster.LowestFree(opt.prefix.FirstHost(), opt.prefix.LastHost());
    if (!addr) {
      ++counters.join_used_up;  // the prefix is full: nobody more can be admitted
      return;
    }
    MemberRecord r;
    r.key = plain->wg_public;
    r.version = 1;
    r.role = t.role;
    r.overlay = *addr;
    r.name = plain->name;
    wg::Endpoint ep = from;
    r.endpoints.push_back(ep);
    r.pq_algorithm = plain->pq_algorithm;
    r.pq_public_key = plain->pq_public_key;
    t.CountUse(keys.wg_public);
    ++counters.join_admitted;
    Event("Admitted " + r.name + " (" + RoleName(r.role) + ") at " + FormatOverlay(r.overlay) +
          " from " + HostOf(from));
    PushTokens();
    PublishRecord(std::move(r), now);
    existing = roster.Find(plain->wg_public);
    if (!existing || existing->removed) return;
  }

  JoinAcceptPlain a;
  a.cluster_public = cluster_public;
  a.joiner = *existing;
  if (t.role == Role::kNode) a.keys = cluster_keys;
  if (const MemberRecord* self = Self()) a.members.push_back(*self);
  for (const auto& [k, r] : roster.records()) {
    if (a.members.size() >= kMaxAcceptMembers) break;
    if (!r.removed && r.role == Role::kNode && k != keys.wg_public && k != existing->key) {
      a.members.push_back(r);
    }
  }
  crypto::X25519Private eph = crypto::GeneratePrivateKey(rng);
  Bytes sealed = SealJoinAccept(t.join_key, eph, req->joiner_eph, *cluster_keys, a);
  if (sealed.empty()) return;
  for (auto& d : MakeFragments(MsgType::kJoinAccept, NewMsgId(), sealed)) {
    if (out.underlay.size() >= kMaxOutboxDatagrams) {
      ++counters.outbox_dropped;
      continue;
    }
    out.underlay.push_back({from, std::move(d)});
  }
}

// --- Joiner side ---------------------------------------------------------------------

Status Node::Join(std::string_view token_text, const std::vector<wg::Endpoint>& targets, Role role,
                  Now now) {
  Impl& m = *impl_;
  if (m.joined) return Status::Error("this member already belongs to a cluster");
  auto token = ParseToken(token_text);
  if (!token.ok()) return token.status();
  Impl::Joining j;
  j.token = *token;
  j.join_key = JoinKeyOf(token->secret);
  j.role = role;
  j.eph = crypto::GeneratePrivateKey(m.rng);
  j.eph_public = crypto::PublicKeyOf(j.eph);
  for (const auto& t : targets) {
    if (j.targets.size() < kMaxJoinTargets &&
        std::find(j.targets.begin(), j.targets.end(), t) == j.targets.end()) {
      j.targets.push_back(t);
    }
  }
  j.next = now.mono;
  j.backoff = kJoinRetryBegin;
  m.opt.role = role;
  m.joining = std::move(j);
  m.join_failed = false;
  m.Event("Joining cluster " + FormatPin(token->pin));
  m.SendJoinRequests(now);
  return Status::Ok();
}

void Node::Impl::SendJoinRequests(Now now) {
  Joining& j = *joining;
  if (j.attempts >= kJoinMaxAttempts) {
    join_failed = true;
    Event("Join failed: no member answered " + std::to_string(j.attempts) +
          " rounds of requests (is the token right and a member reachable?)");
    joining.reset();
    return;
  }
  j.next = now.mono + j.backoff + std::chrono::milliseconds(rng.Uniform(250));
  j.backoff = std::min<Duration>(j.backoff * 2, kJoinRetryMax);
  if (j.targets.empty()) return;  // wait for discovery; rounds are counted only when sent
  ++j.attempts;
  JoinRequestPlain p;
  p.timestamp = now.UnixSeconds();
  p.role = j.role;
  p.wg_public = keys.wg_public;
  p.name = keys.name;
  if (opt.quantum_resistant) {
    p.pq_algorithm = keys.pq.algorithm;
    p.pq_public_key = keys.pq.public_key;
  }
  p.listen_port = opt.listen_port;
  const Bytes body = SealJoinRequest(j.join_key, j.eph_public, j.token.id, p);
  const auto frags = MakeFragments(MsgType::kJoinRequest, NewMsgId(), body);
  for (const auto& target : j.targets) {
    for (const auto& d : frags) {
      if (out.underlay.size() < kMaxOutboxDatagrams) out.underlay.push_back({target, d});
    }
  }
}

void Node::Impl::OnJoinAccept(const wg::Endpoint& from, ByteSpan body, Now now) {
  Joining& j = *joining;
  auto a = OpenJoinAccept(j.join_key, j.eph, body);
  if (!a) {
    ++counters.accept_bad;
    return;
  }
  if (PinOf(a->cluster_public) != j.token.pin) {
    ++counters.accept_pin_mismatch;
    return;
  }
  if (a->joiner.key != keys.wg_public || a->joiner.removed ||
      !VerifyMember(a->cluster_public, a->joiner) || !opt.prefix.Contains(a->joiner.overlay)) {
    ++counters.accept_bad;
    return;
  }
  joined = true;
  cluster_public = a->cluster_public;
  if (a->keys && j.role == Role::kNode) cluster_keys = a->keys;  // before reset
  const Pin pin = j.token.pin;
  const Role role = j.role;
  joining.reset();
  roster.Merge(a->joiner);
  for (const auto& r : a->members) {
    if (VerifyMember(cluster_public, r)) {
      roster.Merge(r);
    } else {
      ++counters.mesh_bad_signature;
    }
  }
  // The answer came from the admitting node's real address: a first endpoint for it
  // even if its record lists none we can reach.
  if (!a->members.empty() && a->members[0].key != keys.wg_public) {
    discovered[a->members[0].key].push_back(from);
  }
  Event("Joined cluster " + FormatPin(pin) + " as " + keys.name + " (" + RoleName(role) + ")");
  Event("WireGuard endpoint: " + FormatOverlay(a->joiner.overlay));
  next_anti_entropy = now.mono;
  AfterRosterChange(now);
}

}  // namespace dlog::cluster
