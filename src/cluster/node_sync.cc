// Roster anti-entropy inside the mesh (docs/CLUSTER.md, "Membership sync").
//
//   every kAntiEntropyInterval: Digest → one random live member (nodes also send it
//   their TokenDelta);
//   Digest that differs from ours → Summary(want_reply);
//   Summary → Delta of the records the sender lacks or holds older; and, if want_reply
//   and the sender holds newer ones, Summary(no reply) so that it sends its Delta;
//   Delta that changed something → Digest back (an acknowledgement, used by rotation);
//   a local change → Delta pushed to every live member at once.
#include <algorithm>

#include "cluster/node_impl.h"

namespace dlog::cluster {
namespace {

// A Delta is cut after the record that takes it past two datagrams' worth: with loss,
// many small independent messages beat one large one that needs every fragment.
constexpr size_t kDeltaBudget = 2 * kMaxChunkSize;
constexpr int kRemovalCopies = 3;

}  // namespace

std::vector<PublicKey> Node::Impl::LiveMemberPeers() const {
  std::vector<PublicKey> out;
  for (const auto& [k, r] : roster.records()) {
    if (r.removed || k == keys.wg_public) continue;
    if (rotation && k == rotation->next_public) continue;            // our own next key
    if (opt.role != Role::kNode && r.role != Role::kNode) continue;  // clients talk to nodes
    out.push_back(k);
  }
  return out;
}

void Node::Impl::SendMesh(const PublicKey& to, MsgType type, ByteSpan body) {
  const MemberRecord* r = roster.Find(to);
  if (!r) return;
  for (auto& d : MakeFragments(type, NewMsgId(), body)) {
    if (out.mesh.size() >= kMaxOutboxDatagrams) {
      ++counters.outbox_dropped;
      continue;
    }
    out.mesh.push_back({to, r->overlay, std::move(d)});
  }
}

void Node::Impl::SendDelta(const PublicKey& to, const std::vector<const MemberRecord*>& records) {
  std::vector<MemberRecord> batch;
  size_t bytes = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    batch.push_back(*records[i]);
    bytes += SignedPart(*records[i]).size() + kSignatureSize;
    if (bytes >= kDeltaBudget || i + 1 == records.size()) {
      SendMesh(to, MsgType::kRosterDelta, EncodeDelta(batch));
      batch.clear();
      bytes = 0;
    }
  }
}

void Node::Impl::PushRecords(const std::vector<MemberRecord>& records) {
  std::vector<const MemberRecord*> ptrs;
  for (const auto& r : records) ptrs.push_back(&r);
  // Every live member, and also a member these records just removed: it learns why
  // its tunnels go down.
  std::vector<PublicKey> to = LiveMemberPeers();
  for (const auto& r : records) {
    if (r.removed && r.key != keys.wg_public &&
        std::find(to.begin(), to.end(), r.key) == to.end()) {
      to.push_back(r.key);
    }
  }
  for (const auto& k : to) {
    // A member being removed hears it once only (its tunnels go down right after), so
    // it gets a few copies against loss.
    const MemberRecord* r = roster.Find(k);
    const int copies = r && r->removed ? kRemovalCopies : 1;
    for (int c = 0; c < copies; ++c) SendDelta(k, ptrs);
  }
}

void Node::Impl::PushTokens() {
  if (!IsNode() || tokens.empty()) return;
  std::vector<TokenRecord> all;
  for (const auto& [id, t] : tokens) all.push_back(t);
  const Bytes body = EncodeTokenDelta(all);
  for (const auto& k : LiveMemberPeers()) {
    const MemberRecord* r = roster.Find(k);
    if (r && r->role == Role::kNode) SendMesh(k, MsgType::kTokenDelta, body);
  }
}

