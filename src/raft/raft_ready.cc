// Raft: the Ready cycle, proposals and membership bookkeeping.
#include <cassert>

#include "raft/raft.h"

namespace dlog::raft {
namespace {

// What an entry costs against max_uncommitted_bytes: empty ones are not free.
uint64_t EntryCost(const Bytes& data) { return kEntryHeaderSize + data.size(); }

}  // namespace

bool Raft::HasReady() const {
  if (ready_outstanding_) return false;
  HardState hs{term_, vote_, log_.committed()};
  return hs != persisted_hs_ || log_.HasEntriesToPersist() || !msgs_.empty() ||
         log_.HasEntriesToApply();
}

Ready Raft::GetReady() {
  assert(!ready_outstanding_);
  Ready r;
  HardState hs{term_, vote_, log_.committed()};
  if (hs != persisted_hs_) {
    r.hard_state = hs;
    persisted_hs_ = hs;
  }
  r.entries = log_.TakeEntriesToPersist();
  r.messages.swap(msgs_);
  r.committed_entries = log_.EntriesToApply(config_.max_apply_bytes);
  ready_outstanding_ = true;
  return r;
}

void Raft::Advance(const Ready& ready) {
  assert(ready_outstanding_);
  ready_outstanding_ = false;
  if (!ready.entries.empty()) log_.StableTo(ready.entries.back().index, ready.entries.back().term);
  if (!ready.committed_entries.empty()) log_.AppliedTo(ready.committed_entries.back().index);
  // The leader's own entries count towards a quorum only now that they are durable
  // (§10.2.1 would allow counting them while they are written; a commit here always
  // means a durable majority).
  if (role_ == Role::kLeader && MaybeCommit()) BroadcastAppend();
}

ProposeResult Raft::NotLeader() const {
  ProposeResult r;
  r.code = ProposeResult::Code::kNotLeader;
  r.leader_hint = leader_ == id() ? kNoNode : leader_;
  return r;
}

ProposeResult Raft::Propose(Bytes data) {
  if (role_ != Role::kLeader || !Promotable()) return NotLeader();
  ProposeResult r;
  if (data.size() > kMaxEntryDataBytes) {
    r.reason = "raft: entry larger than kMaxEntryDataBytes";
    return r;
  }
  if (uncommitted_bytes_ + EntryCost(data) > config_.max_uncommitted_bytes) {
    r.code = ProposeResult::Code::kBusy;
    r.reason = "raft: too much uncommitted data; retry later";
    return r;
  }
  AppendLocal(EntryType::kNormal, std::move(data));
  BroadcastAppend();
  r.code = ProposeResult::Code::kProposed;
  r.index = log_.LastIndex();
  r.term = term_;
  return r;
}

ProposeResult Raft::ProposeMembership(const MembershipChange& change) {
  if (role_ != Role::kLeader || !Promotable()) return NotLeader();
  ProposeResult r;
  // One change at a time, and only once this leader committed an entry of its term:
  // otherwise an uncommitted change of a previous leader could overlap ours (the
  // single-server change bug, raft-dev 2015, fixed as in §4.1's errata).
  if (configs_.back().first > log_.committed() || *log_.TermAt(log_.committed()) != term_) {
    r.code = ProposeResult::Code::kBusy;
    r.reason = "raft: a membership change or leader start-up is in progress; retry";
    return r;
  }
  Result<Membership> next = membership().With(change);
  if (!next.ok()) {
    r.reason = next.error();
    return r;
  }
  AppendLocal(EntryType::kMembership, next->Encode());
  BroadcastAppend();
  r.code = ProposeResult::Code::kProposed;
  r.index = log_.LastIndex();
  r.term = term_;
  return r;
}

void Raft::AppendLocal(EntryType type, Bytes data) {
  Index index = log_.LastIndex() + 1;
  uint64_t size = EntryCost(data);
  std::vector<std::pair<Index, Bytes>> memberships;
  if (type == EntryType::kMembership) memberships.emplace_back(index, data);
  std::vector<Entry> entries;
  entries.push_back(Entry{term_, index, type, std::move(data)});
  log_.Append(std::move(entries));
  if (!memberships.empty()) OnMembershipEntries(index, memberships);
  uncommitted_.emplace_back(index, size);
  uncommitted_bytes_ += size;
}

// Entries from `rewritten_from` on were replaced or added; `entries` holds the
// membership entries among them (and possibly earlier ones, ignored). A membership is
// in force from its append (§4.1), so a rewritten one falls back to its predecessor.
void Raft::OnMembershipEntries(Index rewritten_from,
                               const std::vector<std::pair<Index, Bytes>>& entries) {
  while (configs_.size() > 1 && configs_.back().first >= rewritten_from) configs_.pop_back();
  for (const auto& [index, data] : entries) {
    if (index < rewritten_from) continue;
    Result<Membership> m = Membership::Decode(data);
    assert(m.ok());  // local proposals are built valid; the decoder checks peers'
    if (m.ok()) configs_.emplace_back(index, std::move(*m));
  }
  if (role_ == Role::kLeader) SyncProgress();
}

void Raft::SyncProgress() {
  const Membership& m = membership();
  for (auto it = progress_.begin(); it != progress_.end();) {
    it = m.Contains(it->first) ? std::next(it) : progress_.erase(it);
  }
  for (NodeId v : m.voters()) {
    if (v != id() && !progress_.contains(v)) {
      progress_.emplace(v, Progress(log_.LastIndex() + 1, config_.max_inflight));
    }
  }
}

void Raft::OnCommitted() {
  while (configs_.size() > 1 && configs_[1].first <= log_.committed()) configs_.pop_front();
  while (!uncommitted_.empty() && uncommitted_.front().first <= log_.committed()) {
    uncommitted_bytes_ -= uncommitted_.front().second;
    uncommitted_.pop_front();
  }
}

}  // namespace dlog::raft
