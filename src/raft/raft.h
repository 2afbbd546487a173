// Raft: the consensus core of one node, sans I/O (§3, Figure 2; §4 membership; §6.2
// check-quorum; §9.6 pre-vote). Shaped like etcd-raft's RawNode.
//
// The driver feeds it inputs and carries out its outputs:
//   inputs   Step(message from a peer), Tick() at a fixed interval, Propose(data),
//            ProposeMembership(change)
//   outputs  GetReady() → Ready, handled in this order, then Advance(ready):
//     1. Storage::Append(ready.entries); Storage::SetHardState(*ready.hard_state) if
//        set; Storage::Sync(). Entries before hard state, one sync barrier for both.
//     2. Only after that sync: send ready.messages (any order, any loss: Raft
//        tolerates it). A vote or an append acknowledgement is a promise that the vote
//        or entries are durable; sending it earlier breaks safety across crashes.
//     3. Apply ready.committed_entries to the state machine, in order.
//     4. Advance(ready).
//   At most one Ready is outstanding; Step, Tick and Propose may be called while it
//   is (their outputs go into the next Ready).
//
// Not thread-safe: one driver thread owns a Raft. Storage and Rng must outlive it.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/rng.h"
#include "raft/config.h"
#include "raft/membership.h"
#include "raft/message.h"
#include "raft/progress.h"
#include "raft/raft_log.h"
#include "raft/storage.h"

namespace dlog::raft {

struct Ready {
  std::optional<HardState> hard_state;   // persist when set
  std::vector<Entry> entries;            // persist (may rewrite a stored suffix)
  std::vector<Message> messages;         // send after persisting the two above
  std::vector<Entry> committed_entries;  // apply, in order, after persisting

  bool empty() const {
    return !hard_state && entries.empty() && messages.empty() && committed_entries.empty();
  }
};

struct ProposeResult {
  enum class Code : uint8_t {
    kProposed,   // appended at (index, term): committed only if that entry survives
    kNotLeader,  // ask leader_hint instead (kNoNode: unknown, try another node)
    kBusy,       // back off and retry: flow control or a change in progress
    kRejected,   // the request itself is wrong (reason says why)
  };
  Code code = Code::kRejected;
  Index index = 0;
  Term term = 0;
  NodeId leader_hint = kNoNode;
  std::string reason;

  bool ok() const { return code == Code::kProposed; }
};

struct RaftStats {
  uint64_t messages_dropped = 0;     // outbound queue full (max_pending_messages)
  uint64_t messages_ignored = 0;     // stale term, not addressed to us, ...
  uint64_t committed_conflicts = 0;  // a leader tried to rewrite a committed entry
};

class Raft {
 public:
  // Restores the node from `storage` (hard state, log, membership).
  static Result<std::unique_ptr<Raft>> Open(const Config& config, const Storage* storage, Rng* rng);

  // A message from a peer. Errors: addressed to another node, or from ourselves.
  Status Step(Message m);
  void Tick();
  ProposeResult Propose(Bytes data);
  // Adds or removes one voter (§4.1). Allowed once the leader committed an entry of
  // its term and no other change is uncommitted.
  ProposeResult ProposeMembership(const MembershipChange& change);

  bool HasReady() const;
  Ready GetReady();
  void Advance(const Ready& ready);

  NodeId id() const { return config_.id; }
  Role role() const { return role_; }
  Term term() const { return term_; }
  NodeId leader() const { return leader_; }
  Index commit_index() const { return log_.committed(); }
  Index last_index() const { return log_.LastIndex(); }
  Index applied_index() const { return log_.applied(); }
  const Membership& membership() const { return configs_.back().second; }
  const RaftStats& stats() const { return stats_; }

 private:
  Raft(const Config& config, const Storage* storage, Rng* rng, const HardState& hs);
  Status LoadMemberships(const Membership& base);

  // Roles (raft.cc)
  void BecomeFollower(Term term, NodeId leader);
  void BecomePreCandidate();
  void BecomeCandidate();
  void BecomeLeader();
  void ResetTerm(Term term);
  void ResetTimers();
  bool Promotable() const { return membership().Contains(id()); }
  bool InLease() const;
  void Send(Message m);
  bool CheckTerm(const Message& m);

  // Elections (raft_election.cc)
  void Campaign(bool pre);
  void HandleVoteRequest(const Message& m);
  void HandleVoteResponse(const Message& m);
  size_t CountVotes(bool granted) const;

  // Replication (raft_replication.cc)
  bool SendAppend(NodeId to, bool send_if_empty);
  void BroadcastAppend();
  void BroadcastHeartbeat();
  void HandleAppend(Message m);
  void HandleHeartbeat(const Message& m);
  void HandleAppendResponse(const Message& m);
  void HandleHeartbeatResponse(const Message& m);
  bool MaybeCommit();
  bool QuorumActive();

  // Membership and proposals (raft_membership.cc)
  void AppendLocal(EntryType type, Bytes data);
  void OnMembershipEntries(Index rewritten_from, const std::vector<std::pair<Index, Bytes>>& e);
  void SyncProgress();
  void OnCommitted();
  ProposeResult NotLeader() const;

  Config config_;
  Rng* rng_;
  RaftLog log_;
  Role role_ = Role::kFollower;
  Term term_ = 0;
  NodeId vote_ = kNoNode;
  NodeId leader_ = kNoNode;

  // Memberships in the log: front is the one in force at FirstIndex() - 1 (or the
  // latest committed one); the back is in force. Bounded: entries at or below the
  // commit index are folded into the front.
  std::deque<std::pair<Index, Membership>> configs_;

  int election_elapsed_ = 0;
  int heartbeat_elapsed_ = 0;
  int randomized_election_ticks_ = 0;

  std::map<NodeId, bool> votes_;                        // this campaign's answers, by voter
  std::map<NodeId, Progress> progress_;                 // leader: one per voter except itself
  std::deque<std::pair<Index, uint64_t>> uncommitted_;  // leader: its proposals' sizes
  uint64_t uncommitted_bytes_ = 0;

  std::vector<Message> msgs_;  // bounded by config_.max_pending_messages
  HardState persisted_hs_;     // as of the last Ready handed out
  bool ready_outstanding_ = false;
  RaftStats stats_;
};

}  // namespace dlog::raft
