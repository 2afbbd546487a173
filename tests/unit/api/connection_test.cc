#include "api/connection.h"

#include <gtest/gtest.h>

namespace dlog::api {
namespace {

log::Record Rec(const std::string& v) {
  log::Record r;
  r.value = Bytes(v.begin(), v.end());
  return r;
}

// Moves bytes between the two ends in small chunks.
std::vector<IncomingRequest> ToServer(ServerConnection& server, const Bytes& bytes) {
  std::vector<IncomingRequest> out;
  for (size_t i = 0; i < bytes.size(); i += 5) {
    server.OnBytes(ByteSpan(bytes).subspan(i, std::min<size_t>(5, bytes.size() - i)), &out);
  }
  return out;
}

TEST(ConnectionTest, PipelinedRequestsAndResponsesMatchUp) {
  ClientConnection client;
  ServerConnection server;
  Bytes wire;
  std::vector<uint32_t> ids;
  std::vector<Request> requests = {StatusRequest{}, QueryRequest{"SELECT * FROM a/b"},
                                   DeleteLogRequest{"a/b"}};
  for (const Request& r : requests) {
    uint32_t id = 0;
    Result<Bytes> frame = client.Send(r, &id);
    ASSERT_TRUE(frame.ok());
    wire.insert(wire.end(), frame->begin(), frame->end());
    ids.push_back(id);
  }
  EXPECT_EQ(client.pending(), 3u);
  std::vector<IncomingRequest> got = ToServer(server, wire);
  ASSERT_EQ(got.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(got[i].correlation_id, ids[i]);
    EXPECT_EQ(got[i].request, requests[i]);
  }
  // Answered out of order.
  server.Respond(ids[2], DeleteLogResponse{});
  server.Respond(ids[0], StatusResponse{"n", "10.0.0.1:9092", "0.1.0", 5, 1, {}});
  server.Respond(ids[1], MakeError(ErrorCode::kUnknownLog, "no log a/b"));
  std::vector<IncomingResponse> responses;
  ASSERT_TRUE(client.OnBytes(server.TakeOutput(), &responses).ok());
  ASSERT_EQ(responses.size(), 3u);
  EXPECT_EQ(responses[0].correlation_id, ids[2]);
  EXPECT_TRUE(std::holds_alternative<DeleteLogResponse>(responses[0].response));
  EXPECT_EQ(responses[2].correlation_id, ids[1]);
  EXPECT_EQ(std::get<ErrorResponse>(responses[2].response).code, ErrorCode::kUnknownLog);
  EXPECT_EQ(client.pending(), 0u);
  EXPECT_EQ(server.in_flight(), 0u);
}

TEST(ConnectionTest, UndecodableBodyIsAnsweredAndTheConnectionContinues) {
  ServerConnection server;
  Bytes bad = *EncodeFrame(Frame{MessageType::kDeleteLog, 9, {0, 5, 'a'}});  // short name
  Bytes good = *EncodeRequestFrame(10, Request(StatusRequest{}));
  bad.insert(bad.end(), good.begin(), good.end());
  std::vector<IncomingRequest> got = ToServer(server, bad);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].correlation_id, 10u);
  EXPECT_FALSE(server.closing());
  EXPECT_EQ(server.invalid_requests(), 1u);
  FrameReader reader;
  ASSERT_TRUE(reader.Feed(server.TakeOutput()).ok());
  auto f = reader.Next();
  ASSERT_TRUE(f.ok() && f->has_value());
  EXPECT_EQ((*f)->correlation_id, 9u);
  Result<Response> r = DecodeResponse(**f);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<ErrorResponse>(*r).code, ErrorCode::kInvalidRequest);
}

