#include "log/segment.h"

#include <gtest/gtest.h>

#include "log/mem_env.h"
#include "test_util.h"

namespace dlog::log {
namespace {

using testing::MakeRecords;
using testing::Take;

class SegmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(env_.CreateDir(dir_).ok());
    ASSERT_TRUE(env_.SyncDir("/").ok());
  }

  // Appends `n` batches of 1..4 records starting at the segment's end.
  void Fill(Segment& s, int n) {
    for (int i = 0; i < n; ++i) {
      Bytes b =
          Take(EncodeBatch(s.next_offset(), 1, MakeRecords(1 + i % 4, "s" + std::to_string(i))));
      batches_.push_back(b);
      ASSERT_TRUE(s.Append(b, Take(VerifyBatch(b))).ok());
    }
  }

  // Linear scan oracle: position of the batch holding `offset`.
  uint64_t NaivePosition(Offset base, Offset offset) const {
    uint64_t pos = 0;
    for (const Bytes& b : batches_) {
      BatchHeader h = Take(ParseBatchHeader(b));
      if (offset >= h.base_offset && offset < h.next_offset()) return pos;
      pos += b.size();
    }
    ADD_FAILURE() << "offset " << offset << " not in any batch";
    return 0;
  }

  void ExpectIndexMatchesLinearScan(Segment& s) {
    for (Offset o = s.base_offset(); o < s.next_offset(); ++o) {
      Result<uint64_t> p = s.FindBatch(o);
      ASSERT_TRUE(p.ok()) << p.error();
      EXPECT_EQ(*p, NaivePosition(s.base_offset(), o)) << o;
    }
    EXPECT_FALSE(s.FindBatch(s.next_offset()).ok());
    if (s.base_offset() > 0) {
      EXPECT_FALSE(s.FindBatch(s.base_offset() - 1).ok());
    }
  }

  MemEnv env_;
  std::string dir_ = "/p";
  std::vector<Bytes> batches_;
  SegmentOptions options_{256, false};
};

TEST_F(SegmentTest, FileNames) {
  EXPECT_EQ(Segment::DataFileName(42), "00000000000000000042.log");
  EXPECT_EQ(Segment::IndexFileName(42), "00000000000000000042.index");
  Offset base;
  bool is_index;
  ASSERT_TRUE(Segment::ParseFileName("00000000000000001000.index", &base, &is_index));
  EXPECT_EQ(base, 1000u);
  EXPECT_TRUE(is_index);
  EXPECT_FALSE(Segment::ParseFileName("0000000000000000100.log", &base, &is_index));
  EXPECT_FALSE(Segment::ParseFileName("0000000000000000100x.log", &base, &is_index));
  EXPECT_FALSE(Segment::ParseFileName("00000000000000001000.log.tmp", &base, &is_index));
  EXPECT_FALSE(Segment::ParseFileName("99999999999999999999.log", &base, &is_index));
}

TEST_F(SegmentTest, IndexAgreesWithLinearScanActiveAndSealed) {
  auto s = Take(Segment::Create(&env_, dir_, 100, options_));
  Fill(*s, 60);
  EXPECT_GT(s->index().entries().size(), 5u);
  ExpectIndexMatchesLinearScan(*s);
  ASSERT_TRUE(s->Seal().ok());
  EXPECT_TRUE(s->sealed());
  ASSERT_TRUE(env_.SyncDir(dir_).ok());
  auto sealed = Take(Segment::OpenSealed(&env_, dir_, 100, options_));
  EXPECT_EQ(sealed->next_offset(), s->next_offset());
  EXPECT_EQ(sealed->index().entries(), s->index().entries());
  ExpectIndexMatchesLinearScan(*sealed);
}

TEST_F(SegmentTest, MissingOrCorruptIndexIsRebuiltAndRewritten) {
  auto s = Take(Segment::Create(&env_, dir_, 0, options_));
  Fill(*s, 40);
  ASSERT_TRUE(s->Seal().ok());
  const auto entries = s->index().entries();
  const std::string index_path = dir_ + "/" + Segment::IndexFileName(0);

  ASSERT_TRUE(env_.RemoveFile(index_path).ok());
  auto rebuilt = Take(Segment::OpenSealed(&env_, dir_, 0, options_));
  EXPECT_EQ(rebuilt->index().entries(), entries);
  EXPECT_EQ(rebuilt->next_offset(), s->next_offset());
  EXPECT_TRUE(env_.FileExists(index_path));  // rewritten

  ASSERT_TRUE(env_.CorruptFile(index_path, 40, 0xFF).ok());
  rebuilt = Take(Segment::OpenSealed(&env_, dir_, 0, options_));
  EXPECT_EQ(rebuilt->index().entries(), entries);
  ExpectIndexMatchesLinearScan(*rebuilt);
}

