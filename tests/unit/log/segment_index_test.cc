#include "log/segment_index.h"

#include <gtest/gtest.h>

#include "base/rng.h"

namespace dlog::log {
namespace {

struct Batch {
  Offset base;
  uint64_t position;
};

// Batches of random sizes and record counts starting at `base`.
std::vector<Batch> RandomLayout(Rng& rng, Offset base, size_t n) {
  std::vector<Batch> out;
  uint64_t pos = 0;
  for (size_t i = 0; i < n; ++i) {
    out.push_back({base, pos});
    base += 1 + rng.Uniform(20);
    pos += 70 + rng.Uniform(3000);
  }
  return out;
}

// Naive oracle: the last batch with base <= offset, by linear scan.
uint64_t NaiveFloorPosition(const std::vector<Batch>& batches, Offset offset) {
  uint64_t p = 0;
  for (const Batch& b : batches) {
    if (b.base <= offset) p = b.position;
  }
  return p;
}

TEST(SegmentIndex, LookupNeverPassesTheBatchHoldingTheOffset) {
  SeededRng rng(11);
  const Offset base = 5000;
  std::vector<Batch> batches = RandomLayout(rng, base, 400);
  SegmentIndex index(base, 4096);
  for (const Batch& b : batches) index.OnBatch(b.base, b.position);
  EXPECT_GT(index.entries().size(), 10u);
  EXPECT_LT(index.entries().size(), batches.size() / 2);  // sparse
  const Offset end = batches.back().base + 5;
  for (Offset o = base; o < end; ++o) {
    const uint64_t p = index.Lookup(o);
    EXPECT_LE(p, NaiveFloorPosition(batches, o)) << o;
    // The indexed position is a batch start, and LookupOffset is that batch's base.
    auto it = std::find_if(batches.begin(), batches.end(),
                           [&](const Batch& b) { return b.position == p; });
    ASSERT_NE(it, batches.end()) << o;
    EXPECT_EQ(index.LookupOffset(o), it->base) << o;
    // Never more than one interval (plus one batch) of scanning from there.
    EXPECT_LT(NaiveFloorPosition(batches, o) - p, 4096u + 3070u) << o;
  }
  EXPECT_EQ(index.Lookup(base - 1), 0u);
}

TEST(SegmentIndex, EncodeDecodeRoundTrip) {
  SeededRng rng(12);
  std::vector<Batch> batches = RandomLayout(rng, 100, 200);
  SegmentIndex index(100, 1024);
  for (const Batch& b : batches) index.OnBatch(b.base, b.position);
  const uint64_t size = batches.back().position + 100;
  const Bytes file = index.Encode(size, batches.back().base + 1, 777);
  EXPECT_EQ(file.size(), kIndexHeaderSize + index.entries().size() * kIndexEntrySize + 4);
  EXPECT_EQ(LoadLE32(file.data()), kIndexMagic);
  SegmentIndex decoded(100, 1024);
  Result<SegmentIndex::Sealed> s = SegmentIndex::Decode(file, 100, 1024, &decoded);
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_EQ(s->data_size, size);
  EXPECT_EQ(s->next_offset, batches.back().base + 1);
  EXPECT_EQ(s->max_timestamp, 777);
  EXPECT_EQ(decoded.entries(), index.entries());
}

TEST(SegmentIndex, DecodeRejectsEveryCorruption) {
  SegmentIndex index(0, 100);
  for (uint64_t i = 0; i < 10; ++i) index.OnBatch(i * 3, i * 150);
  const Bytes file = index.Encode(2000, 30, 1);
  for (size_t i = 0; i < file.size(); ++i) {
    Bytes bad = file;
    bad[i] ^= 0x10;
    SegmentIndex out(0, 100);
    EXPECT_FALSE(SegmentIndex::Decode(bad, 0, 100, &out).ok()) << i;
  }
  for (size_t n = 0; n < file.size(); ++n) {
    SegmentIndex out(0, 100);
    EXPECT_FALSE(SegmentIndex::Decode(ByteSpan(file).first(n), 0, 100, &out).ok()) << n;
  }
  // Consistent CRC but positions beyond the data file or offsets beyond the end.
  SegmentIndex out(0, 100);
  EXPECT_FALSE(SegmentIndex::Decode(index.Encode(1000, 30, 1), 0, 100, &out).ok());
  EXPECT_FALSE(SegmentIndex::Decode(index.Encode(2000, 20, 1), 0, 100, &out).ok());
}

TEST(SegmentIndex, TruncateDropsEntriesAtAndAfterPosition) {
  SegmentIndex index(0, 100);
  for (uint64_t i = 0; i < 10; ++i) index.OnBatch(i * 3, i * 150);
  ASSERT_EQ(index.entries().size(), 9u);  // position 0 is never indexed
  index.TruncateAt(600);
  ASSERT_EQ(index.entries().size(), 3u);
  EXPECT_EQ(index.entries().back().position, 450u);
  index.OnBatch(12, 600);  // indexing resumes after the last kept entry
  EXPECT_EQ(index.entries().back().position, 600u);
}

}  // namespace
}  // namespace dlog::log
