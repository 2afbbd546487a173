#include "replica/producer_table.h"

#include <gtest/gtest.h>

#include "replica/produce_command.h"

namespace dlog::replica {
namespace {

TEST(ProducerTable, SequencesApplyInOrderOnce) {
  ProducerTable t(10);
  const ProducerSession* s = nullptr;
  EXPECT_EQ(t.Check(1, 5, &s), SequenceVerdict::kApply);  // unknown producer: starts here
  EXPECT_EQ(s, nullptr);
  t.Applied(1, 5, 10, 12, 100);
  EXPECT_EQ(t.Check(1, 5, &s), SequenceVerdict::kDuplicateOfLast);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->last_base_offset, 10u);
  EXPECT_EQ(s->last_last_offset, 12u);
  EXPECT_EQ(t.Check(1, 4, &s), SequenceVerdict::kDuplicate);
  EXPECT_EQ(t.Check(1, 7, &s), SequenceVerdict::kOutOfOrder);
  EXPECT_EQ(t.Check(1, 6, &s), SequenceVerdict::kApply);
}

TEST(ProducerTable, EvictsTheLeastRecentlyAppliedBeyondTheBound) {
  ProducerTable t(2);
  t.Applied(1, 0, 0, 0, 10);
  t.Applied(2, 0, 1, 1, 11);
  t.Applied(1, 1, 2, 2, 12);  // producer 1 is now the more recent
  t.Applied(3, 0, 3, 3, 13);  // evicts producer 2
  EXPECT_EQ(t.size(), 2u);
  const ProducerSession* s = nullptr;
  EXPECT_EQ(t.Check(2, 0, &s), SequenceVerdict::kApply);
  EXPECT_EQ(s, nullptr);
  EXPECT_EQ(t.Check(1, 1, &s), SequenceVerdict::kDuplicateOfLast);
}

TEST(ProduceCommand, RoundTripsAndRejectsDamage) {
  ProduceCommand c;
  c.producer_id = 9;
  c.sequence = 3;
  log::Record r;
  r.key = {1};
  r.value = {2, 3};
  r.timestamp_ms = 1234;
  c.records = {r, r};
  Result<Bytes> b = EncodeProduceCommand(c);
  ASSERT_TRUE(b.ok()) << b.error();
  Result<ProduceCommand> d = DecodeProduceCommand(*b);
  ASSERT_TRUE(d.ok()) << d.error();
  EXPECT_EQ(d->producer_id, 9u);
  EXPECT_EQ(d->sequence, 3u);
  ASSERT_EQ(d->records.size(), 2u);
  EXPECT_EQ(d->records[1].value, r.value);
  EXPECT_EQ(d->records[1].timestamp_ms, 1234);

  Bytes flipped = *b;
  flipped.back() ^= 1;  // the batch CRC catches it
  EXPECT_FALSE(DecodeProduceCommand(flipped).ok());
  Bytes version = *b;
  version[0] = 2;
  EXPECT_FALSE(DecodeProduceCommand(version).ok());
  EXPECT_FALSE(DecodeProduceCommand(ByteSpan(b->data(), 10)).ok());

  c.records[0].timestamp_ms = log::kNoTimestamp;  // the leader must stamp first
  EXPECT_FALSE(EncodeProduceCommand(c).ok());
}

}  // namespace
}  // namespace dlog::replica
