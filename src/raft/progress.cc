#include "raft/progress.h"

#include <algorithm>

namespace dlog::raft {

bool Progress::Paused() const {
  if (state_ == State::kProbe) return probe_sent_;
  return inflight_.size() >= max_inflight_;
}

void Progress::SentAppend(Index last, size_t entries) {
  if (state_ == State::kProbe) {
    probe_sent_ = true;
    return;
  }
  if (entries == 0) return;
  next_ = last + 1;
  inflight_.push_back(last);
}

bool Progress::MaybeUpdate(Index index) {
  bool advanced = index > match_;
  if (advanced) match_ = index;
  next_ = std::max(next_, index + 1);
  while (!inflight_.empty() && inflight_.front() <= index) inflight_.pop_front();
  probe_sent_ = false;
  return advanced;
}

bool Progress::MaybeDecrTo(Index rejected, Index match_hint) {
  if (state_ == State::kReplicate) {
    if (rejected <= match_) return false;
    BecomeProbe();
    return true;
  }
  if (next_ == 0 || next_ - 1 != rejected) return false;
  next_ = std::max(std::min(rejected, match_hint + 1), match_ + 1);
  probe_sent_ = false;
  return true;
}

void Progress::OnHeard() {
  recent_active = true;
  probe_sent_ = false;
  if (state_ == State::kReplicate && inflight_.size() >= max_inflight_) inflight_.pop_front();
}

void Progress::BecomeProbe() {
  state_ = State::kProbe;
  next_ = match_ + 1;
  probe_sent_ = false;
  inflight_.clear();
}

void Progress::BecomeReplicate() {
  state_ = State::kReplicate;
  next_ = match_ + 1;
  inflight_.clear();
}

}  // namespace dlog::raft
