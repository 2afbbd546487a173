#include "replica/replicated_partition.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "log/mem_env.h"
#include "raft/sim_rng.h"

namespace dlog::replica {
namespace {

constexpr char kDir[] = "/p0";

log::Record Rec(const std::string& v, int64_t ts = log::kNoTimestamp) {
  log::Record r;
  r.value.assign(v.begin(), v.end());
  r.timestamp_ms = ts;
  return r;
}

std::string Value(const log::Record& r) { return std::string(r.value.begin(), r.value.end()); }

// Three replicas wired together in memory; messages are delivered when Pump runs,
// except on links cut by `down`.
struct Cluster {
  explicit Cluster(int n = 3, uint64_t checkpoint = 4096) : checkpoint_every(checkpoint) {
    for (int i = 0; i < n; ++i) {
      envs.push_back(std::make_unique<log::MemEnv>());
      rngs.push_back(std::make_unique<raft::SimRng>(100 + i));
      replicas.emplace_back();
    }
    for (int i = 0; i < n; ++i) Open(i);
  }

  ReplicaOptions Options(int i) const {
    ReplicaOptions o;
    o.id = raft::NodeId(i + 1);
    for (size_t k = 0; k < envs.size(); ++k) o.voters.push_back(k + 1);
    o.raft.election_ticks = 5;
    o.checkpoint_every = checkpoint_every;
    return o;
  }

  void Open(int i) {
    Result<std::unique_ptr<ReplicatedPartition>> r = ReplicatedPartition::Open(
        envs[size_t(i)].get(), kDir, Options(i), rngs[size_t(i)].get(), &clock);
    ASSERT_TRUE(r.ok()) << r.error();
    replicas[size_t(i)] = std::move(*r);
  }

  void Crash(int i) {
    replicas[size_t(i)].reset();
    envs[size_t(i)]->Crash();
  }

  // Delivers messages until quiet (bounded).
  void Pump() {
    for (int round = 0; round < 1000; ++round) {
      bool any = false;
      for (size_t i = 0; i < replicas.size(); ++i) {
        if (!replicas[i]) continue;
        ASSERT_TRUE(replicas[i]->Process().ok());
        for (const ProduceOutcome& o : replicas[i]->TakeOutcomes()) outcomes[o.request_id] = o;
        for (raft::Message& m : replicas[i]->TakeMessages()) {
          size_t to = size_t(m.to - 1);
          if (!replicas[to] || down.contains(to) || down.contains(i)) continue;
          any = true;
          (void)replicas[to]->Step(std::move(m));
        }
      }
      if (!any) return;
    }
  }

  void Tick(int times = 1) {
    for (int t = 0; t < times; ++t) {
      clock.Advance(std::chrono::milliseconds(10));
      for (auto& r : replicas) {
        if (r) r->Tick();
      }
      Pump();
    }
  }

  int Leader() const {
    for (size_t i = 0; i < replicas.size(); ++i) {
      if (replicas[i] && !down.contains(i) && replicas[i]->is_leader()) return int(i);
    }
    return -1;
  }

  int ElectLeader() {
    for (int t = 0; t < 200 && Leader() < 0; ++t) Tick();
    return Leader();
  }

  std::optional<ProduceOutcome> Produce(int node, uint64_t id, uint64_t producer, uint64_t seq,
                                        std::vector<std::string> values, Acks acks = Acks::kAll) {
    ProduceRequest r;
    r.request_id = id;
    r.producer_id = producer;
    r.sequence = seq;
    r.acks = acks;
    for (const std::string& v : values) r.records.push_back(Rec(v));
    return replicas[size_t(node)]->Produce(std::move(r));
  }

  std::vector<log::Record> ReadAll(int i) {
    Result<std::vector<log::Record>> r =
        replicas[size_t(i)]->Read(0, log::ReadOptions{}, ReadFrom::kLocalCommitted);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : std::vector<log::Record>{};
  }

