#include "log/partition.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "log/mem_env.h"
#include "test_util.h"

namespace dlog::log {
namespace {

using namespace std::chrono_literals;
using testing::MakeRecords;
using testing::Take;

class PartitionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(env_.CreateDir(dir_).ok());
    ASSERT_TRUE(env_.SyncDir("/").ok());
    options_.segment_bytes = 2048;
    options_.index_interval_bytes = 256;
    options_.clock = &clock_;
  }

  std::unique_ptr<Partition> OpenPartition() {
    return Take(Partition::Open(&env_, dir_, options_));
  }

  // Appends `batches` batches of `per_batch` records and remembers them in `log_`.
  void Append(Partition& p, int batches, size_t per_batch, uint64_t epoch = 1) {
    for (int i = 0; i < batches; ++i) {
      std::vector<Record> records = MakeRecords(per_batch, "b" + std::to_string(log_.size()));
      AppendResult r = Take(p.Append(records, epoch));
      ASSERT_EQ(r.base_offset, log_.size());
      ASSERT_EQ(r.last_offset, log_.size() + per_batch - 1);
      for (Record& rec : records) {
        rec.offset = log_.size();
        log_.push_back(rec);
      }
    }
  }

  std::vector<Record> ReadAll(Partition& p, Offset from = 0) {
    std::vector<Record> out;
    while (from < p.LogEndOffset()) {
      std::vector<Record> got = Take(p.Read(from, ReadOptions{}));
      EXPECT_FALSE(got.empty());
      if (got.empty()) break;
      from = got.back().offset + 1;
      out.insert(out.end(), got.begin(), got.end());
    }
    return out;
  }

  std::vector<Record> Expected(Offset from, Offset to) const {
    return std::vector<Record>(log_.begin() + ptrdiff_t(from), log_.begin() + ptrdiff_t(to));
  }

  MemEnv env_;
  FakeClock clock_;
  std::string dir_ = "/p";
  PartitionOptions options_;
  std::vector<Record> log_;  // oracle
};

TEST_F(PartitionTest, EmptyPartition) {
  auto p = OpenPartition();
  EXPECT_EQ(p->LogStartOffset(), 0u);
  EXPECT_EQ(p->LogEndOffset(), 0u);
  EXPECT_EQ(p->DurableEndOffset(), 0u);
  EXPECT_TRUE(Take(p->Read(0, ReadOptions{})).empty());
  Result<std::vector<Record>> past = p->Read(1, ReadOptions{});
  ASSERT_FALSE(past.ok());
  EXPECT_NE(past.error().find("past the log end offset 0"), std::string::npos) << past.error();
  EXPECT_TRUE(env_.FileExists(dir_ + "/00000000000000000000.log"));
}

TEST_F(PartitionTest, AppendAssignsOffsetsAndStampsTimestamps) {
  auto p = OpenPartition();
  std::vector<Record> records = MakeRecords(3, "t", kNoTimestamp);
  AppendResult r = Take(p->Append(records));
  EXPECT_EQ(r.base_offset, 0u);
  EXPECT_EQ(r.last_offset, 2u);
  EXPECT_TRUE(r.durable);
  std::vector<Record> got = Take(p->Read(0, ReadOptions{}));
  ASSERT_EQ(got.size(), 3u);
  const int64_t now_ms = clock_.WallNow().unix_nanos / 1'000'000;
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(got[i].offset, i);
    EXPECT_EQ(got[i].timestamp_ms, now_ms);
    EXPECT_EQ(got[i].value, records[i].value);
  }
  EXPECT_FALSE(p->Append(std::vector<Record>{}).ok());
}

TEST_F(PartitionTest, ReadsFromEveryOffsetAcrossSegmentsMatchTheOracle) {
  auto p = OpenPartition();
  Append(*p, 60, 3);
  EXPECT_GT(p->SegmentCount(), 4u);
  for (Offset from = 0; from <= log_.size(); ++from) {
    ASSERT_EQ(ReadAll(*p, from), Expected(from, log_.size())) << from;
  }
  p.reset();
  auto reopened = OpenPartition();
  EXPECT_EQ(reopened->LogEndOffset(), log_.size());
  EXPECT_EQ(ReadAll(*reopened), log_);
}

