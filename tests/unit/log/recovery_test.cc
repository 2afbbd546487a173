// Crash-recovery tests of partitions on MemEnv: torn and corrupt tails at every byte,
// and seeded random operation sequences with crashes checked against a naive oracle.
#include <gtest/gtest.h>

#include "log/mem_env.h"
#include "log/partition.h"
#include "test_util.h"

namespace dlog::log {
namespace {

using namespace std::chrono_literals;
using testing::MakeRecords;
using testing::RandomRecords;
using testing::Take;

const std::string kDir = "/part";

std::vector<Record> ReadAll(Partition& p) {
  std::vector<Record> out;
  Offset from = p.LogStartOffset();
  while (from < p.LogEndOffset()) {
    std::vector<Record> got = Take(p.Read(from, ReadOptions{.max_records = 100000}));
    if (got.empty()) {
      ADD_FAILURE() << "empty read at " << from;
      break;
    }
    from = got.back().offset + 1;
    out.insert(out.end(), got.begin(), got.end());
  }
  return out;
}

std::vector<Record> Offsets(std::vector<Record> v, Offset base) {
  for (Record& r : v) r.offset = base++;
  return v;
}

class TailRecovery : public ::testing::Test {
 protected:
  struct Setup {
    std::unique_ptr<MemEnv> env = std::make_unique<MemEnv>();
    std::vector<Record> synced;  // records of the synced batches
    uint64_t synced_size = 0;    // bytes of the active segment holding them
    Bytes last_batch;            // the final batch's bytes
    std::vector<Record> last;    // and its records
  };

