#include "replica/wire.h"

#include <gtest/gtest.h>

namespace dlog::replica {
namespace {

raft::Message Append() {
  raft::Message m = raft::MakeMessage(raft::MessageType::kAppend, 2, 3);
  m.from = 1;
  m.index = 4;
  m.log_term = 2;
  m.commit = 3;
  m.entries.push_back(raft::Entry{3, 5, raft::EntryType::kNormal, Bytes{1, 2, 3}});
  return m;
}

TEST(Wire, FrameRoundTripsAcrossArbitrarySplits) {
  Bytes stream;
  for (GroupId g : {GroupId{1}, GroupId{77}}) {
    Bytes f = EncodeRaftFrame(g, Append());
    stream.insert(stream.end(), f.begin(), f.end());
  }
  for (size_t chunk : {size_t{1}, size_t{7}, size_t{16}, stream.size()}) {
    FrameReader r;
    std::vector<RaftFrame> got;
    for (size_t pos = 0; pos < stream.size(); pos += chunk) {
      r.Feed(ByteSpan(stream).subspan(pos, std::min(chunk, stream.size() - pos)));
      for (;;) {
        Result<std::optional<RaftFrame>> f = r.Next();
        ASSERT_TRUE(f.ok());
        if (!*f) break;
        got.push_back(std::move(**f));
      }
    }
    ASSERT_EQ(got.size(), 2u) << chunk;
    EXPECT_EQ(got[0].group, 1u);
    EXPECT_EQ(got[1].group, 77u);
    EXPECT_EQ(got[1].message, Append());
    EXPECT_EQ(r.buffered(), 0u);
  }
}

TEST(Wire, HeaderLayoutIsPinned) {
  Bytes f = EncodeRaftFrame(0x0102030405060708ull, Append());
  ASSERT_GE(f.size(), kFrameHeaderSize);
  EXPECT_EQ(f[0], kFrameVersion);
  EXPECT_EQ(f[1], kFrameKindRaft);
  EXPECT_EQ(LoadLE32(f.data() + 4), f.size() - kFrameHeaderSize);
  EXPECT_EQ(LoadLE64(f.data() + 8), 0x0102030405060708ull);
  EXPECT_EQ(Bytes(f.begin() + kFrameHeaderSize, f.end()), raft::EncodeMessage(Append()));
}

TEST(Wire, BadHeaderPoisonsTheStream) {
  for (size_t byte : {size_t{0}, size_t{1}, size_t{2}, size_t{7}}) {
    Bytes f = EncodeRaftFrame(1, Append());
    f[byte] ^= 0x80;  // version, kind, reserved, or a length beyond the bound
    FrameReader r;
    r.Feed(f);
    EXPECT_FALSE(r.Next().ok()) << byte;
    r.Feed(EncodeRaftFrame(1, Append()));
    EXPECT_FALSE(r.Next().ok()) << "stays poisoned";
  }
}

TEST(Wire, UndecodablePayloadIsDroppedAndCounted) {
  Bytes bad = EncodeRaftFrame(1, Append());
  bad[kFrameHeaderSize] = 99;  // raft message version
  Bytes good = EncodeRaftFrame(2, Append());
  FrameReader r;
  r.Feed(bad);
  r.Feed(good);
  Result<std::optional<RaftFrame>> f = r.Next();
  ASSERT_TRUE(f.ok() && f->has_value());
  EXPECT_EQ((*f)->group, 2u);
  EXPECT_EQ(r.bad_payloads(), 1u);
  EXPECT_EQ(r.frames(), 1u);
}

}  // namespace
}  // namespace dlog::replica