  uint64_t checkpoint_every = 4096;
  FakeClock clock;
  std::vector<std::unique_ptr<log::MemEnv>> envs;
  std::vector<std::unique_ptr<raft::SimRng>> rngs;
  std::vector<std::unique_ptr<ReplicatedPartition>> replicas;
  std::set<size_t> down;
  std::map<uint64_t, ProduceOutcome> outcomes;
};

TEST(ReplicatedPartition, AcksAllAnswersAfterCommitWithOffsetsEqualOnEveryReplica) {
  Cluster c;
  int l = c.ElectLeader();
  ASSERT_GE(l, 0);
  EXPECT_FALSE(c.Produce(l, 1, 7, 0, {"a", "b"}).has_value());  // pending until commit
  EXPECT_FALSE(c.Produce(l, 2, 7, 1, {"c"}).has_value());
  c.Pump();
  ASSERT_TRUE(c.outcomes.contains(1) && c.outcomes.contains(2));
  EXPECT_EQ(c.outcomes[1].code, ProduceCode::kOk);
  EXPECT_EQ(c.outcomes[1].base_offset, 0u);
  EXPECT_EQ(c.outcomes[1].last_offset, 1u);
  EXPECT_EQ(c.outcomes[2].base_offset, 2u);
  c.Tick(2);  // followers learn the commit index
  for (int i = 0; i < 3; ++i) {
    std::vector<log::Record> all = c.ReadAll(i);
    ASSERT_EQ(all.size(), 3u) << "replica " << i;
    EXPECT_EQ(Value(all[2]), "c");
    EXPECT_EQ(all[2].offset, 2u);
    EXPECT_EQ(all, c.ReadAll(0));  // timestamps too: the leader stamped them
  }
}

TEST(ReplicatedPartition, FollowerRefusesProduceWithLeaderHintAndLeaderReads) {
  Cluster c;
  int l = c.ElectLeader();
  ASSERT_GE(l, 0);
  int f = (l + 1) % 3;
  std::optional<ProduceOutcome> o = c.Produce(f, 9, 7, 0, {"x"});
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->code, ProduceCode::kNotLeader);
  EXPECT_EQ(o->leader_hint, raft::NodeId(l + 1));
  Result<std::vector<log::Record>> r = c.replicas[size_t(f)]->Read(0, {}, ReadFrom::kLeader);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("leader is node " + std::to_string(l + 1)), std::string::npos);
}

TEST(ReplicatedPartition, AcksNoneAnswersAtOnceAndAcksLeaderAfterLocalSync) {
  Cluster c;
  int l = c.ElectLeader();
  ASSERT_GE(l, 0);
  // Cut the leader off: nothing can commit.
  for (size_t i = 0; i < 3; ++i) {
    if (int(i) != l) c.down.insert(i);
  }
  std::optional<ProduceOutcome> none = c.Produce(l, 1, 0, 0, {"n"}, Acks::kNone);
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(none->code, ProduceCode::kOk);
  EXPECT_FALSE(c.Produce(l, 2, 0, 0, {"l"}, Acks::kLeader).has_value());
  EXPECT_FALSE(c.Produce(l, 3, 0, 0, {"a"}, Acks::kAll).has_value());
  uint64_t syncs = c.envs[size_t(l)]->file_syncs();
  c.Pump();
  EXPECT_GT(c.envs[size_t(l)]->file_syncs(), syncs);  // the leader's wal was synced
  ASSERT_TRUE(c.outcomes.contains(2));
  EXPECT_EQ(c.outcomes[2].code, ProduceCode::kOk);
  EXPECT_FALSE(c.outcomes[2].base_offset.has_value());
  EXPECT_FALSE(c.outcomes.contains(3));  // acks=all waits for a majority
  EXPECT_EQ(c.replicas[size_t(l)]->end_offset(), 0u);
}