TEST_F(PartitionTest, ReadLimits) {
  auto p = OpenPartition();
  Append(*p, 5, 4);
  EXPECT_EQ(Take(p->Read(2, ReadOptions{.max_records = 5})), Expected(2, 7));
  EXPECT_TRUE(Take(p->Read(2, ReadOptions{.max_records = 0})).empty());
  // max_bytes is soft: at least one record.
  EXPECT_EQ(Take(p->Read(3, ReadOptions{.max_bytes = 1})), Expected(3, 4));
  const size_t one = EncodedRecordSize(log_[0]);
  EXPECT_EQ(Take(p->Read(0, ReadOptions{.max_bytes = 2 * one + 1})).size(), 2u);
  EXPECT_EQ(Take(p->Read(1, ReadOptions{.max_offset = 6})), Expected(1, 6));
  EXPECT_TRUE(Take(p->Read(6, ReadOptions{.max_offset = 6})).empty());
}

TEST_F(PartitionTest, FollowerCopiesLeaderBatchesVerbatim) {
  auto leader = OpenPartition();
  Append(*leader, 30, 2, /*epoch=*/3);
  ASSERT_TRUE(env_.CreateDir("/f").ok());
  auto follower = Take(Partition::Open(&env_, "/f", options_));
  Offset next = 0;
  while (next < leader->LogEndOffset()) {
    Bytes batches = Take(leader->ReadBatches(next, 500));
    ASSERT_FALSE(batches.empty());
    ByteSpan rest(batches);
    while (!rest.empty()) {
      BatchHeader h = Take(ParseBatchHeader(rest));
      Take(follower->AppendBatch(rest.first(h.length)));
      rest = rest.subspan(h.length);
      next = h.next_offset();
    }
  }
  EXPECT_EQ(ReadAll(*follower), log_);
  EXPECT_EQ(Take(follower->BatchHeaderAt(11)).epoch, 3u);
  EXPECT_EQ(Take(follower->BatchHeaderAt(11)).base_offset, 10u);
  // Out of place or damaged batches are refused.
  Bytes one = Take(leader->ReadBatches(0, 1));
  Result<AppendResult> dup = follower->AppendBatch(one);
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().find("but the log ends at 60"), std::string::npos) << dup.error();
  Bytes forged = Take(EncodeBatch(60, 3, MakeRecords(1, "x")));
  forged.back() ^= 1;
  EXPECT_FALSE(follower->AppendBatch(forged).ok());
}

TEST_F(PartitionTest, ReadBatchesStopsAtMaxOffsetAndReturnsWholeBatches) {
  auto p = OpenPartition();
  Append(*p, 4, 5);
  Bytes b = Take(p->ReadBatches(7, 1 << 20, 15));
  ByteSpan rest(b);
  std::vector<Offset> bases;
  while (!rest.empty()) {
    BatchHeader h = Take(VerifyBatch(rest.first(Take(ParseBatchHeader(rest)).length)));
    bases.push_back(h.base_offset);
    rest = rest.subspan(h.length);
  }
  EXPECT_EQ(bases, (std::vector<Offset>{5, 10}));
}

TEST_F(PartitionTest, TruncateAtBatchBoundariesAcrossSegments) {
  auto p = OpenPartition();
  Append(*p, 60, 3);
  const size_t segments = p->SegmentCount();
  Result<BatchHeader> h = p->BatchHeaderAt(50);
  ASSERT_TRUE(h.ok());
  Status inside = p->Truncate(50);
  ASSERT_FALSE(inside.ok());
  EXPECT_NE(inside.message().find("inside the batch of offsets 48..50"), std::string::npos)
      << inside.message();
  EXPECT_FALSE(p->Truncate(log_.size() + 1).ok());
  ASSERT_TRUE(p->Truncate(48).ok());
  EXPECT_LT(p->SegmentCount(), segments);
  EXPECT_EQ(p->LogEndOffset(), 48u);
  EXPECT_EQ(p->DurableEndOffset(), 48u);
  log_.resize(48);
  EXPECT_EQ(ReadAll(*p), log_);
  Append(*p, 10, 3, /*epoch=*/2);  // the diverged tail is replaced
  EXPECT_EQ(ReadAll(*p), log_);
  EXPECT_EQ(Take(p->BatchHeaderAt(49)).epoch, 2u);
  p.reset();
  EXPECT_EQ(ReadAll(*OpenPartition()), log_);
}