  // A partition with 8 synced batches, then one more batch, synced or not.
  Setup Build(bool sync_last) {
    Setup s;
    EXPECT_TRUE(s.env->CreateDir(kDir).ok());
    EXPECT_TRUE(s.env->SyncDir("/").ok());
    PartitionOptions options;
    options.fsync_policy = FsyncPolicy::kNever;
    auto p = Take(Partition::Open(s.env.get(), kDir, options));
    for (int i = 0; i < 8; ++i) {
      std::vector<Record> b = MakeRecords(1 + i % 3, "s" + std::to_string(i));
      Take(p->Append(b));
      auto with = Offsets(b, s.synced.size());
      s.synced.insert(s.synced.end(), with.begin(), with.end());
    }
    EXPECT_TRUE(p->Sync().ok());
    s.synced_size = Take(s.env->GetFileSize(kDir + "/" + Segment::DataFileName(0)));
    s.last = Offsets(MakeRecords(4, "last"), s.synced.size());
    Take(p->Append(s.last));
    if (sync_last) {
      EXPECT_TRUE(p->Sync().ok());
    }
    s.last_batch = Take(p->ReadBatches(s.synced.size(), 1 << 20));
    return s;
  }
};

TEST_F(TailRecovery, TornLastBatchAtEveryByteIsCutExactly) {
  const size_t len = Build(false).last_batch.size();
  for (size_t keep = 0; keep <= len; ++keep) {
    SCOPED_TRACE("kept " + std::to_string(keep) + " of " + std::to_string(len) + " bytes");
    Setup s = Build(false);
    s.env->Crash([&](const std::string&, size_t unsynced) {
      EXPECT_EQ(unsynced, len);
      return keep;
    });
    auto p = Take(Partition::Open(s.env.get(), kDir, PartitionOptions{}));
    std::vector<Record> expected = s.synced;
    if (keep == len) expected.insert(expected.end(), s.last.begin(), s.last.end());
    EXPECT_EQ(ReadAll(*p), expected);
    EXPECT_EQ(p->LogEndOffset(), expected.size());
    EXPECT_EQ(p->DurableEndOffset(), expected.size());
    const RecoveryReport report = p->recovery_report();
    EXPECT_EQ(report.truncated, keep > 0 && keep < len);
    if (report.truncated) {
      EXPECT_EQ(report.cut_position, s.synced_size);
      EXPECT_EQ(report.bytes_cut, keep);
      EXPECT_EQ(report.first_offset_cut, s.synced.size());
      EXPECT_FALSE(report.valid_batches_after_cut);
    }
    // The partition goes on from the cut.
    Take(p->Append(MakeRecords(1, "after")));
    EXPECT_EQ(p->LogEndOffset(), expected.size() + 1);
  }
}

TEST_F(TailRecovery, CorruptByteAnywhereInTheLastBatchCutsExactlyThatBatch) {
  const size_t len = Build(true).last_batch.size();
  for (size_t i = 0; i < len; ++i) {
    SCOPED_TRACE("corrupt byte " + std::to_string(i));
    Setup s = Build(true);
    s.env->Crash();
    ASSERT_TRUE(
        s.env->CorruptFile(kDir + "/" + Segment::DataFileName(0), s.synced_size + i, 0x40).ok());
    auto p = Take(Partition::Open(s.env.get(), kDir, PartitionOptions{}));
    EXPECT_EQ(ReadAll(*p), s.synced);
    const RecoveryReport report = p->recovery_report();
    EXPECT_TRUE(report.truncated);
    EXPECT_EQ(report.cut_position, s.synced_size);
    EXPECT_EQ(report.bytes_cut, len);
  }
}

TEST_F(TailRecovery, GarbageAfterTheLastBatchIsCut) {
  Setup s = Build(true);
  {
    auto w = Take(s.env->NewAppendableFile(kDir + "/" + Segment::DataFileName(0)));
    ASSERT_TRUE(w->Append(Bytes(100, 0)).ok());  // e.g. preallocated zeros
    ASSERT_TRUE(w->Sync().ok());
  }
  s.env->Crash();
  auto p = Take(Partition::Open(s.env.get(), kDir, PartitionOptions{}));
  std::vector<Record> expected = s.synced;
  expected.insert(expected.end(), s.last.begin(), s.last.end());
  EXPECT_EQ(ReadAll(*p), expected);
  EXPECT_EQ(p->recovery_report().bytes_cut, 100u);
}

TEST(TruncateRecovery, TruncationIsDurableWhenItReturns) {
  for (Offset to : {Offset{0}, Offset{30}, Offset{57}}) {
    SCOPED_TRACE("truncate to " + std::to_string(to));
    MemEnv env;
    ASSERT_TRUE(env.CreateDir(kDir).ok());
    ASSERT_TRUE(env.SyncDir("/").ok());
    PartitionOptions options;
    options.segment_bytes = 1024;
    std::vector<Record> all;
    {
      auto p = Take(Partition::Open(&env, kDir, options));
      for (int i = 0; i < 30; ++i) {
        std::vector<Record> b = MakeRecords(3, "t" + std::to_string(i));
        Take(p->Append(b));
        auto with = Offsets(b, all.size());
        all.insert(all.end(), with.begin(), with.end());
      }
      ASSERT_GT(p->SegmentCount(), 3u);
      ASSERT_TRUE(p->Truncate(to).ok());
    }
    env.Crash([](const std::string&, size_t n) { return n; });
    auto p = Take(Partition::Open(&env, kDir, options));
    all.resize(to);
    EXPECT_EQ(ReadAll(*p), all);
    EXPECT_EQ(p->LogEndOffset(), to);
  }
}

// The oracle: every record that may exist, in order; those below `durable` must.
struct Oracle {
  std::vector<Record> log;
  std::vector<Offset> boundaries;  // batch base offsets in `log`
  Offset durable = 0;
  Offset start = 0;

  void Append(std::vector<Record> records) {
    boundaries.push_back(log.size());
    for (Record& r : records) {
      r.offset = log.size();
      log.push_back(std::move(r));
    }
  }
  void TruncateTo(Offset to) {
    log.resize(to);
    durable = std::min(durable, to);
    while (!boundaries.empty() && boundaries.back() >= to) boundaries.pop_back();
  }
};

class RandomCrash : public ::testing::TestWithParam<FsyncPolicy> {
 protected:
  void RunSeed(uint64_t seed);

  std::unique_ptr<Partition> Open() {
    PartitionOptions o;
    o.segment_bytes = 1500;
    o.index_interval_bytes = 200;
    o.fsync_policy = GetParam();
    o.fsync_interval = 20ms;
    o.fsync_interval_batches = 4;
    o.clock = &clock_;
    return Take(Partition::Open(env_.get(), kDir, o));
  }

