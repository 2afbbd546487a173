#include "log/record_batch.h"

#include <gtest/gtest.h>

#include "log/crc32c.h"
#include "test_util.h"

namespace dlog::log {
namespace {

using testing::B;
using testing::MakeRecord;
using testing::MakeRecords;

std::vector<Record> WithOffsets(std::vector<Record> records, Offset base) {
  for (Record& r : records) r.offset = base++;
  return records;
}

TEST(RecordBatch, RoundTrip) {
  std::vector<Record> records = MakeRecords(5, "rt");
  records[2].key.clear();
  records[3].headers.clear();
  records[4].headers.push_back({"content-type", B("application/json")});
  Result<Bytes> batch = EncodeBatch(1234, 7, records);
  ASSERT_TRUE(batch.ok()) << batch.error();
  Result<std::vector<Record>> decoded = DecodeBatch(*batch);
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(*decoded, WithOffsets(records, 1234));
  Result<BatchHeader> h = VerifyBatch(*batch);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->base_offset, 1234u);
  EXPECT_EQ(h->epoch, 7u);
  EXPECT_EQ(h->record_count, 5u);
  EXPECT_EQ(h->last_offset(), 1238u);
  EXPECT_EQ(h->length, batch->size());
}

TEST(RecordBatch, PinnedLayout) {
  Record r = MakeRecord("k", "vv", 0x0102030405060708);
  r.headers.push_back({"n", B("w")});
  Result<Bytes> batch = EncodeBatch(0x1122334455667788 >> 4, 0xAABB, std::vector<Record>{r});
  ASSERT_TRUE(batch.ok());
  const Bytes& b = *batch;
  const size_t record_size = 4 + 8 + 4 + 1 + 4 + 2 + 2 + (2 + 1 + 4 + 1);
  ASSERT_EQ(b.size(), kBatchHeaderSize + record_size);
  EXPECT_EQ(LoadLE32(&b[0]), b.size());
  EXPECT_EQ(LoadLE32(&b[4]), Crc32c(ByteSpan(b).subspan(8)));
  EXPECT_EQ(LoadLE64(&b[8]), uint64_t{0x1122334455667788 >> 4});
  EXPECT_EQ(LoadLE64(&b[16]), 0xAABBu);
  EXPECT_EQ(LoadLE32(&b[24]), 1u);
  EXPECT_EQ(b[28], kBatchMagic);
  EXPECT_EQ(b[29], 0);
  EXPECT_EQ(b[30] | b[31], 0);
  EXPECT_EQ(LoadLE64(&b[32]), 0x0102030405060708u);
  EXPECT_EQ(LoadLE64(&b[40]), 0x0102030405060708u);
  const uint8_t* p = &b[48];
  EXPECT_EQ(LoadLE32(p), record_size - 4);
  EXPECT_EQ(LoadLE64(p + 4), 0x0102030405060708u);
  EXPECT_EQ(LoadLE32(p + 12), 1u);
  EXPECT_EQ(p[16], 'k');
  EXPECT_EQ(LoadLE32(p + 17), 2u);
  EXPECT_EQ(p[21], 'v');
  EXPECT_EQ(p[23] | p[24] << 8, 1);  // header count
  EXPECT_EQ(p[25] | p[26] << 8, 1);  // name length
  EXPECT_EQ(p[27], 'n');
  EXPECT_EQ(LoadLE32(p + 28), 1u);  // header value length
  EXPECT_EQ(p[32], 'w');
  EXPECT_EQ(EncodedRecordSize(r), record_size);
}

TEST(RecordBatch, StampsMissingTimestampsAndTracksMax) {
  std::vector<Record> records = {MakeRecord("a", "1", kNoTimestamp), MakeRecord("b", "2", 5000),
                                 MakeRecord("c", "3", kNoTimestamp)};
  Result<Bytes> batch = EncodeBatch(0, 0, records, 4000);
  ASSERT_TRUE(batch.ok());
  Result<std::vector<Record>> out = DecodeBatch(*batch);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0].timestamp_ms, 4000);
  EXPECT_EQ((*out)[1].timestamp_ms, 5000);
  EXPECT_EQ((*out)[2].timestamp_ms, 4000);
  EXPECT_EQ(VerifyBatch(*batch)->first_timestamp_ms, 4000);
  EXPECT_EQ(VerifyBatch(*batch)->max_timestamp_ms, 5000);
}

TEST(RecordBatch, EveryByteFlipIsDetected) {
  Result<Bytes> batch = EncodeBatch(10, 1, MakeRecords(3, "flip"));
  ASSERT_TRUE(batch.ok());
  for (size_t i = 0; i < batch->size(); ++i) {
    Bytes bad = *batch;
    bad[i] ^= 0x01;
    EXPECT_FALSE(VerifyBatch(bad).ok()) << "byte " << i;
    EXPECT_FALSE(DecodeBatch(bad).ok()) << "byte " << i;
  }
}