TEST(ConnectionTest, BadFrameClosesWithAnErrorTheClientSees) {
  ServerConnection server(1024);
  Bytes huge = {0, 0, 0x10, 0};  // length 4096 > 1024
  std::vector<IncomingRequest> got;
  server.OnBytes(huge, &got);
  EXPECT_TRUE(got.empty());
  EXPECT_TRUE(server.closing());
  EXPECT_FALSE(server.wants_input());

  ClientConnection client;
  std::vector<IncomingResponse> responses;
  Status s = client.OnBytes(server.TakeOutput(), &responses);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(client.failed());
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(std::get<ErrorResponse>(responses[0].response).code, ErrorCode::kTooLarge);
  uint32_t id;
  EXPECT_FALSE(client.Send(StatusRequest{}, &id).ok());
}

TEST(ConnectionTest, InFlightBoundAppliesBackPressure) {
  ServerConnection server(kDefaultMaxFrameBytes, 2);
  Bytes wire;
  for (uint32_t id = 1; id <= 3; ++id) {
    Bytes f = *EncodeRequestFrame(id, Request(StatusRequest{}));
    wire.insert(wire.end(), f.begin(), f.end());
  }
  std::vector<IncomingRequest> got;
  server.OnBytes(wire, &got);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_FALSE(server.wants_input());
  server.Respond(1, StatusResponse{});
  EXPECT_TRUE(server.wants_input());
  server.OnBytes({}, &got);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[2].correlation_id, 3u);
}

TEST(ConnectionTest, AcksNoneGetsNoResponse) {
  ClientConnection client;
  ServerConnection server;
  ProduceRequest p{"a/b", PartitionSelector::kExplicit, 0, Acks::kNone, {Rec("{}")}};
  uint32_t id;
  Result<Bytes> frame = client.Send(p, &id);
  ASSERT_TRUE(frame.ok());
  EXPECT_EQ(client.pending(), 0u);
  std::vector<IncomingRequest> got = ToServer(server, *frame);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(server.in_flight(), 0u);
  server.Respond(id, ProduceResponse{0, 0, 0});  // ignored
  EXPECT_TRUE(server.TakeOutput().empty());
}

TEST(ConnectionTest, DuplicateCorrelationIdIsRefused) {
  ServerConnection server;
  Bytes wire = *EncodeRequestFrame(4, Request(StatusRequest{}));
  Bytes again = wire;
  wire.insert(wire.end(), again.begin(), again.end());
  std::vector<IncomingRequest> got = ToServer(server, wire);
  EXPECT_EQ(got.size(), 1u);
  EXPECT_EQ(server.invalid_requests(), 1u);
  EXPECT_FALSE(server.TakeOutput().empty());
}

TEST(ConnectionTest, OversizedResponseBecomesTooLarge) {
  ServerConnection server(200);
  std::vector<IncomingRequest> got =
      ToServer(server, *EncodeRequestFrame(1, Request(QueryRequest{"x"})));
  ASSERT_EQ(got.size(), 1u);
  server.Respond(1, QueryResponse{1, 0, false, {std::string(500, 'x')}});
  FrameReader reader(200);
  ASSERT_TRUE(reader.Feed(server.TakeOutput()).ok());
  auto f = reader.Next();
  ASSERT_TRUE(f.ok() && f->has_value());
  EXPECT_EQ(std::get<ErrorResponse>(*DecodeResponse(**f)).code, ErrorCode::kTooLarge);
}

TEST(ConnectionTest, ClientRefusesStrayResponsesAndBoundsPending) {
  ClientConnection client(kDefaultMaxFrameBytes, 2);
  uint32_t a, b, c;
  ASSERT_TRUE(client.Send(StatusRequest{}, &a).ok());
  ASSERT_TRUE(client.Send(StatusRequest{}, &b).ok());
  EXPECT_NE(a, b);
  EXPECT_FALSE(client.Send(StatusRequest{}, &c).ok());
  std::vector<IncomingResponse> out;
  Status s = client.OnBytes(*EncodeResponseFrame(999, Response(StatusResponse{})), &out);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(client.failed());
}

}  // namespace
}  // namespace dlog::api
