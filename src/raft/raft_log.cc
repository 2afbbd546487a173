#include "raft/raft_log.h"

#include <cassert>
#include <cstdlib>

#include "base/log.h"

namespace dlog::raft {
namespace {

template <typename T>
T Must(Result<T> r) {
  if (!r.ok()) {
    DLOG_ERROR("raft: storage read failed: %s", r.error().c_str());
    std::abort();  // Storage contract: a node cannot decide safely without its log
  }
  return std::move(*r);
}

}  // namespace

RaftLog::RaftLog(const Storage* storage, Index committed, Index applied)
    : storage_(storage),
      offset_(storage->LastIndex() + 1),
      in_progress_(offset_),
      committed_(committed),
      applied_(applied) {
  assert(applied <= committed && committed <= LastIndex());
}

Index RaftLog::FirstIndex() const { return storage_->FirstIndex(); }

std::optional<Term> RaftLog::TermAt(Index i) const {
  if (i >= offset_) {
    if (i - offset_ >= unstable_.size()) return std::nullopt;
    return unstable_[i - offset_].term;
  }
  if (i + 1 < storage_->FirstIndex()) return std::nullopt;
  return Must(storage_->TermAt(i));
}

bool RaftLog::MatchTerm(Index i, Term t) const {
  std::optional<Term> have = TermAt(i);
  return have && *have == t;
}

bool RaftLog::IsUpToDate(Index last_index, Term last_term) const {
  Term mine = LastTerm();
  return last_term > mine || (last_term == mine && last_index >= LastIndex());
}

Index RaftLog::FindConflictByTerm(Index index, Term term) const {
  Index floor = FirstIndex() - 1;
  for (Index i = std::min(index, LastIndex()); i > floor; --i) {
    std::optional<Term> t = TermAt(i);
    if (t && *t <= term) return i;
  }
  return floor;
}

std::vector<Entry> RaftLog::Slice(Index lo, Index hi, uint64_t max_bytes) const {
  assert(lo >= FirstIndex() && lo <= hi && hi <= LastIndex() + 1);
  std::vector<Entry> out;
  if (lo < std::min(hi, offset_))
    out = Must(storage_->Entries(lo, std::min(hi, offset_), max_bytes));
  uint64_t bytes = 0;
  for (const Entry& e : out) bytes += e.data.size();
  if (!out.empty() && out.back().index + 1 < std::min(hi, offset_)) return out;  // budget spent
  for (Index i = std::max(lo, offset_); i < hi; ++i) {
    const Entry& e = unstable_[i - offset_];
    bytes += e.data.size();
    if (!out.empty() && bytes > max_bytes) break;
    out.push_back(e);
  }
  return out;
}

void RaftLog::Append(std::vector<Entry> entries) {
  if (entries.empty()) return;
  assert(entries.front().index == LastIndex() + 1);
  TruncateAndAppend(std::move(entries));
}

RaftLog::AppendOutcome RaftLog::MaybeAppend(Index prev_index, Term prev_term,
                                            std::vector<Entry> entries) {
  AppendOutcome out;
  if (!MatchTerm(prev_index, prev_term)) return out;
  out.matched = true;
  out.last_new = prev_index + entries.size();
  size_t k = 0;  // first entry that is new or conflicts (rule 3); the rest already match
  while (k < entries.size() && MatchTerm(entries[k].index, entries[k].term)) ++k;
  if (k == entries.size()) return out;
  if (entries[k].index <= committed_) {
    out.conflicts_with_committed = true;
    return out;
  }
  out.rewritten_from = entries[k].index;
  entries.erase(entries.begin(), entries.begin() + ptrdiff_t(k));
  TruncateAndAppend(std::move(entries));
  return out;
}

void RaftLog::TruncateAndAppend(std::vector<Entry> entries) {
  Index after = entries.front().index;
  assert(after > committed_ && after <= LastIndex() + 1);
  if (after <= offset_) {
    offset_ = after;  // storage's entries from `after` on are stale from now on
    unstable_.clear();
  } else {
    unstable_.resize(after - offset_);
  }
  in_progress_ = std::min(in_progress_, after);
  for (Entry& e : entries) unstable_.push_back(std::move(e));
}

void RaftLog::CommitTo(Index i) {
  if (i <= committed_) return;
  assert(i <= LastIndex());
  committed_ = i;
}

void RaftLog::AppliedTo(Index i) {
  assert(i >= applied_ && i <= committed_);
  applied_ = i;
}

std::vector<Entry> RaftLog::TakeEntriesToPersist() {
  std::vector<Entry> out(unstable_.begin() + ptrdiff_t(in_progress_ - offset_), unstable_.end());
  in_progress_ = offset_ + unstable_.size();
  return out;
}

void RaftLog::StableTo(Index i, Term t) {
  if (i < offset_ || i >= offset_ + unstable_.size() || UnstableAt(i).term != t) return;
  unstable_.erase(unstable_.begin(), unstable_.begin() + ptrdiff_t(i - offset_ + 1));
  offset_ = i + 1;
  in_progress_ = std::max(in_progress_, offset_);
}

std::vector<Entry> RaftLog::EntriesToApply(uint64_t max_bytes) const {
  if (!HasEntriesToApply()) return {};
  return Slice(applied_ + 1, committed_ + 1, max_bytes);
}

}  // namespace dlog::raft