TEST(RecordBatch, EveryTruncationAndExtensionIsRejected) {
  Result<Bytes> batch = EncodeBatch(10, 1, MakeRecords(3, "cut"));
  ASSERT_TRUE(batch.ok());
  for (size_t n = 0; n < batch->size(); ++n) {
    EXPECT_FALSE(VerifyBatch(ByteSpan(*batch).first(n)).ok()) << n;
  }
  Bytes longer = *batch;
  longer.push_back(0);
  EXPECT_FALSE(VerifyBatch(longer).ok());
}

// A batch whose CRC is right but whose structure lies must still be rejected.
Bytes Reseal(Bytes b) {
  StoreLE32(&b[batch_field::kCrc], Crc32c(ByteSpan(b).subspan(batch_field::kCrcStart)));
  return b;
}

TEST(RecordBatch, RejectsStructuralLiesUnderAValidCrc) {
  Result<Bytes> good = EncodeBatch(0, 0, MakeRecords(2, "lie"));
  ASSERT_TRUE(good.ok());
  auto with = [&](size_t pos, uint32_t v) {
    Bytes b = *good;
    StoreLE32(&b[pos], v);
    return Reseal(b);
  };
  EXPECT_FALSE(VerifyBatch(with(batch_field::kRecordCount, 3)).ok()) << "count too high";
  EXPECT_FALSE(VerifyBatch(with(batch_field::kRecordCount, 1)).ok()) << "count too low";
  EXPECT_FALSE(VerifyBatch(with(batch_field::kRecordCount, 0)).ok()) << "empty batch";
  EXPECT_FALSE(VerifyBatch(with(kBatchHeaderSize, 0xFFFFFFF0)).ok()) << "record length";
  EXPECT_FALSE(VerifyBatch(with(kBatchHeaderSize + 12, 0xFFFF)).ok()) << "key length";
  EXPECT_FALSE(VerifyBatch(with(batch_field::kMaxTimestamp, 1)).ok()) << "max timestamp";
  Bytes magic = *good;
  magic[batch_field::kMagic] = 2;
  EXPECT_FALSE(VerifyBatch(Reseal(magic)).ok());
  Bytes flags = *good;
  flags[batch_field::kFlags] = 1;
  EXPECT_FALSE(VerifyBatch(Reseal(flags)).ok());
  Bytes offset = *good;
  StoreLE64(&offset[batch_field::kBaseOffset], kMaxOffset);
  EXPECT_FALSE(VerifyBatch(Reseal(offset)).ok());
}

TEST(RecordBatch, EncodeEnforcesLimitsWithClearErrors) {
  EXPECT_FALSE(EncodeBatch(0, 0, std::vector<Record>{}).ok());
  Record big_key = MakeRecord("", "v");
  big_key.key.resize(kMaxKeyBytes + 1);
  Result<Bytes> r = EncodeBatch(0, 0, std::vector<Record>{MakeRecord("a", "b"), big_key});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("record 1: key is 65537 bytes; the limit is 65536"), std::string::npos)
      << r.error();
  Record many_headers = MakeRecord("k", "v");
  many_headers.headers.assign(kMaxHeadersPerRecord + 1, {"h", {}});
  EXPECT_FALSE(EncodeBatch(0, 0, std::vector<Record>{many_headers}).ok());
  Record empty_name = MakeRecord("k", "v");
  empty_name.headers.push_back({"", B("x")});
  EXPECT_FALSE(EncodeBatch(0, 0, std::vector<Record>{empty_name}).ok());
  Record bad_ts = MakeRecord("k", "v", -5);
  EXPECT_FALSE(EncodeBatch(0, 0, std::vector<Record>{bad_ts}).ok());
  std::vector<Record> huge(3, MakeRecord("k", ""));
  for (Record& h : huge) h.value.resize(kMaxValueBytes);
  Result<Bytes> too_big = EncodeBatch(0, 0, huge);
  ASSERT_FALSE(too_big.ok());
  EXPECT_NE(too_big.error().find("exceeds the limit"), std::string::npos);
  EXPECT_FALSE(EncodeBatch(kMaxOffset - 1, 0, MakeRecords(2, "x")).ok());
}

TEST(RecordBatch, LargestRecordRoundTrips) {
  Record r = MakeRecord("", "");
  r.key.assign(kMaxKeyBytes, 'k');
  r.value.assign(kMaxValueBytes, 'v');
  r.headers.assign(kMaxHeadersPerRecord, {std::string(kMaxHeaderNameBytes, 'n'), Bytes(16, 1)});
  Result<Bytes> b = EncodeBatch(0, 0, std::vector<Record>{r});
  ASSERT_TRUE(b.ok()) << b.error();
  Result<std::vector<Record>> out = DecodeBatch(*b);
  ASSERT_TRUE(out.ok()) << out.error();
  EXPECT_EQ((*out)[0], r);
}

}  // namespace
}  // namespace dlog::log
