// The replicated-partition simulation (src/replica/sim.h) over many seeds.
//
// Environment: DLOG_REPLICA_SIM_SEEDS=n runs n seeds instead of the default (a longer
// run: e.g. 5000), DLOG_REPLICA_SIM_FIRST_SEED=s starts there, and
// DLOG_REPLICA_SIM_TRACE=1 narrates (use with SEEDS=1 and FIRST_SEED=<failing seed>).
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "replica/sim.h"

namespace dlog::replica {
namespace {

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

std::string Replay(uint64_t seed) {
  return "replay: DLOG_REPLICA_SIM_SEEDS=1 DLOG_REPLICA_SIM_FIRST_SEED=" + std::to_string(seed) +
         " DLOG_REPLICA_SIM_TRACE=1 replica_tests --gtest_filter='ReplicaSim.ManySeeds'";
}

TEST(ReplicaSim, ManySeeds) {
  uint64_t first = EnvOr("DLOG_REPLICA_SIM_FIRST_SEED", 1);
  uint64_t seeds = EnvOr("DLOG_REPLICA_SIM_SEEDS", 200);
  bool trace = EnvOr("DLOG_REPLICA_SIM_TRACE", 0) != 0;
  uint64_t acked = 0, crashes = 0, torn = 0, retries = 0, duplicates = 0, resumes = 0;
  for (uint64_t seed = first; seed < first + seeds; ++seed) {
    ReplicaSimOptions o;
    o.seed = seed;
    o.trace = trace;
    ReplicaSimResult r = RunReplicaSimulation(o);
    ASSERT_TRUE(r.ok) << "seed " << seed << ": " << r.Summary() << "\n" << Replay(seed);
    acked += r.acked;
    crashes += r.crashes;
    torn += r.torn_tails;
    retries += r.retries;
    duplicates += r.duplicates;
    resumes += r.resumes;
  }
  // The runs must have exercised what they claim to.
  EXPECT_GT(acked, seeds * 5);
  EXPECT_GT(crashes, seeds);
  EXPECT_GT(torn, 0u);
  EXPECT_GT(retries, seeds);
  EXPECT_GT(duplicates, 0u);  // retries that deduplication answered
  EXPECT_GT(resumes, seeds);  // restarts from an apply checkpoint
  std::printf(
      "%llu seeds: %llu batches acked (%llu as duplicates), %llu crashes, %llu torn tails cut, "
      "%llu retries, %llu resumed from a checkpoint\n",
      (unsigned long long)seeds, (unsigned long long)acked, (unsigned long long)duplicates,
      (unsigned long long)crashes, (unsigned long long)torn, (unsigned long long)retries,
      (unsigned long long)resumes);
}

TEST(ReplicaSim, SameSeedSameRun) {
  ReplicaSimOptions o;
  o.seed = 42;
  ReplicaSimResult a = RunReplicaSimulation(o);
  ReplicaSimResult b = RunReplicaSimulation(o);
  ASSERT_TRUE(a.ok) << a.Summary();
  EXPECT_EQ(a.digest, b.digest);
  EXPECT_EQ(a.events, b.events);
  o.seed = 43;
  EXPECT_NE(RunReplicaSimulation(o).digest, a.digest);
}

// Without producer ids, a retry after a lost answer appends the batch again: the
// checker must see it within a few seeds.
TEST(ReplicaSim, CheckerCatchesRetriesWithoutDeduplication) {
  int caught = 0;
  for (uint64_t seed = 1; seed <= 40 && caught == 0; ++seed) {
    ReplicaSimOptions o;
    o.seed = seed;
    o.unsafe_no_dedup = true;
    ReplicaSimResult r = RunReplicaSimulation(o);
    if (!r.ok) {
      ++caught;
      EXPECT_NE(r.violation.find("appears twice"), std::string::npos) << r.violation;
    }
  }
  EXPECT_GT(caught, 0);
}

// A quiet network: no faults, everything acknowledged and committed quickly.
TEST(ReplicaSim, NoFaults) {
  ReplicaSimOptions o;
  o.seed = 7;
  o.crashes = false;
  o.partitions = false;
  o.loss = o.max_loss = o.duplicate = o.reorder = 0;
  ReplicaSimResult r = RunReplicaSimulation(o);
  ASSERT_TRUE(r.ok) << r.Summary();
  EXPECT_EQ(r.crashes, 0u);
  EXPECT_GT(r.acked, 20u);
  EXPECT_GT(r.records, r.acked);
}

}  // namespace
}  // namespace dlog::replica

namespace dlog::replica {
namespace {

// acks=leader counted as acknowledged: a deposed leader's unreplicated batch vanishes,
// and the checker must say so within a few dozen seeds.
TEST(ReplicaSim, CheckerCatchesLeaderOnlyAcknowledgements) {
  int caught = 0;
  for (uint64_t seed = 1; seed <= 200 && caught == 0; ++seed) {
    ReplicaSimOptions o;
    o.seed = seed;
    o.unsafe_acks_leader = true;
    ReplicaSimResult r = RunReplicaSimulation(o);
    if (!r.ok) {
      ++caught;
      EXPECT_NE(r.violation.find("is missing"), std::string::npos) << r.violation;
    }
  }
  EXPECT_GT(caught, 0);
}

// Five replicas: two may be down or cut off and the rest still commit.
TEST(ReplicaSim, FiveReplicas) {
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    ReplicaSimOptions o;
    o.seed = seed;
    o.nodes = 5;
    ReplicaSimResult r = RunReplicaSimulation(o);
    ASSERT_TRUE(r.ok) << "seed " << seed << " (5 replicas): " << r.Summary();
  }
}

}  // namespace
}  // namespace dlog::replica
