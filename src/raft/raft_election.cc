// Raft: leader election (§3.4, §5.2, §5.4.1) with pre-vote (§9.6).
#include <algorithm>

#include "raft/raft.h"

namespace dlog::raft {

void Raft::Campaign(bool pre) {
  Term campaign_term;
  if (pre) {
    BecomePreCandidate();
    campaign_term = term_ + 1;  // the term we would stand in; ours stays
  } else {
    BecomeCandidate();
    campaign_term = term_;
  }
  votes_[id()] = true;
  if (CountVotes(true) >= membership().Quorum()) {
    pre ? Campaign(false) : BecomeLeader();
    return;
  }
  MessageType type = pre ? MessageType::kPreVote : MessageType::kVote;
  for (NodeId voter : membership().voters()) {
    if (voter == id()) continue;
    Message m = MakeMessage(type, voter, campaign_term);
    m.log_term = log_.LastTerm();
    m.index = log_.LastIndex();
    Send(std::move(m));
  }
}

// RequestVote receiver (Figure 2) for votes and pre-votes. The term check already ran:
// a vote request of a higher term made us a follower of that term with no vote yet.
void Raft::HandleVoteRequest(const Message& m) {
  bool pre = m.type == MessageType::kPreVote;
  bool can_vote =
      vote_ == m.from || (vote_ == kNoNode && leader_ == kNoNode) || (pre && m.term > term_);
  bool log_ok = config_.unsafe.vote_ignores_log || log_.IsUpToDate(m.index, m.log_term);
  MessageType type = pre ? MessageType::kPreVoteResponse : MessageType::kVoteResponse;
  if (!can_vote || !log_ok) {
    Send(MakeMessage(type, m.from, term_, true));
    return;
  }
  // A grant answers in the requested term: a pre-vote grant for term + 1 does not
  // raise ours; a real vote is only sent after the vote is persisted (Ready contract).
  Send(MakeMessage(type, m.from, m.term));
  if (!pre) {
    vote_ = m.from;
    election_elapsed_ = 0;
  }
}

void Raft::HandleVoteResponse(const Message& m) {
  bool pre = m.type == MessageType::kPreVoteResponse;
  if (role_ != (pre ? Role::kPreCandidate : Role::kCandidate)) return;
  if (!m.reject && m.term != (pre ? term_ + 1 : term_)) return;  // from another campaign
  if (!membership().Contains(m.from)) return;
  votes_.emplace(m.from, !m.reject);  // the first answer of each voter counts
  size_t quorum = membership().Quorum();
  if (CountVotes(true) >= quorum) {
    pre ? Campaign(false) : BecomeLeader();
  } else if (CountVotes(false) >= quorum) {
    BecomeFollower(term_, kNoNode);
  }
}

size_t Raft::CountVotes(bool granted) const {
  return size_t(std::count_if(votes_.begin(), votes_.end(), [&](const auto& v) {
    return v.second == granted && membership().Contains(v.first);
  }));
}

}  // namespace dlog::raft
