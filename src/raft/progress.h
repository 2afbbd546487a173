// Progress: what a leader knows of one follower's log, and its flow control.
//
//   kProbe      the follower's match point is unknown: at most one Append in flight,
//               `next` walks back on rejections (using the conflict hint) until it fits.
//   kReplicate  the follower matched: Appends are pipelined, `next` runs ahead of
//               `match` optimistically, at most max_inflight of them unacknowledged.
//
// A leader owns one Progress per voter (its own included, which only uses `match`).
#pragma once

#include <cstddef>
#include <deque>

#include "raft/types.h"

namespace dlog::raft {

class Progress {
 public:
  enum class State : uint8_t { kProbe, kReplicate };

  Progress(Index next, size_t max_inflight) : next_(next), max_inflight_(max_inflight) {}

  Index match() const { return match_; }
  Index next() const { return next_; }
  State state() const { return state_; }

  // Whether the leader must hold further Appends until a response arrives.
  bool Paused() const;
  // An Append carrying entries up to `last` (prev index `last` when empty) went out.
  void SentAppend(Index last, size_t entries);
  // A success response for `index`; returns whether `match` advanced.
  bool MaybeUpdate(Index index);
  // A rejection of the Append whose prev index was `rejected`; `match_hint` is the
  // highest index where the logs may agree. Returns false for a stale rejection.
  bool MaybeDecrTo(Index rejected, Index match_hint);
  // Any response from the follower (heartbeat included): unblocks a probe.
  void OnHeard();

  void BecomeProbe();
  void BecomeReplicate();

  // Activity since the leader's last check-quorum round (§6.2).
  bool recent_active = false;

 private:
  Index match_ = 0;
  Index next_;
  State state_ = State::kProbe;
  bool probe_sent_ = false;
  std::deque<Index> inflight_;  // last index of each unacknowledged Append; bound below
  size_t max_inflight_;
};

}  // namespace dlog::raft