TEST_F(SegmentTest, IndexThatLiesIsCaughtOnReadAndRebuilt) {
  auto s = Take(Segment::Create(&env_, dir_, 0, options_));
  Fill(*s, 40);
  ASSERT_TRUE(s->Seal().ok());
  // A well-formed index whose entries point at the wrong offsets.
  SegmentIndex wrong(0, 256);
  for (const IndexEntry& e : s->index().entries()) wrong.OnBatch(e.relative_offset + 1, e.position);
  ASSERT_TRUE(WriteFileAtomically(&env_, dir_ + "/" + Segment::IndexFileName(0),
                                  wrong.Encode(s->size(), s->next_offset(), 0))
                  .ok());
  auto lied_to = Take(Segment::OpenSealed(&env_, dir_, 0, options_));
  ExpectIndexMatchesLinearScan(*lied_to);
  EXPECT_EQ(lied_to->index().entries(), s->index().entries());
}

TEST_F(SegmentTest, RecoverOfACleanSegmentKeepsEverything) {
  auto s = Take(Segment::Create(&env_, dir_, 7, options_));
  Fill(*s, 30);
  RecoveryReport report;
  auto r = Take(Segment::Recover(&env_, dir_, 7, options_, &report));
  EXPECT_FALSE(report.truncated);
  EXPECT_EQ(r->next_offset(), s->next_offset());
  EXPECT_EQ(r->size(), s->size());
  EXPECT_EQ(r->index().entries(), s->index().entries());
}

TEST_F(SegmentTest, RecoverCutsAtTheFirstBadBatchAndReportsIt) {
  auto s = Take(Segment::Create(&env_, dir_, 0, options_));
  Fill(*s, 10);
  const uint64_t keep = s->size();
  const Offset keep_offset = s->next_offset();
  Fill(*s, 1);
  const std::string path = s->data_path();
  ASSERT_TRUE(env_.CorruptFile(path, keep + 60, 0x04).ok());
  RecoveryReport report;
  auto r = Take(Segment::Recover(&env_, dir_, 0, options_, &report));
  EXPECT_TRUE(report.truncated);
  EXPECT_EQ(report.cut_position, keep);
  EXPECT_EQ(report.bytes_cut, batches_.back().size());
  EXPECT_EQ(report.first_offset_cut, keep_offset);
  EXPECT_NE(report.reason.find("CRC"), std::string::npos) << report.reason;
  EXPECT_FALSE(report.valid_batches_after_cut);
  EXPECT_EQ(*env_.GetFileSize(path), keep);
  EXPECT_EQ(r->next_offset(), keep_offset);
}

TEST_F(SegmentTest, DamageFollowedByValidBatchesIsFlaggedAndStrictModeRefuses) {
  auto s = Take(Segment::Create(&env_, dir_, 0, options_));
  Fill(*s, 10);
  const Offset last = s->next_offset() - 1;
  ASSERT_TRUE(env_.CorruptFile(s->data_path(), batches_[0].size() + 50, 0x01).ok());
  SegmentOptions strict = options_;
  strict.strict_recovery = true;
  RecoveryReport report;
  Result<std::unique_ptr<Segment>> refused = Segment::Recover(&env_, dir_, 0, strict, &report);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("refusing"), std::string::npos) << refused.error();
  EXPECT_EQ(*env_.GetFileSize(s->data_path()), s->size());  // nothing cut

  auto cut = Take(Segment::Recover(&env_, dir_, 0, options_, &report));
  EXPECT_TRUE(report.valid_batches_after_cut);
  EXPECT_EQ(report.last_offset_after_cut, last);
  EXPECT_EQ(cut->size(), batches_[0].size());
}

TEST_F(SegmentTest, TruncateToBatchBoundaryOnly) {
  auto s = Take(Segment::Create(&env_, dir_, 0, options_));
  Fill(*s, 10);  // batch sizes 1,2,3,4,1,2,... → batch 2 starts at offset 3
  EXPECT_FALSE(s->TruncateTo(4).ok());
  ASSERT_TRUE(s->TruncateTo(3).ok());
  EXPECT_EQ(s->next_offset(), 3u);
  EXPECT_EQ(s->size(), batches_[0].size() + batches_[1].size());
  batches_.resize(2);
  Fill(*s, 5);
  ExpectIndexMatchesLinearScan(*s);
}

TEST_F(SegmentTest, SealedSegmentTruncatedBecomesActive) {
  auto s = Take(Segment::Create(&env_, dir_, 0, options_));
  Fill(*s, 10);
  ASSERT_TRUE(s->Seal().ok());
  ASSERT_TRUE(s->TruncateTo(3).ok());
  EXPECT_FALSE(s->sealed());
  EXPECT_FALSE(env_.FileExists(dir_ + "/" + Segment::IndexFileName(0)));
  batches_.resize(2);
  Fill(*s, 3);
  ExpectIndexMatchesLinearScan(*s);
}

TEST_F(SegmentTest, ReadBatchChecksBounds) {
  auto s = Take(Segment::Create(&env_, dir_, 0, options_));
  Fill(*s, 3);
  Bytes buf;
  StoredBatch b = Take(s->ReadBatch(0, &buf));
  EXPECT_EQ(Bytes(b.bytes.begin(), b.bytes.end()), batches_[0]);
  EXPECT_FALSE(s->ReadBatch(s->size(), &buf).ok());
  EXPECT_FALSE(s->ReadBatch(s->size() - 10, &buf).ok());
  EXPECT_FALSE(s->ReadBatch(1, &buf).ok());
}

}  // namespace
}  // namespace dlog::log