TEST_F(PartitionTest, TruncateToZeroAndToLogEnd) {
  auto p = OpenPartition();
  Append(*p, 20, 3);
  ASSERT_TRUE(p->Truncate(p->LogEndOffset()).ok());
  EXPECT_EQ(p->LogEndOffset(), 60u);
  ASSERT_TRUE(p->Truncate(0).ok());
  EXPECT_EQ(p->LogEndOffset(), 0u);
  EXPECT_EQ(p->SegmentCount(), 1u);
  log_.clear();
  Append(*p, 2, 2);
  EXPECT_EQ(ReadAll(*p), log_);
}

TEST_F(PartitionTest, HighWatermarkIsSetByTheOwnerAndClampedByTruncate) {
  auto p = OpenPartition();
  Append(*p, 4, 3);
  EXPECT_EQ(p->HighWatermark(), 0u);
  ASSERT_TRUE(p->SetHighWatermark(9).ok());
  EXPECT_FALSE(p->SetHighWatermark(13).ok());
  EXPECT_EQ(Take(p->Read(0, ReadOptions{.max_offset = p->HighWatermark()})), Expected(0, 9));
  ASSERT_TRUE(p->Truncate(6).ok());
  EXPECT_EQ(p->HighWatermark(), 6u);
  p.reset();
  EXPECT_EQ(OpenPartition()->HighWatermark(), 6u);  // Open: the recovered end
}

TEST_F(PartitionTest, FsyncAlwaysSyncsEveryAppend) {
  options_.fsync_policy = FsyncPolicy::kAlways;
  auto p = OpenPartition();
  const uint64_t before = env_.file_syncs();
  for (int i = 0; i < 5; ++i) {
    AppendResult r = Take(p->Append(MakeRecords(1, "a")));
    EXPECT_TRUE(r.durable);
    EXPECT_EQ(p->DurableEndOffset(), r.last_offset + 1);
  }
  EXPECT_EQ(env_.file_syncs() - before, 5u);
}

TEST_F(PartitionTest, FsyncIntervalByBatchesAndByTime) {
  options_.fsync_policy = FsyncPolicy::kInterval;
  options_.fsync_interval = 50ms;
  options_.fsync_interval_batches = 3;
  options_.segment_bytes = 1 << 20;
  auto p = OpenPartition();
  EXPECT_FALSE(p->NextSyncDeadline().has_value());
  EXPECT_FALSE(Take(p->Append(MakeRecords(1, "a"))).durable);
  EXPECT_EQ(p->NextSyncDeadline(), clock_.Now() + 50ms);
  EXPECT_FALSE(Take(p->Append(MakeRecords(1, "a"))).durable);
  EXPECT_EQ(p->DurableEndOffset(), 0u);
  EXPECT_TRUE(Take(p->Append(MakeRecords(1, "a"))).durable);  // third batch
  EXPECT_EQ(p->DurableEndOffset(), 3u);
  EXPECT_FALSE(p->NextSyncDeadline().has_value());

  EXPECT_FALSE(Take(p->Append(MakeRecords(1, "a"))).durable);
  clock_.Advance(49ms);
  ASSERT_TRUE(p->Tick().ok());
  EXPECT_EQ(p->DurableEndOffset(), 3u);
  clock_.Advance(1ms);
  ASSERT_TRUE(p->Tick().ok());
  EXPECT_EQ(p->DurableEndOffset(), 4u);
  // An append after the interval passed syncs by itself.
  EXPECT_FALSE(Take(p->Append(MakeRecords(1, "a"))).durable);
  clock_.Advance(60ms);
  EXPECT_TRUE(Take(p->Append(MakeRecords(1, "a"))).durable);
}

