#include "api/messages.h"

#include <gtest/gtest.h>

namespace dlog::api {
namespace {

Bytes B(std::string_view s) { return Bytes(s.begin(), s.end()); }

log::Record Rec(std::string key, std::string value, int64_t ts, uint64_t offset = 0) {
  log::Record r;
  r.key = B(key);
  r.value = B(value);
  r.timestamp_ms = ts;
  r.offset = offset;
  r.headers.push_back({"content-type", B("application/json")});
  return r;
}

std::vector<Request> SampleRequests() {
  ProduceRequest produce{"app/users", PartitionSelector::kExplicit, 3, Acks::kAll, {}};
  produce.records = {Rec("k1", R"({"a":1})", 1700000000000), Rec("", "", log::kNoTimestamp)};
  ProduceRequest hashed{"app/users", PartitionSelector::kKeyHash, 0, Acks::kNone, {}};
  hashed.records = {Rec("same", "1", 5), Rec("same", "2", 6)};
  return {CreateLogRequest{"app/users", 8, 3},
          DeleteLogRequest{"app/users"},
          ListLogsRequest{""},
          ListLogsRequest{"app"},
          produce,
          hashed,
          ConsumeRequest{"app/users", 2, 12345, 100, 65536},
          QueryRequest{"SELECT * FROM app/users WHERE a.b >= 3 LIMIT 10"},
          StatusRequest{}};
}

std::vector<Response> SampleResponses() {
  ConsumeResponse consume{1, 99, 4, {Rec("k", R"({"x":"y"})", 17, 4), Rec("k2", "v", 18, 5)}};
  ErrorResponse bad_query = MakeError(ErrorCode::kBadQuery, "expected FROM at column 10");
  bad_query.position = 10;
  ErrorResponse not_leader = MakeError(ErrorCode::kNotLeader, "partition 0 is led elsewhere");
  not_leader.leader_name = "node-b";
  not_leader.leader_address = "10.0.0.2:9092";
  return {CreateLogResponse{{"app/users", 8, 3, 1700000000000}},
          DeleteLogResponse{},
          ListLogsResponse{{{"a/b", 1, 1, 5}, {"a/c", 2, 3, 6}}},
          ListLogsResponse{},
          ProduceResponse{3, 100, 109},
          consume,
          ConsumeResponse{0, 0, 0, {}},
          QueryResponse{10, 2, true, {R"({"a":1})", R"({"a":2})"}},
          StatusResponse{"node-a",
                         "10.0.0.1:9092",
                         "0.1.0",
                         1234,
                         7,
                         {{"node-a", "10.0.0.1", "leader"}, {"node-b", "10.0.0.2", "follower"}}},
          MakeError(ErrorCode::kUnknownLog, "no log app/nope; ListLogs shows the logs"),
          bad_query,
          not_leader,
          MakeError(ErrorCode::kUnauthorized, "client role may not delete logs"),
          MakeError(ErrorCode::kTooLarge, "x"),
          MakeError(ErrorCode::kInternal, "y")};
}

Frame ToFrame(const Bytes& encoded) {
  FrameReader reader;
  EXPECT_TRUE(reader.Feed(encoded).ok());
  auto f = reader.Next();
  EXPECT_TRUE(f.ok() && f->has_value());
  return **f;
}

TEST(MessagesTest, RequestsRoundTrip) {
  uint32_t cid = 1;
  for (const Request& req : SampleRequests()) {
    Result<Bytes> enc = EncodeRequestFrame(cid, req);
    ASSERT_TRUE(enc.ok()) << enc.status().message();
    Frame f = ToFrame(*enc);
    EXPECT_EQ(f.type, TypeOf(req));
    EXPECT_EQ(f.correlation_id, cid);
    Result<Request> dec = DecodeRequest(f);
    ASSERT_TRUE(dec.ok()) << dec.status().message();
    EXPECT_EQ(*dec, req);
    ++cid;
  }
}

TEST(MessagesTest, ResponsesRoundTrip) {
  for (const Response& resp : SampleResponses()) {
    Result<Bytes> enc = EncodeResponseFrame(77, resp);
    ASSERT_TRUE(enc.ok()) << enc.status().message();
    Frame f = ToFrame(*enc);
    EXPECT_EQ(f.type, TypeOf(resp));
    Result<Response> dec = DecodeResponse(f);
    ASSERT_TRUE(dec.ok()) << dec.status().message();
    EXPECT_EQ(*dec, resp);
  }
}

TEST(MessagesTest, TypeCodesArePinned) {
  EXPECT_EQ(TypeOf(Request(ProduceRequest{})), MessageType::kProduce);
  EXPECT_EQ(uint8_t(TypeOf(Request(StatusRequest{}))), 0x07);
  EXPECT_EQ(uint8_t(TypeOf(Response(QueryResponse{}))), 0x86);
  EXPECT_EQ(uint8_t(TypeOf(Response(ErrorResponse{}))), 0xFF);
}

TEST(MessagesTest, ConsumeRequestBodyLayoutIsPinned) {
  Result<Bytes> body = EncodeBody(Request(ConsumeRequest{"a/b", 2, 0x0102, 10, 20}));
  ASSERT_TRUE(body.ok());
  Bytes expected = {0, 3, 'a', '/', 'b', 0, 0, 0,  2, 0, 0, 0, 0,
                    0, 0, 1,   2,   0,   0, 0, 10, 0, 0, 0, 20};
  EXPECT_EQ(*body, expected);
}

// The example in docs/PROTOCOL.md, byte for byte.
TEST(MessagesTest, DocumentedConsumeFrame) {
  Result<Bytes> frame = EncodeRequestFrame(7, Request(ConsumeRequest{"a/b", 2, 258, 10, 20}));
  ASSERT_TRUE(frame.ok());
  Bytes expected = {0, 0, 0, 0x21, 1, 5, 0, 0, 0, 0, 0, 7, 0, 3,  'a', '/', 'b', 0,   0,
                    0, 2, 0, 0,    0, 0, 0, 0, 1, 2, 0, 0, 0, 10, 0,   0,   0,   0x14};
  EXPECT_EQ(*frame, expected);
}

// Every proper prefix of every body, and every body with a byte appended, fails.
TEST(MessagesTest, TruncatedOrPaddedBodiesAreRejected) {
  for (const Request& req : SampleRequests()) {
    Bytes body = *EncodeBody(req);
    for (size_t n = 0; n < body.size(); ++n) {
      Frame f{TypeOf(req), 1, Bytes(body.begin(), body.begin() + n)};
      EXPECT_FALSE(DecodeRequest(f).ok()) << MessageTypeName(f.type) << " prefix " << n;
    }
    Frame padded{TypeOf(req), 1, body};
    padded.body.push_back(0);
    Result<Request> r = DecodeRequest(padded);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("InvalidRequest"), std::string::npos);
  }
  for (const Response& resp : SampleResponses()) {
    Bytes body = *EncodeBody(resp);
    for (size_t n = 0; n < body.size(); ++n) {
      Frame f{TypeOf(resp), 1, Bytes(body.begin(), body.begin() + n)};
      EXPECT_FALSE(DecodeResponse(f).ok()) << MessageTypeName(f.type) << " prefix " << n;
    }
    Frame padded{TypeOf(resp), 1, body};
    padded.body.push_back(0);
    EXPECT_FALSE(DecodeResponse(padded).ok());
  }
}

TEST(MessagesTest, DirectionIsChecked) {
  Frame f{MessageType::kStatusResponse, 1, *EncodeBody(Response(StatusResponse{}))};
  EXPECT_FALSE(DecodeRequest(f).ok());
  Frame g{MessageType::kStatus, 1, {}};
  EXPECT_FALSE(DecodeResponse(g).ok());
}

Bytes ProduceBody(uint8_t selector, uint32_t partition, uint8_t acks, uint32_t count,
                  const std::vector<std::string>& keys, int64_t ts = 1,
                  const std::string& header_name = "h") {
  Bytes out = {0, 3, 'a', '/', 'b', selector};
  auto u32 = [&](uint32_t v) {
    uint8_t b[4];
    StoreBE32(b, v);
    out.insert(out.end(), b, b + 4);
  };
  u32(partition);
  out.push_back(acks);
  u32(count);
  for (const std::string& k : keys) {
    uint8_t t[8];
    StoreBE64(t, uint64_t(ts));
    out.insert(out.end(), t, t + 8);
    u32(uint32_t(k.size()));
    out.insert(out.end(), k.begin(), k.end());
    u32(1);
    out.push_back('v');
    out.insert(out.end(), {0, 1, 0, uint8_t(header_name.size())});
    out.insert(out.end(), header_name.begin(), header_name.end());
    u32(0);
  }
  return out;
}

bool ProduceDecodes(const Bytes& body) {
  return DecodeRequest(Frame{MessageType::kProduce, 1, body}).ok();
}

TEST(MessagesTest, ProduceFieldChecks) {
  EXPECT_TRUE(ProduceDecodes(ProduceBody(0, 5, 2, 2, {"x", "y"})));
  EXPECT_TRUE(ProduceDecodes(ProduceBody(1, 0, 1, 2, {"x", "x"})));
  EXPECT_FALSE(ProduceDecodes(ProduceBody(2, 0, 1, 1, {"x"})));           // unknown selector
  EXPECT_FALSE(ProduceDecodes(ProduceBody(0, 0, 3, 1, {"x"})));           // unknown acks
  EXPECT_FALSE(ProduceDecodes(ProduceBody(1, 4, 1, 1, {"x"})));           // key-hash, partition set
  EXPECT_FALSE(ProduceDecodes(ProduceBody(1, 0, 1, 2, {"x", "y"})));      // key-hash, keys differ
  EXPECT_FALSE(ProduceDecodes(ProduceBody(0, 0, 1, 0, {})));              // no records
  EXPECT_FALSE(ProduceDecodes(ProduceBody(0, 0, 1, 3, {"x", "y"})));      // count exceeds records
  EXPECT_FALSE(ProduceDecodes(ProduceBody(0, 0, 1, 0xFFFFFFFF, {"x"})));  // count bound
  EXPECT_TRUE(ProduceDecodes(ProduceBody(0, 0, 1, 1, {"x"}, -1)));        // unset timestamp
  EXPECT_FALSE(ProduceDecodes(ProduceBody(0, 0, 1, 1, {"x"}, -2)));       // negative timestamp
  EXPECT_FALSE(ProduceDecodes(ProduceBody(0, 0, 1, 1, {"x"}, 1, "")));    // empty header name
}

TEST(MessagesTest, ErrorFieldChecks) {
  auto decodes = [](uint16_t code, uint32_t position, std::string leader) {
    Bytes body = {uint8_t(code >> 8), uint8_t(code), 0, 1, 'm'};
    uint8_t p[4];
    StoreBE32(p, position);
    body.insert(body.end(), p, p + 4);
    body.insert(body.end(), {0, uint8_t(leader.size())});
    body.insert(body.end(), leader.begin(), leader.end());
    body.insert(body.end(), {0, 0});
    return DecodeResponse(Frame{MessageType::kError, 1, body}).ok();
  };
  EXPECT_TRUE(decodes(1, 0, ""));
  EXPECT_FALSE(decodes(0, 0, ""));   // code 0 unknown
  EXPECT_FALSE(decodes(10, 0, ""));  // past the last code
  EXPECT_TRUE(decodes(2, 7, ""));    // BadQuery has a position
  EXPECT_FALSE(decodes(1, 7, ""));   // others do not
  EXPECT_TRUE(decodes(3, 0, "n"));   // NotLeader has a hint
  EXPECT_FALSE(decodes(6, 0, "n"));  // others do not
}

TEST(MessagesTest, QueryResponseChecks) {
  Bytes body(8 + 8 + 1 + 4);
  body[7] = 1;   // scanned 1
  body[15] = 2;  // not_object 2 > scanned
  EXPECT_FALSE(DecodeResponse(Frame{MessageType::kQueryResponse, 1, body}).ok());
  body[15] = 1;
  EXPECT_TRUE(DecodeResponse(Frame{MessageType::kQueryResponse, 1, body}).ok());
  body[16] = 2;  // truncated is a boolean
  EXPECT_FALSE(DecodeResponse(Frame{MessageType::kQueryResponse, 1, body}).ok());
}

TEST(MessagesTest, OverlongNamesAndQueriesAreRefused) {
  std::string long_name(kMaxNameBytes + 1, 'a');
  EXPECT_FALSE(EncodeBody(Request(DeleteLogRequest{long_name})).ok());
  EXPECT_TRUE(EncodeBody(Request(DeleteLogRequest{long_name.substr(1)})).ok());
  // A name length over the bound is rejected by the decoder too.
  Bytes body = {0x01, 0x00};
  body.resize(2 + 256, 'a');
  EXPECT_FALSE(DecodeRequest(Frame{MessageType::kDeleteLog, 1, body}).ok());
  EXPECT_FALSE(EncodeBody(Request(QueryRequest{std::string(kMaxQueryBytes + 1, ' ')})).ok());
}

TEST(MessagesTest, EncodeRefusesWhatDecodeWouldReject) {
  ProduceRequest empty{"a/b", PartitionSelector::kExplicit, 0, Acks::kAll, {}};
  EXPECT_FALSE(EncodeBody(Request(empty)).ok());
  ProduceRequest mixed{
      "a/b", PartitionSelector::kKeyHash, 0, Acks::kAll, {Rec("a", "1", 1), Rec("b", "1", 1)}};
  EXPECT_FALSE(EncodeBody(Request(mixed)).ok());
  ErrorResponse e = MakeError(ErrorCode::kUnknownLog, "x");
  e.position = 3;
  EXPECT_FALSE(EncodeBody(Response(e)).ok());
  ProduceRequest big{"a/b", PartitionSelector::kExplicit, 0, Acks::kAll, {Rec("k", "v", 1)}};
  big.records[0].value.resize(2000);
  EXPECT_FALSE(EncodeRequestFrame(1, big, 1024).ok());
}

TEST(MessagesTest, PartitionForKeyIsFnv1a) {
  // FNV-1a 32 of "" is the offset basis 0x811c9dc5; of "a" is 0xe40c292c.
  EXPECT_EQ(PartitionForKey({}, 0xFFFFFFFF), 0x811c9dc5u % 0xFFFFFFFFu);
  EXPECT_EQ(PartitionForKey(AsBytes("a"), 0xFFFFFFFF), 0xe40c292cu);
  EXPECT_LT(PartitionForKey(AsBytes("user-42"), 7), 7u);
}

}  // namespace
}  // namespace dlog::api