TEST(ReplicatedPartition, RetriedSequenceIsDeduplicated) {
  Cluster c;
  int l = c.ElectLeader();
  ASSERT_GE(l, 0);
  c.Produce(l, 1, 42, 0, {"a"});
  c.Produce(l, 2, 42, 0, {"a"});  // the same batch again (a retry)
  c.Produce(l, 3, 42, 1, {"b"});
  c.Produce(l, 4, 42, 0, {"a"});  // an old one
  c.Produce(l, 5, 42, 3, {"d"});  // skips 2
  c.Pump();
  EXPECT_EQ(c.outcomes[1].code, ProduceCode::kOk);
  EXPECT_EQ(c.outcomes[2].code, ProduceCode::kDuplicate);
  EXPECT_EQ(c.outcomes[2].base_offset, 0u);  // the copy that was applied
  EXPECT_EQ(c.outcomes[3].code, ProduceCode::kOk);
  EXPECT_EQ(c.outcomes[3].base_offset, 1u);
  EXPECT_EQ(c.outcomes[4].code, ProduceCode::kDuplicate);
  EXPECT_FALSE(c.outcomes[4].base_offset.has_value());
  EXPECT_EQ(c.outcomes[5].code, ProduceCode::kOutOfOrder);
  EXPECT_EQ(c.replicas[size_t(l)]->end_offset(), 2u);
}

TEST(ReplicatedPartition, RetryAfterLeaderFailoverDoesNotDuplicate) {
  Cluster c;
  int l = c.ElectLeader();
  ASSERT_GE(l, 0);
  c.Produce(l, 1, 5, 0, {"a"});
  c.Pump();  // committed, but say the answer is lost on its way to the client
  c.Crash(l);
  c.down.insert(size_t(l));
  int l2 = c.ElectLeader();
  ASSERT_GE(l2, 0);
  ASSERT_NE(l2, l);
  EXPECT_FALSE(c.Produce(l2, 2, 5, 0, {"a"}).has_value());  // the client retries
  c.Pump();
  EXPECT_EQ(c.outcomes[2].code, ProduceCode::kDuplicate);
  EXPECT_EQ(c.outcomes[2].base_offset, 0u);
  c.down.erase(size_t(l));
  c.Open(l);  // restarts and rebuilds its partition from its Raft log, then catches up
  c.Tick(20);
  for (int i = 0; i < 3; ++i) {
    std::vector<log::Record> all = c.ReadAll(i);
    ASSERT_EQ(all.size(), 1u) << "replica " << i;
    EXPECT_EQ(Value(all[0]), "a");
  }
}

TEST(ReplicatedPartition, PendingRequestsAreLostWhenLeadershipIs) {
  Cluster c;
  int l = c.ElectLeader();
  ASSERT_GE(l, 0);
  for (size_t i = 0; i < 3; ++i) {
    if (int(i) != l) c.down.insert(i);
  }
  EXPECT_FALSE(c.Produce(l, 1, 3, 0, {"a"}).has_value());
  c.Tick(30);  // check-quorum: the cut-off leader steps down
  EXPECT_FALSE(c.replicas[size_t(l)]->is_leader());
  ASSERT_TRUE(c.outcomes.contains(1));
  EXPECT_EQ(c.outcomes[1].code, ProduceCode::kLost);
}

TEST(ReplicatedPartition, RejectsInvalidRequests) {
  Cluster c;
  int l = c.ElectLeader();
  ASSERT_GE(l, 0);
  std::optional<ProduceOutcome> o = c.Produce(l, 1, 0, 0, {});
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->code, ProduceCode::kInvalid);
  ProduceRequest big;
  big.request_id = 2;
  big.records.push_back(Rec(std::string(2 << 20, 'x')));
  o = c.replicas[size_t(l)]->Produce(std::move(big));
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->code, ProduceCode::kInvalid);
  EXPECT_NE(o->message.find("1 MiB"), std::string::npos) << o->message;
}

