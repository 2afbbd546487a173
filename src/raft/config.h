// Configuration of one Raft node. Times are in ticks: the driver calls Raft::Tick() at
// a fixed interval (e.g. 50 ms), so with the defaults a leader heartbeats every tick and
// a follower starts an election after 10 to 19 silent ticks.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/result.h"
#include "raft/types.h"

namespace dlog::raft {

struct Config {
  NodeId id = kNoNode;
  // A follower's election timeout is drawn uniformly from [election_ticks,
  // 2 * election_ticks) (§5.2, §9.3). A leader checks its quorum every election_ticks.
  int election_ticks = 10;
  int heartbeat_ticks = 1;
  // §9.6: a node first asks whether it could win, without raising its term, so a
  // partitioned node cannot disrupt the cluster when it rejoins.
  bool pre_vote = true;
  // §6.2: a leader steps down when it has not heard from a quorum for election_ticks;
  // followers that heard from a leader within election_ticks ignore vote requests.
  bool check_quorum = true;

  uint64_t max_append_bytes = 1 << 20;        // entry data per Append message (at least one)
  size_t max_inflight = 256;                  // unacknowledged Appends per follower
  uint64_t max_uncommitted_bytes = 64 << 20;  // Propose refuses data beyond (kBusy)
  uint64_t max_apply_bytes = 16 << 20;        // committed entry data per Ready
  size_t max_pending_messages = 4096;         // outbound messages between two Readies

  // How far the driver's state machine had applied before this start (it replays the
  // committed entries after it).
  Index applied = 0;

  // Deliberately broken behaviours, ONLY for the simulator's self-test that shows its
  // checker catches them. Never set outside tests.
  struct Unsafe {
    bool commit_any_term = false;   // skip §5.4.2: count replicas for old-term entries
    bool vote_ignores_log = false;  // skip §5.4.1: grant votes to any log
    // skip §6.4's no-op at a leader's start. Safe alone, but it unmasks commit_any_term:
    // with the no-op, a new leader's old-term entries mostly reach a quorum together
    // with an entry of its own term, which commits them legitimately.
    bool skip_noop = false;
  } unsafe;

  Status Validate() const;
};

}  // namespace dlog::raft
