#include "raft/sim_checker.h"

#include <gtest/gtest.h>

namespace dlog::raft {
namespace {

Entry E(Term t, Index i, uint8_t b) { return Entry{t, i, EntryType::kNormal, Bytes{b}}; }

TEST(SimCheckerTest, OneLeaderPerTerm) {
  SimChecker c;
  c.OnLeader(1, 1, 1);
  c.OnLeader(2, 1, 1);
  c.OnLeader(3, 2, 2);
  EXPECT_TRUE(c.ok());
  c.OnLeader(4, 2, 3);
  EXPECT_FALSE(c.ok());
  EXPECT_NE(c.violation().find("election safety"), std::string::npos);
}

TEST(SimCheckerTest, SameEntryAtEachIndexInOrder) {
  SimChecker c;
  c.OnApply(0, 1, E(1, 1, 7));
  c.OnApply(0, 2, E(1, 1, 7));
  c.OnRestart(1);
  c.OnApply(0, 1, E(1, 1, 7));  // replays after a restart
  EXPECT_TRUE(c.ok());
  c.OnApply(0, 2, E(2, 2, 8));
  c.OnApply(0, 1, E(2, 2, 9));  // same term and index, other data
  EXPECT_FALSE(c.ok());
  EXPECT_NE(c.violation().find("state machine safety"), std::string::npos);

  SimChecker gap;
  gap.OnApply(0, 1, E(1, 2, 7));
  EXPECT_FALSE(gap.ok());
}

TEST(SimCheckerTest, AcknowledgedRecordsExactlyOnceInOrder) {
  SimChecker c;
  c.OnAck(0, {1, 1});
  c.OnAck(0, {1, 2});
  c.CheckRecords(0, 1, {{1, 1}, {2, 1}, {1, 2}}, true);
  EXPECT_TRUE(c.ok());
  c.CheckRecords(0, 2, {{1, 1}}, false);  // lagging non-voter: fine
  EXPECT_TRUE(c.ok());

  SimChecker lost = c;
  lost.CheckRecords(0, 3, {{1, 1}}, true);
  EXPECT_NE(lost.violation().find("lost"), std::string::npos);
  SimChecker dup = c;
  dup.CheckRecords(0, 3, {{1, 1}, {1, 1}, {1, 2}}, true);
  EXPECT_NE(dup.violation().find("duplicated or reordered"), std::string::npos);
  SimChecker reordered = c;
  reordered.CheckRecords(0, 3, {{1, 2}, {1, 1}}, true);
  EXPECT_FALSE(reordered.ok());
}

TEST(SimCheckerTest, KeepsTheFirstViolation) {
  SimChecker c;
  c.OnCommittedConflict(5, 2);
  c.Fail(6, "later");
  EXPECT_EQ(c.violation(), "t=5ms: node 2 was asked to overwrite a committed entry");
}

}  // namespace
}  // namespace dlog::raft