  // Checks the recovered partition against the oracle and adopts what survived.
  void CheckRecovered(Partition& p, Oracle& oracle) {
    const std::vector<Record> got = ReadAll(p);
    const Offset start = p.LogStartOffset();
    ASSERT_LE(start, oracle.start) << "retention dropped more than it was asked to";
    ASSERT_GE(p.LogEndOffset(), oracle.durable) << "lost durable records";
    ASSERT_LE(p.LogEndOffset(), oracle.log.size()) << "records from nowhere";
    ASSERT_EQ(got.size(), p.LogEndOffset() - start);
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i], oracle.log[start + i]) << "offset " << start + i;
    }
    ASSERT_EQ(p.DurableEndOffset(), p.LogEndOffset());
    oracle.TruncateTo(p.LogEndOffset());
    oracle.durable = p.LogEndOffset();
    oracle.start = start;
  }

  std::unique_ptr<MemEnv> env_;
  FakeClock clock_;
};

// One mutating step; failures (after injected write errors) are folded into the
// oracle as "may or may not have happened".
void Step(Rng& rng, Partition& p, Oracle& oracle) {
  const uint32_t op = rng.Uniform(100);
  if (op < 55) {
    std::vector<Record> records = RandomRecords(rng, 1 + rng.Uniform(5), 120);
    const bool ok = p.Append(records, 1).ok();
    oracle.Append(std::move(records));  // a failed append may still have reached the disk
    if (!ok) return;
  } else if (op < 65) {
    (void)p.Sync();
  } else if (op < 80) {
    (void)p.Tick();
  } else if (op < 88 && !oracle.boundaries.empty()) {
    Offset to = oracle.boundaries[rng.Uniform(uint32_t(oracle.boundaries.size()))];
    to = std::max(to, p.LogStartOffset());
    if (to >= p.LogEndOffset()) return;
    if (p.Truncate(to).ok()) {
      oracle.TruncateTo(to);
    } else {
      oracle.durable = std::min(oracle.durable, to);
    }
  } else if (op < 92) {
    if (!p.SetHighWatermark(p.LogEndOffset()).ok()) return;
    const int64_t limit = 1500 * int64_t(1 + rng.Uniform(4));
    (void)p.ApplyRetention({.max_bytes = limit}, 0);
    if (p.LogStartOffset() > oracle.start) oracle.start = p.LogStartOffset();
  }
  oracle.durable = std::max(oracle.durable, p.DurableEndOffset());
}

void RandomCrash::RunSeed(uint64_t seed) {
  SCOPED_TRACE("seed " + std::to_string(seed));
  SeededRng rng(seed);
  ASSERT_TRUE(env_->CreateDir(kDir).ok());
  ASSERT_TRUE(env_->SyncDir("/").ok());
  Oracle oracle;
  auto p = Open();
  for (int round = 0; round < 12; ++round) {
    for (uint32_t i = 0, n = 5 + rng.Uniform(40); i < n; ++i) {
      Step(rng, *p, oracle);
      clock_.Advance(std::chrono::milliseconds(rng.Uniform(10)));
    }
    ASSERT_EQ(ReadAll(*p),
              std::vector<Record>(oracle.log.begin() + ptrdiff_t(oracle.start), oracle.log.end()));
    // A power cut, sometimes in the middle of the next few operations.
    if (rng.Uniform(2) == 0) {
      env_->FailWritesAfter(rng.Uniform(8));
      for (uint32_t i = 0, n = 1 + rng.Uniform(4); i < n; ++i) Step(rng, *p, oracle);
    }
    p.reset();
    env_->Crash([&](const std::string&, size_t unsynced) {
      switch (rng.Uniform(3)) {
        case 0:
          return size_t{0};
        case 1:
          return unsynced;
        default:
          return size_t(rng.Uniform(uint32_t(unsynced) + 1));
      }
    });
    p = Open();
    CheckRecovered(*p, oracle);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST_P(RandomCrash, DurableRecordsSurviveNothingIsDuplicatedOrReordered) {
  for (uint64_t seed = 1; seed <= 25; ++seed) {
    env_ = std::make_unique<MemEnv>();
    RunSeed(seed);
    if (HasFatalFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(Policies, RandomCrash,
                         ::testing::Values(FsyncPolicy::kAlways, FsyncPolicy::kInterval,
                                           FsyncPolicy::kNever),
                         [](const auto& info) {
                           switch (info.param) {
                             case FsyncPolicy::kAlways:
                               return "Always";
                             case FsyncPolicy::kInterval:
                               return "Interval";
                             case FsyncPolicy::kNever:
                               return "Never";
                           }
                           return "";
                         });

}  // namespace
}  // namespace dlog::log
