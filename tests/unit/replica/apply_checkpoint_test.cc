#include "replica/apply_checkpoint.h"

#include <gtest/gtest.h>

namespace dlog::replica {
namespace {

TEST(ApplyCheckpoint, RoundTripsAndRejectsDamage) {
  ApplyCheckpoint c;
  c.applied = 77;
  c.end_offset = 1234;
  c.sessions = {{5, ProducerSession{3, 10, 12, 70}}, {9, ProducerSession{1, 0, 0, 2}}};
  Bytes b = EncodeApplyCheckpoint(c);
  EXPECT_EQ(b.size(), kCheckpointHeader + 2 * kCheckpointSessionSize + 4);
  Result<ApplyCheckpoint> d = DecodeApplyCheckpoint(b);
  ASSERT_TRUE(d.ok()) << d.error();
  EXPECT_EQ(d->applied, 77u);
  EXPECT_EQ(d->end_offset, 1234u);
  ASSERT_EQ(d->sessions.size(), 2u);
  EXPECT_EQ(d->sessions[0].first, 5u);
  EXPECT_EQ(d->sessions[0].second.next_sequence, 3u);
  EXPECT_EQ(d->sessions[0].second.last_last_offset, 12u);
  EXPECT_EQ(d->sessions[1].second.last_index, 2u);
  for (size_t i = 0; i < b.size(); ++i) {
    Bytes bad = b;
    bad[i] ^= 0x10;
    EXPECT_FALSE(DecodeApplyCheckpoint(bad).ok()) << "byte " << i;
  }
  EXPECT_FALSE(DecodeApplyCheckpoint(ByteSpan(b.data(), b.size() - 1)).ok());
}

TEST(ApplyCheckpoint, ProducerTableRestoresItsSessions) {
  ProducerTable t(10);
  t.Applied(1, 4, 10, 11, 20);
  t.Applied(2, 0, 12, 12, 21);
  ProducerTable u(10);
  u.Restore(t.Sessions());
  const ProducerSession* s = nullptr;
  EXPECT_EQ(u.Check(1, 4, &s), SequenceVerdict::kDuplicateOfLast);
  EXPECT_EQ(s->last_base_offset, 10u);
  EXPECT_EQ(u.Check(2, 1, &s), SequenceVerdict::kApply);
  ProducerTable small(1);  // the bound holds on restore too: the older session goes
  small.Restore(t.Sessions());
  EXPECT_EQ(small.size(), 1u);
  EXPECT_EQ(small.Check(1, 4, &s), SequenceVerdict::kApply);
  EXPECT_EQ(s, nullptr);
}

}  // namespace
}  // namespace dlog::replica
