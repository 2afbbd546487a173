// Raft: log replication (§3.5, §5.3), commitment (§3.6.2, §5.4.2), heartbeats and
// check-quorum (§6.2).
#include <algorithm>
#include <cassert>

#include "raft/raft.h"

namespace dlog::raft {

// Sends `to` the entries from its next index on (or an empty Append carrying the commit
// index when send_if_empty). Returns whether entries went out.
bool Raft::SendAppend(NodeId to, bool send_if_empty) {
  Progress& pr = progress_.at(to);
  if (pr.Paused()) return false;
  Index prev = pr.next() - 1;
  std::optional<Term> prev_term = log_.TermAt(prev);
  assert(prev_term.has_value());  // no compaction yet: the whole log is at hand
  Message m = MakeMessage(MessageType::kAppend, to, term_);
  m.log_term = *prev_term;
  m.index = prev;
  m.commit = log_.committed();
  if (pr.next() <= log_.LastIndex()) {
    m.entries = log_.Slice(pr.next(), log_.LastIndex() + 1, config_.max_append_bytes);
    if (m.entries.size() > kMaxEntriesPerMessage) m.entries.resize(kMaxEntriesPerMessage);
  }
  size_t count = m.entries.size();
  if (count == 0 && !send_if_empty) return false;
  pr.SentAppend(count ? m.entries.back().index : prev, count);
  Send(std::move(m));
  return count > 0;
}

void Raft::BroadcastAppend() {
  for (auto& [to, pr] : progress_) SendAppend(to, true);
}

void Raft::BroadcastHeartbeat() {
  for (auto& [to, pr] : progress_) {
    Message m = MakeMessage(MessageType::kHeartbeat, to, term_);
    m.commit = std::min(pr.match(), log_.committed());
    Send(std::move(m));
  }
}

// AppendEntries receiver (Figure 2). The term check already ran: m.term == term_.
void Raft::HandleAppend(Message m) {
  if (role_ == Role::kLeader) {  // two leaders in one term: cannot happen (§5.2)
    ++stats_.messages_ignored;
    return;
  }
  if (role_ != Role::kFollower || leader_ != m.from) BecomeFollower(m.term, m.from);
  election_elapsed_ = 0;
  Message resp = MakeMessage(MessageType::kAppendResponse, m.from, term_);
  if (m.index < log_.committed()) {  // all of it is committed here already
    resp.index = log_.committed();
    Send(std::move(resp));
    return;
  }
  std::vector<std::pair<Index, Bytes>> memberships;
  for (const Entry& e : m.entries) {
    if (e.type == EntryType::kMembership) memberships.emplace_back(e.index, e.data);
  }
  RaftLog::AppendOutcome out = log_.MaybeAppend(m.index, m.log_term, std::move(m.entries));
  if (out.conflicts_with_committed) {  // only a broken leader asks this; refuse
    ++stats_.committed_conflicts;
    return;
  }
  if (out.matched) {
    if (out.rewritten_from) OnMembershipEntries(out.rewritten_from, memberships);
    log_.CommitTo(std::min(m.commit, out.last_new));
    OnCommitted();
    resp.index = out.last_new;
  } else {
    Index hint = log_.FindConflictByTerm(std::min(m.index, log_.LastIndex()), m.log_term);
    resp.index = m.index;
    resp.reject = true;
    resp.reject_hint = hint;
    resp.log_term = *log_.TermAt(hint);
  }
  Send(std::move(resp));
}

void Raft::HandleHeartbeat(const Message& m) {
  if (role_ == Role::kLeader) {
    ++stats_.messages_ignored;
    return;
  }
  if (role_ != Role::kFollower || leader_ != m.from) BecomeFollower(m.term, m.from);
  election_elapsed_ = 0;
  log_.CommitTo(std::min(m.commit, log_.LastIndex()));
  OnCommitted();
  Send(MakeMessage(MessageType::kHeartbeatResponse, m.from, term_));
}

void Raft::HandleAppendResponse(const Message& m) {
  auto it = progress_.find(m.from);
  if (role_ != Role::kLeader || it == progress_.end()) return;
  Progress& pr = it->second;
  pr.recent_active = true;
  if (!m.reject && m.index > log_.LastIndex()) {  // acknowledges entries we never sent
    ++stats_.messages_ignored;
    return;
  }
  if (m.reject) {
    Index hint = m.reject_hint;
    if (m.log_term > 0) hint = log_.FindConflictByTerm(m.reject_hint, m.log_term);
    if (pr.MaybeDecrTo(m.index, hint)) SendAppend(m.from, true);
    return;
  }
  bool was_probe = pr.state() == Progress::State::kProbe;
  if (!pr.MaybeUpdate(m.index)) return;
  if (was_probe) pr.BecomeReplicate();
  if (MaybeCommit()) {
    BroadcastAppend();
    return;
  }
  while (SendAppend(m.from, false)) {
  }  // bounded: each send fills one of max_inflight slots
}

void Raft::HandleHeartbeatResponse(const Message& m) {
  auto it = progress_.find(m.from);
  if (role_ != Role::kLeader || it == progress_.end()) return;
  it->second.OnHeard();
  if (it->second.match() < log_.LastIndex()) SendAppend(m.from, true);
}

// §5.4.2: commit the highest index stored on a quorum of voters, and only if its entry
// is of the current term (older entries commit indirectly, through it).
bool Raft::MaybeCommit() {
  const std::vector<NodeId>& voters = membership().voters();
  if (voters.empty()) return false;
  std::vector<Index> matches;
  matches.reserve(voters.size());
  for (NodeId v : voters) {
    matches.push_back(v == id() ? log_.StableIndex() : progress_.at(v).match());
  }
  size_t k = membership().Quorum() - 1;
  std::nth_element(matches.begin(), matches.begin() + ptrdiff_t(k), matches.end(),
                   std::greater<Index>());
  Index q = matches[k];
  if (q <= log_.committed()) return false;
  if (!config_.unsafe.commit_any_term && *log_.TermAt(q) != term_) return false;
  log_.CommitTo(q);
  OnCommitted();
  return true;
}

// Whether a quorum of voters was heard from since the last call, which starts a new round.
bool Raft::QuorumActive() {
  size_t active = Promotable() ? 1 : 0;
  for (auto& [node, pr] : progress_) {
    if (pr.recent_active) ++active;
    pr.recent_active = false;
  }
  return active >= membership().Quorum();
}

}  // namespace dlog::raft
