// Recovery on the real file system: a partition written through PosixEnv, its last
// segment cut with truncate(2) or overwritten with pwrite(2), then reopened.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>

#include "log/partition.h"
#include "log/posix_env.h"
#include "test_util.h"

namespace dlog::log {
namespace {

using testing::MakeRecords;
using testing::Take;

class PosixRecovery : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dlog-posix-recovery-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    options_.segment_bytes = 2048;
    options_.fsync_policy = FsyncPolicy::kNever;  // the test cuts files itself
  }
  void TearDown() override { EXPECT_TRUE(RemoveTree(env_, dir_).ok()); }

  // Writes 40 batches of 2 records; returns the last segment's path.
  std::string Write() {
    auto p = Take(Partition::Open(env_, dir_, options_));
    for (int i = 0; i < 40; ++i) {
      std::vector<Record> b = MakeRecords(2, "p" + std::to_string(i));
      Take(p->Append(b));
      for (Record& r : b) {
        r.offset = log_.size();
        log_.push_back(r);
      }
    }
    last_base_ = Take(p->BatchHeaderAt(p->LogEndOffset() - 1)).base_offset;
    EXPECT_GT(p->SegmentCount(), 2u);
    EXPECT_TRUE(p->Sync().ok());
    Offset seg_base = 0;
    for (Offset o = 0; o < log_.size(); ++o) {
      if (env_->FileExists(JoinPath(dir_, Segment::DataFileName(o)))) seg_base = o;
    }
    return JoinPath(dir_, Segment::DataFileName(seg_base));
  }

  std::vector<Record> ReadAll(Partition& p) {
    std::vector<Record> out;
    for (Offset from = 0; from < p.LogEndOffset();) {
      std::vector<Record> got = Take(p.Read(from, ReadOptions{}));
      from = got.back().offset + 1;
      out.insert(out.end(), got.begin(), got.end());
    }
    return out;
  }

  Env* env_ = PosixEnvironment();
  std::string dir_;
  PartitionOptions options_;
  std::vector<Record> log_;
  Offset last_base_ = 0;
};

TEST_F(PosixRecovery, TruncatedTailIsCutAtEveryPositionOfTheLastBatch) {
  const std::string last = Write();
  const uint64_t size = Take(env_->GetFileSize(last));
  Bytes tail;
  {
    auto p = Take(Partition::Open(env_, dir_, options_));
    tail = Take(p->ReadBatches(last_base_, 1));
  }
  const uint64_t kept = size - tail.size();
  for (uint64_t cut = kept; cut < size; ++cut) {
    SCOPED_TRACE("truncate(2) to " + std::to_string(cut));
    ASSERT_EQ(::truncate(last.c_str(), off_t(cut)), 0);
    auto reopened = Take(Partition::Open(env_, dir_, options_));
    EXPECT_EQ(reopened->LogEndOffset(), last_base_);
    EXPECT_EQ(reopened->recovery_report().bytes_cut, cut - kept);
    EXPECT_EQ(Take(env_->GetFileSize(last)), kept);
    EXPECT_EQ(ReadAll(*reopened),
              std::vector<Record>(log_.begin(), log_.begin() + ptrdiff_t(last_base_)));
    reopened.reset();
    // Put the batch back for the next cut.
    auto w = Take(env_->NewAppendableFile(last));
    ASSERT_TRUE(w->Append(tail).ok());
  }
  auto whole = Take(Partition::Open(env_, dir_, options_));
  EXPECT_FALSE(whole->recovery_report().truncated);
  EXPECT_EQ(ReadAll(*whole), log_);
}

TEST_F(PosixRecovery, OverwrittenByteInTheTailIsCutAndAppendsContinue) {
  const std::string last = Write();
  const uint64_t size = Take(env_->GetFileSize(last));
  const int fd = ::open(last.c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const uint8_t junk = 0xA5;
  ASSERT_EQ(::pwrite(fd, &junk, 1, off_t(size - 3)), 1);
  ::close(fd);
  auto p = Take(Partition::Open(env_, dir_, options_));
  EXPECT_EQ(p->LogEndOffset(), last_base_);
  EXPECT_TRUE(p->recovery_report().truncated);
  Take(p->Append(MakeRecords(1, "after")));
  p.reset();
  auto reopened = Take(Partition::Open(env_, dir_, options_));
  EXPECT_EQ(reopened->LogEndOffset(), last_base_ + 1);
  EXPECT_FALSE(reopened->recovery_report().truncated);
}

}  // namespace
}  // namespace dlog::log
