// RaftLog: a node's log as the core sees it — the persisted part in Storage, then the
// "unstable" entries accepted but not yet persisted — with the commit and apply indices.
//
//   storage:   FirstIndex() ........ offset-1 | (stale suffix, about to be overwritten)
//   unstable:                        offset ........ in_progress-1 | in_progress ... Last
//                                    [handed to a Ready, not yet   | not yet handed
//                                     acknowledged by Advance]     |   out
//
// Invariants: applied <= committed <= LastIndex(); entries at or below committed are
// never rewritten; offset - 1 <= storage's LastIndex(). Not thread-safe (owned by Raft).
#pragma once

#include <deque>
#include <optional>
#include <vector>

#include "raft/storage.h"

namespace dlog::raft {

class RaftLog {
 public:
  // `storage` holds what is persisted; it must outlive the RaftLog.
  RaftLog(const Storage* storage, Index committed, Index applied);

  Index FirstIndex() const;
  Index LastIndex() const { return offset_ + unstable_.size() - 1; }
  Term LastTerm() const { return *TermAt(LastIndex()); }
  // nullopt outside [FirstIndex() - 1, LastIndex()].
  std::optional<Term> TermAt(Index i) const;
  bool MatchTerm(Index i, Term t) const;
  // Whether a log ending at (last_index, last_term) is at least as up-to-date (§5.4.1).
  bool IsUpToDate(Index last_index, Term last_term) const;
  // Largest index <= `index` whose term is <= `term` (§5.3's fast backtracking, refined
  // as in etcd-raft: lets a leader skip a whole term of conflicting entries at once).
  Index FindConflictByTerm(Index index, Term term) const;
  // Entries [lo, hi), at most max_bytes of data but at least one.
  std::vector<Entry> Slice(Index lo, Index hi, uint64_t max_bytes) const;

  // Leader: appends entries numbered from LastIndex() + 1.
  void Append(std::vector<Entry> entries);

  struct AppendOutcome {
    bool matched = false;                   // the entry before `entries` matched (prev_index/term)
    Index last_new = 0;                     // prev_index + entries.size(), when matched
    Index rewritten_from = 0;               // lowest index replaced or added; 0 when none
    bool conflicts_with_committed = false;  // refused: would rewrite a committed entry
  };
  // Follower: Figure 2, AppendEntries receiver rules 2-4.
  AppendOutcome MaybeAppend(Index prev_index, Term prev_term, std::vector<Entry> entries);

  Index committed() const { return committed_; }
  Index applied() const { return applied_; }
  void CommitTo(Index i);  // raises only; requires i <= LastIndex()
  void AppliedTo(Index i);

  // Ready support (raft.h). Highest index whose entry (and all before it) is persisted.
  Index StableIndex() const { return offset_ - 1; }
  bool HasEntriesToPersist() const { return in_progress_ < offset_ + unstable_.size(); }
  // The unstable entries not yet handed out; marks them handed out.
  std::vector<Entry> TakeEntriesToPersist();
  // The driver persisted entries up to (i, t): forget them unless rewritten meanwhile.
  void StableTo(Index i, Term t);
  bool HasEntriesToApply() const { return applied_ < committed_; }
  std::vector<Entry> EntriesToApply(uint64_t max_bytes) const;

 private:
  void TruncateAndAppend(std::vector<Entry> entries);
  Entry& UnstableAt(Index i) { return unstable_[i - offset_]; }

  const Storage* storage_;
  Index offset_;                // index of unstable_.front()
  std::deque<Entry> unstable_;  // bounded by Raft's uncommitted-bytes budget
  Index in_progress_;           // first unstable index not yet handed to a Ready
  Index committed_;
  Index applied_;
};

}  // namespace dlog::raft
