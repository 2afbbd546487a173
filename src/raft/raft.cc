// Raft: construction, message dispatch, ticks and role changes.
#include "raft/raft.h"

#include <cassert>

namespace dlog::raft {

Status Config::Validate() const {
  if (id == kNoNode) return Status::Error("raft config: node id 0 is reserved");
  if (heartbeat_ticks < 1 || election_ticks <= heartbeat_ticks) {
    return Status::Error("raft config: need 1 <= heartbeat_ticks < election_ticks");
  }
  if (max_inflight < 1 || max_pending_messages < 1) {
    return Status::Error("raft config: queue bounds must be at least 1");
  }
  if (max_append_bytes < 1 || max_append_bytes > kMaxMessageBytes / 2) {
    return Status::Error("raft config: max_append_bytes out of range");
  }
  return Status::Ok();
}

Result<std::unique_ptr<Raft>> Raft::Open(const Config& config, const Storage* storage, Rng* rng) {
  if (Status s = config.Validate(); !s.ok()) return s;
  Result<InitialState> init = storage->LoadInitialState();
  if (!init.ok()) return init.status();
  const HardState& hs = init->hard_state;
  if (hs.commit > storage->LastIndex() || config.applied > hs.commit) {
    return Status::Error("raft: stored commit index lies beyond the stored log");
  }
  std::unique_ptr<Raft> raft(new Raft(config, storage, rng, hs));
  if (Status s = raft->LoadMemberships(init->membership); !s.ok()) return s;
  return raft;
}

Raft::Raft(const Config& config, const Storage* storage, Rng* rng, const HardState& hs)
    : config_(config),
      rng_(rng),
      log_(storage, hs.commit, config.applied),
      term_(hs.term),
      vote_(hs.vote),
      persisted_hs_(hs) {
  ResetTimers();
}

Status Raft::LoadMemberships(const Membership& base) {
  configs_.emplace_back(log_.FirstIndex() - 1, base);
  std::vector<std::pair<Index, Bytes>> found;
  for (Index lo = log_.FirstIndex(); lo <= log_.StableIndex();) {
    std::vector<Entry> page = log_.Slice(lo, log_.StableIndex() + 1, 1 << 20);
    for (Entry& e : page) {
      if (e.type == EntryType::kMembership) found.emplace_back(e.index, std::move(e.data));
    }
    lo = page.back().index + 1;
  }
  for (const auto& [index, data] : found) {
    Result<Membership> m = Membership::Decode(data);
    if (!m.ok()) return Status::Error("raft: stored membership entry: " + m.error());
    configs_.emplace_back(index, std::move(*m));
  }
  OnCommitted();
  return Status::Ok();
}

Status Raft::Step(Message m) {
  if (m.to != id()) return Status::Error("raft: message addressed to another node");
  if (m.from == id() || m.from == kNoNode) return Status::Error("raft: bad message sender");
  if (!CheckTerm(m)) return Status::Ok();
  switch (m.type) {
    case MessageType::kVote:
    case MessageType::kPreVote:
      HandleVoteRequest(m);
      break;
    case MessageType::kVoteResponse:
    case MessageType::kPreVoteResponse:
      HandleVoteResponse(m);
      break;
    case MessageType::kAppend:
      HandleAppend(std::move(m));
      break;
    case MessageType::kHeartbeat:
      HandleHeartbeat(m);
      break;
    case MessageType::kAppendResponse:
      HandleAppendResponse(m);
      break;
    case MessageType::kHeartbeatResponse:
      HandleHeartbeatResponse(m);
      break;
  }
  return Status::Ok();
}

// Figure 2, "all servers": a higher term makes us a follower; lower terms are stale.
// Returns whether the message should be handled further.
bool Raft::CheckTerm(const Message& m) {
  bool from_leader = m.type == MessageType::kAppend || m.type == MessageType::kHeartbeat;
  bool vote_request = m.type == MessageType::kVote || m.type == MessageType::kPreVote;
  if (m.term > term_) {
    if (vote_request && InLease()) {  // §4.2.3: disruptive servers are ignored
      ++stats_.messages_ignored;
      return false;
    }
    bool pre_vote_only =
        m.type == MessageType::kPreVote || (m.type == MessageType::kPreVoteResponse && !m.reject);
    if (!pre_vote_only) BecomeFollower(m.term, from_leader ? m.from : kNoNode);
    return true;
  }
  if (m.term < term_) {
    ++stats_.messages_ignored;
    if (from_leader && (config_.check_quorum || config_.pre_vote)) {
      // Tell a stale leader about the newer term so it steps down (§9.6 with pre-vote,
      // its higher-term messages would otherwise never reach it).
      Send(MakeMessage(MessageType::kAppendResponse, m.from, term_));
    } else if (m.type == MessageType::kPreVote) {
      Send(MakeMessage(MessageType::kPreVoteResponse, m.from, term_, true));
    }
    return false;
  }
  return true;
}

bool Raft::InLease() const {
  return config_.check_quorum && leader_ != kNoNode && election_elapsed_ < config_.election_ticks;
}

void Raft::Tick() {
  if (role_ != Role::kLeader) {
    if (++election_elapsed_ >= randomized_election_ticks_ && Promotable()) {
      election_elapsed_ = 0;
      Campaign(config_.pre_vote);
    }
    return;
  }
  ++heartbeat_elapsed_;
  if (++election_elapsed_ >= config_.election_ticks) {
    election_elapsed_ = 0;
    bool removed = !Promotable() && configs_.back().first <= log_.committed();
    if (removed || (config_.check_quorum && !QuorumActive())) {
      BecomeFollower(term_, kNoNode);  // §6.2 check-quorum; §4.2.2 a removed leader
      return;
    }
  }
  if (heartbeat_elapsed_ >= config_.heartbeat_ticks) {
    heartbeat_elapsed_ = 0;
    BroadcastHeartbeat();
  }
}

void Raft::ResetTerm(Term term) {
  if (term == term_) return;
  term_ = term;
  vote_ = kNoNode;
}

void Raft::ResetTimers() {
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  uint32_t spread = uint32_t(config_.election_ticks);
  randomized_election_ticks_ = config_.election_ticks + int(rng_->Uniform(spread));
}

void Raft::BecomeFollower(Term term, NodeId leader) {
  ResetTerm(term);
  role_ = Role::kFollower;
  leader_ = leader;
  ResetTimers();
  votes_.clear();
  progress_.clear();
  uncommitted_.clear();
  uncommitted_bytes_ = 0;
}

void Raft::BecomePreCandidate() {
  assert(role_ != Role::kLeader);
  role_ = Role::kPreCandidate;  // §9.6: neither the term nor the vote changes
  leader_ = kNoNode;
  votes_.clear();
}

void Raft::BecomeCandidate() {
  assert(role_ != Role::kLeader);
  ResetTerm(term_ + 1);
  vote_ = id();
  role_ = Role::kCandidate;
  leader_ = kNoNode;
  ResetTimers();
  votes_.clear();
}

void Raft::BecomeLeader() {
  role_ = Role::kLeader;
  leader_ = id();
  ResetTimers();
  votes_.clear();
  progress_.clear();
  SyncProgress();
  // §6.4: the no-op commits the previous terms' entries.
  if (!config_.unsafe.skip_noop) AppendLocal(EntryType::kNormal, {});
  BroadcastAppend();
}

void Raft::Send(Message m) {
  if (msgs_.size() >= config_.max_pending_messages) {
    ++stats_.messages_dropped;
    return;
  }
  m.from = id();
  msgs_.push_back(std::move(m));
}

}  // namespace dlog::raft