TEST_F(PartitionTest, FsyncNeverSyncsOnlyOnRequestAndRoll) {
  options_.fsync_policy = FsyncPolicy::kNever;
  auto p = OpenPartition();
  const uint64_t before = env_.file_syncs();
  Append(*p, 1, 2);
  EXPECT_EQ(p->DurableEndOffset(), 0u);
  EXPECT_EQ(env_.file_syncs(), before);
  ASSERT_TRUE(p->Sync().ok());
  EXPECT_EQ(p->DurableEndOffset(), 2u);
  Append(*p, 40, 3);  // rolls segments, each roll syncs
  EXPECT_GT(p->DurableEndOffset(), 2u);
  EXPECT_LT(p->DurableEndOffset(), p->LogEndOffset());
}

TEST_F(PartitionTest, IoErrorStopsWritesUntilReopen) {
  auto p = OpenPartition();
  Append(*p, 3, 2);
  env_.SetFailWrites(true);
  Result<AppendResult> r = p->Append(MakeRecords(1, "x"));
  ASSERT_FALSE(r.ok());
  env_.SetFailWrites(false);
  Result<AppendResult> again = p->Append(MakeRecords(1, "x"));
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().find("reopen it to recover"), std::string::npos) << again.error();
  EXPECT_EQ(ReadAll(*p), log_);  // reads still work
  p.reset();
  auto reopened = OpenPartition();
  EXPECT_EQ(ReadAll(*reopened), log_);
  Append(*reopened, 1, 1);
}

TEST_F(PartitionTest, CorruptBatchInASealedSegmentIsAClearErrorNeverWrongData) {
  auto p = OpenPartition();
  Append(*p, 40, 3);
  ASSERT_GT(p->SegmentCount(), 2u);
  p.reset();
  // Damage the third batch of the first (sealed) segment.
  const std::string first = dir_ + "/" + Segment::DataFileName(0);
  auto reader = Take(env_.NewRandomAccessFile(first));
  uint64_t pos = 0;
  for (int i = 0; i < 2; ++i) {
    uint8_t head[kBatchHeaderSize];
    pos += Take(ParseBatchHeader(Take(reader->Read(pos, kBatchHeaderSize, head)))).length;
  }
  ASSERT_TRUE(env_.CorruptFile(first, pos + 60, 0x08).ok());
  auto damaged = OpenPartition();
  EXPECT_EQ(damaged->LogEndOffset(), log_.size());  // sealed data is trusted at open
  // Reads before the damage stop short of it; a read of it fails and says where.
  std::vector<Record> before = Take(damaged->Read(0, ReadOptions{}));
  EXPECT_EQ(before, Expected(0, 6));
  Result<std::vector<Record>> at = damaged->Read(6, ReadOptions{});
  ASSERT_FALSE(at.ok());
  EXPECT_NE(at.error().find("CRC mismatch"), std::string::npos) << at.error();
  EXPECT_NE(at.error().find(first), std::string::npos) << at.error();
  EXPECT_FALSE(damaged->Read(7, ReadOptions{}).ok());
  EXPECT_FALSE(damaged->ReadBatches(7, 100).ok());
  EXPECT_EQ(Take(damaged->Read(9, ReadOptions{})).front(), log_[9]);
}

