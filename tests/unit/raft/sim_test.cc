// The seeded fault-injection simulation (raft/sim.h): many seeds must run clean, and
// deliberately broken variants must be caught, so the checker is shown to bite.
//
// Replay one seed with a narrated trace:
//   DLOG_RAFT_SIM_SEED=<seed> build/tests/raft_tests --gtest_filter='<the failing test>'
#include "raft/sim.h"

#include <gtest/gtest.h>

#include <cinttypes>
#include <cstdlib>
#include <string>
#include <vector>

namespace dlog::raft {
namespace {

// The seed to replay, if DLOG_RAFT_SIM_SEED is set.
std::optional<uint64_t> ReplaySeed() {
  const char* s = std::getenv("DLOG_RAFT_SIM_SEED");
  if (!s || !*s) return std::nullopt;
  return std::strtoull(s, nullptr, 10);
}

std::string ReplayHint(uint64_t seed) {
  const ::testing::TestInfo* t = ::testing::UnitTest::GetInstance()->current_test_info();
  return "replay: DLOG_RAFT_SIM_SEED=" + std::to_string(seed) +
         " raft_tests --gtest_filter=" + t->test_suite_name() + "." + t->name();
}

// Runs seeds [1, count] (or only the replay seed, traced) and expects every run clean.
void ExpectCleanRuns(SimOptions options, uint64_t count) {
  std::optional<uint64_t> replay = ReplaySeed();
  uint64_t first = replay.value_or(1), last = replay ? *replay : count;
  options.trace = replay.has_value();
  uint64_t events = 0, acked = 0;
  for (uint64_t seed = first; seed <= last; ++seed) {
    options.seed = seed;
    SimResult r = RunSimulation(options);
    events += r.events;
    acked += r.acked;
    ASSERT_TRUE(r.ok) << "seed " << seed << ": " << r.Summary() << "\n" << ReplayHint(seed);
    if (replay) std::printf("seed %" PRIu64 ": %s\n", seed, r.Summary().c_str());
  }
  std::printf("%" PRIu64 " seeds, %" PRIu64 " events, %" PRIu64 " records acknowledged\n",
              last - first + 1, events, acked);
  EXPECT_GT(acked, 0u);  // the runs did make progress
}

// Runs seeds from 1 until the checker reports a violation; expects one within `cap`
// seeds, of one of the `kinds`, and that its seed replays to the same violation.
void ExpectCaught(SimOptions options, uint64_t cap, std::vector<std::string> kinds) {
  for (uint64_t seed = 1; seed <= cap; ++seed) {
    options.seed = seed;
    SimResult r = RunSimulation(options);
    if (r.ok) continue;
    std::printf("caught at seed %" PRIu64 ": %s\n", seed, r.Summary().c_str());
    bool expected = false;
    for (const std::string& kind : kinds) expected |= r.violation.find(kind) != std::string::npos;
    EXPECT_TRUE(expected) << r.violation;
    SimResult again = RunSimulation(options);
    EXPECT_EQ(again.violation, r.violation);
    EXPECT_EQ(again.digest, r.digest);
    return;
  }
  ADD_FAILURE() << "the checker missed the broken variant in " << cap << " seeds";
}

TEST(SimTest, ThreeNodesStaySafeAndLive) {
  SimOptions o;
  o.nodes = 3;
  ExpectCleanRuns(o, 300);
}

TEST(SimTest, FiveNodesStaySafeAndLive) {
  SimOptions o;
  o.nodes = 5;
  ExpectCleanRuns(o, 150);
}

TEST(SimTest, MembershipChangesStaySafeAndLive) {
  SimOptions o;
  o.nodes = 5;
  o.voters = 3;  // nodes 4 and 5 start as joiners; the leader adds and removes voters
  o.membership_changes = true;
  o.mean_fault_gap_ms = 100;
  ExpectCleanRuns(o, 100);
}

TEST(SimTest, LongRunsWithWideWindows) {
  SimOptions o;
  o.nodes = 3;
  o.chaos_ms = 15000;
  o.client_window = 8;
  o.max_append_bytes = 16;  // one record per Append
  ExpectCleanRuns(o, 40);
}

TEST(SimTest, ASeedReplaysExactly) {
  SimOptions o;
  o.seed = 42;
  o.membership_changes = true;
  SimResult a = RunSimulation(o), b = RunSimulation(o);
  EXPECT_TRUE(a.ok) << a.Summary();
  EXPECT_EQ(a.Summary(), b.Summary());
  o.seed = 43;
  EXPECT_NE(RunSimulation(o).digest, a.digest);
}

// Broken variants. Each must be caught: the simulator is shown to find these bugs.

TEST(SimTest, CatchesVotesThatIgnoreTheLog) {
  SimOptions o;
  o.unsafe.vote_ignores_log = true;
  ExpectCaught(o, 100, {"state machine safety"});
}

TEST(SimTest, CatchesCommitsOfOldTermsByCounting) {
  SimOptions o;
  o.unsafe.commit_any_term = true;
  o.unsafe.skip_noop = true;  // the no-op mostly masks this bug (config.h)
  o.chaos_ms = 10000;
  o.max_append_bytes = 16;
  ExpectCaught(o, 1500, {"state machine safety"});
}

TEST(SimTest, CatchesADriverThatSendsBeforePersisting) {
  SimOptions o;
  o.unsafe_send_before_persist = true;
  // Acknowledged entries vanish in a crash: committed ones get overwritten (safety), or
  // the leader's match index runs ahead of the follower's log for good (liveness).
  ExpectCaught(o, 1000, {"safety", "liveness"});
}

TEST(SimTest, CatchesADriverThatForgetsItsVote) {
  SimOptions o;
  o.unsafe_forget_vote = true;
  ExpectCaught(o, 1000, {"election safety"});
}

}  // namespace
}  // namespace dlog::raft