void Node::Impl::AntiEntropy(Now now) {
  if (!anti_entropy_started) {
    anti_entropy_started = true;
    next_anti_entropy = now.mono;
  }
  if (now.mono < next_anti_entropy) return;
  next_anti_entropy = now.mono + kAntiEntropyInterval;
  const auto peers_list = LiveMemberPeers();
  if (peers_list.empty()) return;
  const PublicKey& to = peers_list[rng.Uniform(uint32_t(peers_list.size()))];
  SendMesh(to, MsgType::kRosterDigest, EncodeDigest(roster.Digest()));
  std::erase_if(recent, [&](const auto& kv) { return now.mono - kv.second > kRecentWindow; });
  std::vector<const MemberRecord*> fresh;
  for (const auto& [k, t] : recent) {
    if (const MemberRecord* r = roster.Find(k)) fresh.push_back(r);
  }
  SendDelta(to, fresh);
  const MemberRecord* r = roster.Find(to);
  if (IsNode() && r && r->role == Role::kNode && !tokens.empty()) {
    std::vector<TokenRecord> all;
    for (const auto& [id, t] : tokens) all.push_back(t);
    SendMesh(to, MsgType::kTokenDelta, EncodeTokenDelta(all));
  }
}

void Node::Impl::OnMeshMessage(const PublicKey& from, MsgType type, ByteSpan body, Now now) {
  switch (type) {
    case MsgType::kRosterDigest: {
      auto d = ParseDigest(body);
      if (!d) break;
      if (d->hash == roster.Digest().hash) {
        if (rotation) rotation->acked.insert(from);
      } else {
        SendMesh(from, MsgType::kRosterSummary, EncodeSummary({true, roster.Summary()}));
      }
      return;
    }
    case MsgType::kRosterSummary: {
      auto s = ParseSummary(body);
      if (!s) break;
      SendDelta(from, roster.NewerThan(s->entries));
      if (s->want_reply && roster.TheyHaveNewer(s->entries)) {
        SendMesh(from, MsgType::kRosterSummary, EncodeSummary({false, roster.Summary()}));
      }
      return;
    }
    case MsgType::kRosterDelta: {
      auto records = ParseDelta(body);
      if (!records) break;
      bool changed = false;
      for (const auto& r : *records) {
        if (!VerifyMember(cluster_public, r)) {
          ++counters.mesh_bad_signature;
          continue;
        }
        if (roster.Merge(r)) {
          ++counters.records_applied;
          recent[r.key] = now.mono;
          changed = true;
        }
      }
      if (changed) {
        AfterRosterChange(now);
        if (IsTrustedSender(from)) {
          SendMesh(from, MsgType::kRosterDigest, EncodeDigest(roster.Digest()));
        }
      }
      return;
    }
    case MsgType::kTokenDelta: {
      const MemberRecord* sender = roster.Find(from);
      if (!IsNode() || !sender || sender->role != Role::kNode) {
        ++counters.token_from_non_node;
        return;
      }
      auto list = ParseTokenDelta(body);
      if (!list) break;
      bool changed = false;
      for (const auto& t : *list) {
        auto it = tokens.find(t.id);
        if (it != tokens.end()) {
          changed |= it->second.Merge(t);
        } else if (tokens.size() < kMaxTokens) {
          tokens.emplace(t.id, t);
          changed = true;
        }
      }
      if (changed) MarkChanged();
      return;
    }
    default:
      break;
  }
  ++counters.malformed;
}

void Node::Impl::RotationTick(Now now) {
  if (!rotation) return;
  bool all = true;
  for (const auto& k : LiveMemberPeers()) {
    const MemberRecord* r = roster.Find(k);
    if (r && r->role == Role::kNode && k != rotation->next_public && !rotation->acked.count(k)) {
      all = false;
    }
  }
  if (!all && now.mono < rotation->deadline) return;
  // Switch: from now on this core is the new key.
  keys.wg_private = rotation->next_private;
  keys.wg_public = rotation->next_public;
  rotation.reset();
  out.key_switch = true;
  MarkChanged();
  Event("Switched to the new WireGuard key");
  RecomputePeers(now);
}

}  // namespace dlog::cluster