TEST_F(PartitionTest, RetentionDropsWholeOldSegmentsBelowTheHighWatermark) {
  auto p = OpenPartition();
  Append(*p, 60, 3);
  const size_t segments = p->SegmentCount();
  // Nothing committed: nothing dropped.
  EXPECT_EQ(Take(p->ApplyRetention({.max_bytes = 0}, 0)), 0u);
  ASSERT_TRUE(p->SetHighWatermark(p->LogEndOffset()).ok());
  EXPECT_EQ(Take(p->ApplyRetention({.max_bytes = 4096}, 0)), segments - 3);
  EXPECT_LE(p->SizeBytes() - 2048, 4096u);
  const Offset start = p->LogStartOffset();
  EXPECT_GT(start, 0u);
  Result<std::vector<Record>> gone = p->Read(0, ReadOptions{});
  ASSERT_FALSE(gone.ok());
  EXPECT_NE(gone.error().find("before the log start offset"), std::string::npos);
  EXPECT_EQ(ReadAll(*p, start), Expected(start, log_.size()));
  p.reset();
  auto reopened = OpenPartition();
  EXPECT_EQ(reopened->LogStartOffset(), start);
  EXPECT_EQ(ReadAll(*reopened, start), Expected(start, log_.size()));
  // By age: every record has timestamp 1000 ms; the active segment always stays.
  ASSERT_TRUE(reopened->SetHighWatermark(reopened->LogEndOffset()).ok());
  EXPECT_EQ(Take(reopened->ApplyRetention({.max_age_ms = 5000}, 5999)), 0u);
  EXPECT_GT(Take(reopened->ApplyRetention({.max_age_ms = 5000}, 6001)), 0u);
  EXPECT_EQ(reopened->SegmentCount(), 1u);
}

TEST_F(PartitionTest, OpenClearsLeftoversAndRejectsBadOptions) {
  { auto p = OpenPartition(); }
  { ASSERT_TRUE(env_.NewWritableFile(dir_ + "/00000000000000000000.index.tmp").ok()); }
  { ASSERT_TRUE(env_.NewWritableFile(dir_ + "/00000000000000000999.index").ok()); }
  auto p = OpenPartition();
  EXPECT_FALSE(env_.FileExists(dir_ + "/00000000000000000000.index.tmp"));
  EXPECT_FALSE(env_.FileExists(dir_ + "/00000000000000000999.index"));
  options_.segment_bytes = 10;
  EXPECT_FALSE(Partition::Open(&env_, dir_, options_).ok());
  EXPECT_FALSE(Partition::Open(&env_, "/nope", PartitionOptions{}).ok());
}

TEST_F(PartitionTest, ClosedPartitionRefusesEverything) {
  auto p = OpenPartition();
  Append(*p, 1, 1);
  p->Close();
  EXPECT_FALSE(p->Append(MakeRecords(1, "x")).ok());
  EXPECT_FALSE(p->Read(0, ReadOptions{}).ok());
  EXPECT_FALSE(p->Truncate(0).ok());
}

TEST_F(PartitionTest, ConcurrentAppendersReadersAndTicks) {
  options_.fsync_policy = FsyncPolicy::kInterval;
  options_.clock = nullptr;  // the system clock; FakeClock is not thread-safe
  auto p = OpenPartition();
  std::atomic<bool> done{false};
  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < 300; ++i)
        ASSERT_TRUE(p->Append(MakeRecords(2, "w" + std::to_string(w))).ok());
    });
  }
  threads.emplace_back([&] {
    while (!done) {
      Offset from = p->LogStartOffset();
      while (from < p->LogEndOffset()) {
        Result<std::vector<Record>> got = p->Read(from, ReadOptions{});
        ASSERT_TRUE(got.ok()) << got.error();
        for (const Record& r : *got) ASSERT_EQ(r.offset, from++);
      }
    }
  });
  threads.emplace_back([&] {
    while (!done) {
      ASSERT_TRUE(p->Tick().ok());
      (void)p->NextSyncDeadline();
      (void)p->DurableEndOffset();
    }
  });
  threads[0].join();
  threads[1].join();
  done = true;
  threads[2].join();
  threads[3].join();
  EXPECT_EQ(p->LogEndOffset(), 1200u);
  ASSERT_TRUE(p->Sync().ok());
  EXPECT_EQ(ReadAll(*p).size(), 1200u);
}

}  // namespace
}  // namespace dlog::log
