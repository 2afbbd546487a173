#include "raft/message.h"

#include <gtest/gtest.h>

#include "raft/membership.h"

namespace dlog::raft {
namespace {

Message SampleAppend() {
  Membership voters = *Membership::Make({3, 1, 2});
  Message m = MakeMessage(MessageType::kAppend, 2, 7);
  m.from = 1;
  m.log_term = 5;
  m.index = 41;
  m.commit = 40;
  m.entries = {Entry{6, 42, EntryType::kNormal, {1, 2, 3}},
               Entry{7, 43, EntryType::kMembership, voters.Encode()},
               Entry{7, 44, EntryType::kNormal, {}}};
  return m;
}

Message Header(MessageType type, bool reject) {
  Message m = MakeMessage(type, 4, 3, reject);
  m.from = 9;
  m.log_term = 2;
  m.index = 10;
  m.commit = 8;
  m.reject_hint = 6;
  return m;
}

TEST(MessageTest, RoundTripsEveryType) {
  Message app = SampleAppend();
  Result<Message> back = DecodeMessage(EncodeMessage(app));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(*back, app);
  for (uint8_t t = 2; t <= 8; ++t) {
    Message m = Header(MessageType(t), t % 2 == 0);
    Result<Message> got = DecodeMessage(EncodeMessage(m));
    ASSERT_TRUE(got.ok()) << MessageTypeName(m.type) << ": " << got.error();
    EXPECT_EQ(*got, m);
  }
}

TEST(MessageTest, PinnedLayout) {
  Message m = MakeMessage(MessageType::kAppendResponse, 3, 4, true);
  m.from = 0x0102;
  m.log_term = 2;
  m.index = 5;
  m.commit = 6;
  m.reject_hint = 7;
  Bytes wire = EncodeMessage(m);
  ASSERT_EQ(wire.size(), kMessageHeaderSize);
  EXPECT_EQ(wire[0], kMessageVersion);
  EXPECT_EQ(wire[1], 2);
  EXPECT_EQ(wire[2], 1);  // reject
  EXPECT_EQ(LoadLE64(&wire[8]), 0x0102u);
  EXPECT_EQ(LoadLE64(&wire[16]), 3u);
  EXPECT_EQ(LoadLE64(&wire[24]), 4u);
  EXPECT_EQ(LoadLE64(&wire[32]), 2u);
  EXPECT_EQ(LoadLE64(&wire[40]), 5u);
  EXPECT_EQ(LoadLE64(&wire[48]), 6u);
  EXPECT_EQ(LoadLE64(&wire[56]), 7u);
  Bytes app = EncodeMessage(SampleAppend());
  EXPECT_EQ(LoadLE32(&app[4]), 3u);
  EXPECT_EQ(LoadLE64(&app[64]), 6u);   // first entry's term
  EXPECT_EQ(LoadLE64(&app[72]), 42u);  // and index
  EXPECT_EQ(LoadLE32(&app[84]), 3u);   // and data length
}

TEST(MessageTest, EveryTruncationIsRejected) {
  Bytes wire = EncodeMessage(SampleAppend());
  for (size_t n = 0; n < wire.size(); ++n) {
    EXPECT_FALSE(DecodeMessage(ByteSpan(wire.data(), n)).ok()) << n;
  }
  wire.push_back(0);
  EXPECT_FALSE(DecodeMessage(wire).ok());
}

// Each mutation of a valid Append that must be refused.
TEST(MessageTest, RejectsMalformedFields) {
  const Bytes good = EncodeMessage(SampleAppend());
  auto rejected = [&](auto mutate) {
    Bytes w = good;
    mutate(w);
    return !DecodeMessage(w).ok();
  };
  EXPECT_TRUE(rejected([](Bytes& w) { w[0] = 2; }));                       // version
  EXPECT_TRUE(rejected([](Bytes& w) { w[1] = 0; }));                       // type
  EXPECT_TRUE(rejected([](Bytes& w) { w[1] = 9; }));                       // type
  EXPECT_TRUE(rejected([](Bytes& w) { w[2] = 1; }));                       // reject on a request
  EXPECT_TRUE(rejected([](Bytes& w) { w[2] = 2; }));                       // unknown flag
  EXPECT_TRUE(rejected([](Bytes& w) { w[3] = 1; }));                       // reserved
  EXPECT_TRUE(rejected([](Bytes& w) { StoreLE32(&w[4], 4); }));            // count
  EXPECT_TRUE(rejected([](Bytes& w) { StoreLE64(&w[8], 0); }));            // from 0
  EXPECT_TRUE(rejected([](Bytes& w) { StoreLE64(&w[16], 0); }));           // to 0
  EXPECT_TRUE(rejected([](Bytes& w) { StoreLE64(&w[24], 0); }));           // term 0
  EXPECT_TRUE(rejected([](Bytes& w) { StoreLE64(&w[32], 8); }));           // log_term > term
  EXPECT_TRUE(rejected([](Bytes& w) { StoreLE64(&w[40], 40); }));          // not index + 1
  EXPECT_TRUE(rejected([](Bytes& w) { StoreLE64(&w[40], UINT64_MAX); }));  // overflow
  EXPECT_TRUE(rejected([](Bytes& w) { StoreLE64(&w[64], 8); }));           // entry term > term
  EXPECT_TRUE(rejected([](Bytes& w) { StoreLE64(&w[64], 4); }));           // below log_term
  EXPECT_TRUE(rejected([](Bytes& w) { w[80] = 2; }));                      // entry type
  EXPECT_TRUE(rejected([](Bytes& w) { w[81] = 1; }));                      // entry reserved
  EXPECT_TRUE(rejected([](Bytes& w) { StoreLE32(&w[84], 4); }));           // entry length
  EXPECT_TRUE(rejected([](Bytes& w) { w[64 + 27 + 24 + 4] ^= 1; }));       // first voter id 0
}

TEST(MessageTest, EntriesOnlyInAppend) {
  Message m = SampleAppend();
  m.type = MessageType::kHeartbeat;
  Bytes w = EncodeMessage(m);
  EXPECT_FALSE(DecodeMessage(w).ok());
}

TEST(MembershipTest, EncodesAndChangesOneAtATime) {
  Membership m = *Membership::Make({5, 1, 3});
  EXPECT_EQ(m.voters(), (std::vector<NodeId>{1, 3, 5}));
  EXPECT_EQ(m.Quorum(), 2u);
  EXPECT_EQ(*Membership::Decode(m.Encode()), m);
  Membership bigger = *m.With({MembershipChange::Kind::kAdd, 4});
  EXPECT_EQ(bigger.voters(), (std::vector<NodeId>{1, 3, 4, 5}));
  EXPECT_EQ(bigger.Quorum(), 3u);
  EXPECT_FALSE(m.With({MembershipChange::Kind::kAdd, 3}).ok());
  EXPECT_FALSE(m.With({MembershipChange::Kind::kRemove, 2}).ok());
  EXPECT_FALSE(Membership::Make({1, 1}).ok());
  EXPECT_FALSE(Membership::Make({0, 1}).ok());
  Membership one = *Membership::Make({1});
  EXPECT_FALSE(one.With({MembershipChange::Kind::kRemove, 1}).ok());
  Bytes unsorted = Membership::Make({1, 2})->Encode();
  std::swap(unsorted[4], unsorted[12]);
  EXPECT_FALSE(Membership::Decode(unsorted).ok());
}

}  // namespace
}  // namespace dlog::raft
