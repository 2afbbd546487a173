#include "raft/raft_log.h"

#include <gtest/gtest.h>

#include "raft/memory_storage.h"

namespace dlog::raft {
namespace {

std::vector<Entry> Entries(Index first, std::vector<Term> terms) {
  std::vector<Entry> out;
  for (Term t : terms) out.push_back(Entry{t, first++, EntryType::kNormal, Bytes{uint8_t(t)}});
  return out;
}

// Carries out what a driver does with entries handed out: persist, then StableTo.
void Persist(MemoryStorage& s, RaftLog& log) {
  std::vector<Entry> es = log.TakeEntriesToPersist();
  ASSERT_TRUE(s.Append(es).ok());
  ASSERT_TRUE(s.Sync().ok());
  if (!es.empty()) log.StableTo(es.back().index, es.back().term);
}

TEST(RaftLogTest, AppendsAndReadsAcrossStorageAndUnstable) {
  MemoryStorage s;
  ASSERT_TRUE(s.Append(Entries(1, {1, 1, 2})).ok());
  RaftLog log(&s, 0, 0);
  EXPECT_EQ(log.LastIndex(), 3u);
  EXPECT_EQ(log.StableIndex(), 3u);
  log.Append(Entries(4, {3, 3}));
  EXPECT_EQ(log.LastIndex(), 5u);
  EXPECT_EQ(log.StableIndex(), 3u);
  EXPECT_EQ(log.TermAt(0), 0u);
  EXPECT_EQ(log.TermAt(3), 2u);
  EXPECT_EQ(log.TermAt(5), 3u);
  EXPECT_FALSE(log.TermAt(6).has_value());
  std::vector<Entry> all = log.Slice(1, 6, 1 << 20);
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[4].index, 5u);
  EXPECT_EQ(log.Slice(2, 6, 1).size(), 1u);  // at least one, then the byte budget
  EXPECT_EQ(log.Slice(3, 6, 2).size(), 2u);  // crosses into the unstable part
}

TEST(RaftLogTest, FollowerAppendMatchesTruncatesAndRefusesCommitted) {
  MemoryStorage s;
  RaftLog log(&s, 0, 0);
  RaftLog::AppendOutcome out = log.MaybeAppend(0, 0, Entries(1, {1, 1, 1, 1}));
  ASSERT_TRUE(out.matched);
  EXPECT_EQ(out.last_new, 4u);
  EXPECT_EQ(out.rewritten_from, 1u);
  Persist(s, log);
  log.CommitTo(2);
  EXPECT_FALSE(log.MaybeAppend(4, 2, {}).matched);  // prev term mismatch
  EXPECT_FALSE(log.MaybeAppend(9, 1, {}).matched);  // beyond the log
  // A stale (shorter) copy of what we have: nothing rewritten, last_new is its end.
  out = log.MaybeAppend(1, 1, Entries(2, {1}));
  EXPECT_TRUE(out.matched);
  EXPECT_EQ(out.last_new, 2u);
  EXPECT_EQ(out.rewritten_from, 0u);
  EXPECT_EQ(log.LastIndex(), 4u);
  // A conflict after the commit index replaces the suffix.
  out = log.MaybeAppend(2, 1, Entries(3, {2}));
  EXPECT_EQ(out.rewritten_from, 3u);
  EXPECT_EQ(log.LastIndex(), 3u);
  EXPECT_EQ(log.TermAt(3), 2u);
  // A conflict at or below it is refused and changes nothing.
  out = log.MaybeAppend(1, 1, Entries(2, {5}));
  EXPECT_TRUE(out.conflicts_with_committed);
  EXPECT_EQ(log.TermAt(2), 1u);
}

TEST(RaftLogTest, StableToIgnoresEntriesRewrittenWhileBeingPersisted) {
  MemoryStorage s;
  RaftLog log(&s, 0, 0);
  log.MaybeAppend(0, 0, Entries(1, {1, 1, 1}));
  std::vector<Entry> handed = log.TakeEntriesToPersist();  // Ready 1: 1..3 of term 1
  EXPECT_FALSE(log.HasEntriesToPersist());
  log.MaybeAppend(1, 1, Entries(2, {2}));  // rewrites 2.. while Ready 1 is in flight
  EXPECT_TRUE(log.HasEntriesToPersist());
  ASSERT_TRUE(s.Append(handed).ok());
  log.StableTo(3, 1);  // Ready 1 done: index 3 of term 1 is no longer ours
  EXPECT_EQ(log.StableIndex(), 0u);
  EXPECT_EQ(log.LastIndex(), 2u);
  EXPECT_EQ(log.TermAt(2), 2u);  // not the stale copy in storage
  std::vector<Entry> next = log.TakeEntriesToPersist();
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].index, 2u);
  ASSERT_TRUE(s.Append(next).ok());
  log.StableTo(2, 2);
  EXPECT_EQ(log.StableIndex(), 2u);
  EXPECT_EQ(s.LastIndex(), 2u);
}

TEST(RaftLogTest, UpToDateAndConflictSearch) {
  MemoryStorage s;
  ASSERT_TRUE(s.Append(Entries(1, {1, 1, 2, 2, 2, 4})).ok());
  RaftLog log(&s, 0, 0);
  EXPECT_TRUE(log.IsUpToDate(6, 4));
  EXPECT_TRUE(log.IsUpToDate(1, 5));
  EXPECT_FALSE(log.IsUpToDate(5, 4));
  EXPECT_FALSE(log.IsUpToDate(9, 3));
  EXPECT_EQ(log.FindConflictByTerm(6, 3), 5u);
  EXPECT_EQ(log.FindConflictByTerm(6, 1), 2u);
  EXPECT_EQ(log.FindConflictByTerm(9, 9), 6u);
  EXPECT_EQ(log.FindConflictByTerm(6, 0), 0u);
}

TEST(MemoryStorageTest, CrashKeepsOnlySyncedWrites) {
  MemoryStorage s;
  ASSERT_TRUE(s.Append(Entries(1, {1, 1, 1})).ok());
  ASSERT_TRUE(s.SetHardState({1, 2, 2}).ok());
  ASSERT_TRUE(s.Sync().ok());
  ASSERT_TRUE(s.Append(Entries(3, {2, 2})).ok());  // rewrites index 3, unsynced
  ASSERT_TRUE(s.SetHardState({2, 3, 2}).ok());
  s.Crash();
  EXPECT_EQ(s.LastIndex(), 3u);
  EXPECT_EQ(*s.TermAt(3), 1u);
  EXPECT_EQ(s.hard_state(), (HardState{1, 2, 2}));
  EXPECT_FALSE(s.Append(Entries(5, {1})).ok());  // a gap
  ASSERT_TRUE(s.Append(Entries(2, {3})).ok());
  ASSERT_TRUE(s.Sync().ok());
  s.Crash();
  EXPECT_EQ(s.LastIndex(), 2u);
  EXPECT_EQ(*s.TermAt(2), 3u);
  std::vector<Entry> es = *s.Entries(1, 3, 0);
  EXPECT_EQ(es.size(), 1u);
}

}  // namespace
}  // namespace dlog::raft