TEST(ReplicatedPartition, WholeClusterRestartKeepsCommittedRecords) {
  Cluster c;
  int l = c.ElectLeader();
  ASSERT_GE(l, 0);
  for (uint64_t s = 0; s < 10; ++s) c.Produce(l, s, 1, s, {"r" + std::to_string(s)});
  c.Pump();
  c.Tick(2);
  for (int i = 0; i < 3; ++i) c.Crash(i);  // power cut: only synced data survives
  for (int i = 0; i < 3; ++i) c.Open(i);
  ASSERT_GE(c.ElectLeader(), 0);
  c.Tick(5);
  for (int i = 0; i < 3; ++i) {
    std::vector<log::Record> all = c.ReadAll(i);
    ASSERT_EQ(all.size(), 10u) << "replica " << i;
    EXPECT_EQ(Value(all[9]), "r9");
  }
  // The deduplication table was rebuilt too: sequence 9 is a duplicate, 10 is next.
  l = c.Leader();
  c.Produce(l, 100, 1, 9, {"r9"});
  c.Produce(l, 101, 1, 10, {"r10"});
  c.Pump();
  EXPECT_EQ(c.outcomes[100].code, ProduceCode::kDuplicate);
  EXPECT_EQ(c.outcomes[101].base_offset, 10u);
}

TEST(ReplicatedPartition, RestartResumesFromTheApplyCheckpoint) {
  Cluster c(3, /*checkpoint=*/2);
  int l = c.ElectLeader();
  ASSERT_GE(l, 0);
  for (uint64_t s = 0; s < 10; ++s) c.Produce(l, s, 1, s, {"r" + std::to_string(s)});
  c.Pump();
  c.Tick(2);
  for (int i = 0; i < 3; ++i) c.Crash(i);
  // One replica's checkpoint is damaged: it rebuilds from its Raft log instead.
  ASSERT_TRUE(c.envs[0]->CorruptFile("/p0/checkpoint", 9, 1).ok());
  for (int i = 0; i < 3; ++i) c.Open(i);
  EXPECT_EQ(c.replicas[0]->resumed_at(), 0u);
  EXPECT_GT(c.replicas[1]->resumed_at(), 0u);
  EXPECT_GT(c.replicas[2]->resumed_at(), 0u);
  ASSERT_GE(c.ElectLeader(), 0);
  c.Tick(5);
  for (int i = 0; i < 3; ++i) {
    std::vector<log::Record> all = c.ReadAll(i);
    ASSERT_EQ(all.size(), 10u) << "replica " << i;
    EXPECT_EQ(Value(all[9]), "r9");
    EXPECT_EQ(all, c.ReadAll(1));
  }
  l = c.Leader();
  c.Produce(l, 100, 1, 9, {"r9"});  // the restored producer table knows sequence 9
  c.Produce(l, 101, 1, 10, {"r10"});
  c.Pump();
  EXPECT_EQ(c.outcomes[100].code, ProduceCode::kDuplicate);
  EXPECT_EQ(c.outcomes[100].base_offset, 9u);
  EXPECT_EQ(c.outcomes[101].base_offset, 10u);
}

// The Ready contract: a follower whose wal cannot be written or synced acknowledges
// nothing (an append acknowledgement promises durable entries).
TEST(ReplicatedPartition, NoAcknowledgementLeavesBeforeTheSync) {
  Cluster c;
  int l = c.ElectLeader();
  ASSERT_GE(l, 0);
  int f = (l + 1) % 3;
  c.Produce(l, 1, 0, 0, {"a"});
  ASSERT_TRUE(c.replicas[size_t(l)]->Process().ok());
  std::vector<raft::Message> to_f;
  for (raft::Message& m : c.replicas[size_t(l)]->TakeMessages()) {
    if (m.to == raft::NodeId(f + 1)) to_f.push_back(std::move(m));
  }
  ASSERT_FALSE(to_f.empty());
  c.envs[size_t(f)]->FailWritesAfter(1);  // the entry's frame is written, its sync fails
  for (raft::Message& m : to_f) ASSERT_TRUE(c.replicas[size_t(f)]->Step(std::move(m)).ok());
  EXPECT_FALSE(c.replicas[size_t(f)]->Process().ok());
  for (const raft::Message& m : c.replicas[size_t(f)]->TakeMessages()) {
    EXPECT_NE(m.type, raft::MessageType::kAppendResponse) << "acknowledged an unsynced entry";
  }
}

}  // namespace
}  // namespace dlog::replica
