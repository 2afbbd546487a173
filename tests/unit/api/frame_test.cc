#include "api/frame.h"

#include <gtest/gtest.h>

#include <random>

namespace dlog::api {
namespace {

Bytes Encoded(MessageType type, uint32_t cid, Bytes body) {
  Result<Bytes> b = EncodeFrame(Frame{type, cid, std::move(body)});
  EXPECT_TRUE(b.ok()) << b.status().message();
  return *b;
}

TEST(FrameTest, LayoutIsPinned) {
  Bytes b = Encoded(MessageType::kQuery, 0x01020304, {0xAA, 0xBB});
  Bytes expected = {0, 0, 0, 10, 1, 0x06, 0, 0, 1, 2, 3, 4, 0xAA, 0xBB};
  EXPECT_EQ(b, expected);
}

TEST(FrameTest, WholeFramesInOneChunk) {
  Bytes stream = Encoded(MessageType::kStatus, 1, {});
  Bytes second = Encoded(MessageType::kQuery, 2, {1, 2, 3});
  stream.insert(stream.end(), second.begin(), second.end());
  FrameReader reader;
  ASSERT_TRUE(reader.Feed(stream).ok());
  auto f1 = reader.Next();
  ASSERT_TRUE(f1.ok());
  ASSERT_TRUE(f1->has_value());
  EXPECT_EQ((*f1)->type, MessageType::kStatus);
  EXPECT_EQ((*f1)->correlation_id, 1u);
  EXPECT_TRUE((*f1)->body.empty());
  auto f2 = reader.Next();
  ASSERT_TRUE(f2.ok() && f2->has_value());
  EXPECT_EQ((*f2)->body, (Bytes{1, 2, 3}));
  auto f3 = reader.Next();
  ASSERT_TRUE(f3.ok());
  EXPECT_FALSE(f3->has_value());
  EXPECT_EQ(reader.buffered_bytes(), 0u);
  EXPECT_EQ(reader.frames(), 2u);
}

TEST(FrameTest, ArbitraryChunkingGivesTheSameFrames) {
  std::mt19937 rng(5);
  std::vector<Frame> sent;
  Bytes stream;
  for (uint32_t i = 0; i < 50; ++i) {
    Frame f{i % 2 ? MessageType::kProduce : MessageType::kConsumeResponse, i, {}};
    f.body.resize(rng() % 300);
    for (auto& b : f.body) b = uint8_t(rng());
    Bytes enc = Encoded(f.type, f.correlation_id, f.body);
    stream.insert(stream.end(), enc.begin(), enc.end());
    sent.push_back(std::move(f));
  }
  for (int trial = 0; trial < 20; ++trial) {
    FrameReader reader;
    std::vector<Frame> got;
    size_t pos = 0;
    while (pos < stream.size()) {
      size_t n = std::min<size_t>(stream.size() - pos, 1 + rng() % (trial < 5 ? 3 : 200));
      ASSERT_TRUE(reader.Feed(ByteSpan(stream).subspan(pos, n)).ok());
      pos += n;
      for (;;) {
        auto f = reader.Next();
        ASSERT_TRUE(f.ok()) << f.status().message();
        if (!f->has_value()) break;
        got.push_back(std::move(**f));
      }
    }
    EXPECT_EQ(got, sent);
    EXPECT_EQ(reader.buffered_bytes(), 0u);
  }
}

Status FirstError(const Bytes& stream, size_t max = kDefaultMaxFrameBytes) {
  FrameReader reader(max);
  EXPECT_TRUE(reader.Feed(stream).ok());
  for (int i = 0; i < 10; ++i) {
    auto f = reader.Next();
    if (!f.ok()) {
      // Sticky: later calls fail alike, and Feed is refused.
      EXPECT_FALSE(reader.Next().ok());
      EXPECT_FALSE(reader.Feed(Bytes{1}).ok());
      EXPECT_TRUE(reader.failed());
      return f.status();
    }
    if (!f->has_value()) break;
  }
  return Status::Ok();
}

TEST(FrameTest, LengthShorterThanHeaderIsRejected) {
  Bytes b = {0, 0, 0, 7, 1, 0x07, 0, 0, 0, 0, 0, 0};
  Status s = FirstError(b);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("shorter than"), std::string::npos) << s.message();
}

TEST(FrameTest, OversizedFrameIsRejectedFromItsLengthAlone) {
  Bytes b = {0x00, 0x01, 0x00, 0x01};  // 65537 > limit of 65536, nothing else sent
  Status s = FirstError(b, 65536);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("TooLarge"), std::string::npos) << s.message();
  // Exactly at the limit is fine (waits for the body).
  EXPECT_TRUE(FirstError(Bytes{0x00, 0x01, 0x00, 0x00}, 65536).ok());
}

TEST(FrameTest, EncodeRefusesOversizedFrames) {
  Frame f{MessageType::kProduce, 1, Bytes(100)};
  EXPECT_FALSE(EncodeFrame(f, 107).ok());
  EXPECT_TRUE(EncodeFrame(f, 108).ok());
}

TEST(FrameTest, WrongVersionIsRejected) {
  Bytes b = Encoded(MessageType::kStatus, 1, {});
  b[frame_field::kVersion] = 2;
  Status s = FirstError(b);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("version"), std::string::npos);
}

TEST(FrameTest, UnknownTypeIsRejected) {
  for (uint8_t t : {0x00, 0x08, 0x80, 0x88, 0xFE}) {
    Bytes b = Encoded(MessageType::kStatus, 1, {});
    b[frame_field::kType] = t;
    EXPECT_FALSE(FirstError(b).ok()) << int(t);
  }
}

TEST(FrameTest, NonZeroFlagsAreRejected) {
  for (size_t i : {frame_field::kFlags, frame_field::kFlags + 1}) {
    Bytes b = Encoded(MessageType::kStatus, 1, {});
    b[i] = 0x40;
    EXPECT_FALSE(FirstError(b).ok());
  }
}

TEST(FrameTest, BadHeaderIsRejectedBeforeTheBodyArrives) {
  Bytes b = Encoded(MessageType::kQuery, 1, Bytes(1000));
  b[frame_field::kVersion] = 9;
  b.resize(kFrameHeaderSize);
  EXPECT_FALSE(FirstError(b).ok());
}

TEST(FrameTest, TruncatedFrameWaits) {
  Bytes b = Encoded(MessageType::kQuery, 1, Bytes(10));
  b.pop_back();
  FrameReader reader;
  ASSERT_TRUE(reader.Feed(b).ok());
  auto f = reader.Next();
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(f->has_value());
  EXPECT_EQ(reader.buffered_bytes(), b.size());
}

TEST(FrameTest, FeedRefusesMoreWhileAWholeFrameIsBuffered) {
  FrameReader reader(64);
  Bytes frame = Encoded(MessageType::kQuery, 1, Bytes(56));  // exactly the limit
  ASSERT_TRUE(reader.Feed(frame).ok());
  EXPECT_FALSE(reader.Feed(Bytes{0}).ok());  // not drained
  EXPECT_FALSE(reader.failed());
  auto f = reader.Next();
  ASSERT_TRUE(f.ok() && f->has_value());
  EXPECT_TRUE(reader.Feed(frame).ok());
}

TEST(FrameTest, KnownTypesAreExactlyTheEnum) {
  int known = 0;
  for (int t = 0; t < 256; ++t) known += IsKnownMessageType(uint8_t(t));
  EXPECT_EQ(known, 15);
}

}  // namespace
}  // namespace dlog::api
