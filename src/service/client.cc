#include "service/client.h"

#include <type_traits>

namespace dlog::service {

namespace {

using Clock = std::chrono::steady_clock;

template <typename T>
Outcome<T> Expect(Outcome<api::Response> r) {
  if (!r.ok()) return r.error();
  if (auto* v = std::get_if<T>(&r.value())) return std::move(*v);
  return ClientError{
      ClientError::Kind::kProtocol, "the server answered with another message type", {}};
}

}  // namespace

std::string ClientError::leader_hint() const {
  if (!not_leader() || (server.leader_name.empty() && server.leader_address.empty())) return "";
  return server.leader_name + " at " + server.leader_address;
}

std::string ClientError::ToString() const {
  switch (kind) {
    case Kind::kServer: {
      std::string s = std::string(api::ErrorCodeName(server.code)) + ": " + server.message;
      if (server.code == api::ErrorCode::kBadQuery)
        s += " (column " + std::to_string(server.position) + ")";
      if (std::string hint = leader_hint(); !hint.empty()) s += " (leader: " + hint + ")";
      return s;
    }
    case Kind::kTimeout:
      return "timed out: " + message;
    case Kind::kTransport:
      return "connection failed: " + message;
    case Kind::kProtocol:
      return "protocol error: " + message;
  }
  return message;
}

Outcome<std::unique_ptr<Client>> Client::Connect(stack::Stack* stack,
                                                 const stack::SocketAddress& server,
                                                 ClientOptions options) {
  Result<std::unique_ptr<stack::Stream>> stream = stack->Connect(server, options.connect_timeout);
  if (!stream.ok()) {
    return ClientError{stack::IsTimedOut(stream.status()) ? ClientError::Kind::kTimeout
                                                          : ClientError::Kind::kTransport,
                       "connect to " + server.ToString() + ": " + stream.error(),
                       {}};
  }
  return std::make_unique<Client>(std::move(*stream), options);
}

Client::Client(std::unique_ptr<stack::Stream> stream, ClientOptions options)
    : options_(options),
      stream_(std::move(stream)),
      conn_(options.max_frame_bytes, /*max_in_flight=*/1),
      buffer_(options.read_chunk) {}

Client::~Client() { Close(); }

void Client::Close() {
  std::lock_guard lock(mu_);
  if (stream_ != nullptr) stream_->Close();
  broken_ = true;
}

bool Client::broken() const {
  std::lock_guard lock(mu_);
  return broken_;
}

ClientError Client::Break(ClientError::Kind kind, std::string message) {
  broken_ = true;
  stream_->Close();
  return ClientError{kind, std::move(message), {}};
}

Outcome<api::Response> Client::Call(const api::Request& request) {
  std::lock_guard lock(mu_);
  Outcome<api::Response> r = CallLocked(request);
  if (r.ok()) {
    if (auto* e = std::get_if<api::ErrorResponse>(&r.value())) {
      return ClientError{ClientError::Kind::kServer, e->message, std::move(*e)};
    }
  }
  return r;
}

Outcome<api::Response> Client::CallLocked(const api::Request& request) {
  if (broken_) return ClientError{ClientError::Kind::kTransport, "the connection is closed", {}};
  uint32_t cid = 0;
  Result<Bytes> frame = conn_.Send(request, &cid);
  if (!frame.ok()) {
    // Refused before anything was sent (a field over a bound): the connection is fine.
    return ClientError{ClientError::Kind::kServer, frame.error(),
                       api::MakeError(api::ErrorCode::kTooLarge, frame.error())};
  }
  const Clock::time_point deadline = Clock::now() + options_.request_timeout;
  if (Status s = stream_->Write(*frame, options_.request_timeout); !s.ok()) {
    return Break(stack::IsTimedOut(s) ? ClientError::Kind::kTimeout : ClientError::Kind::kTransport,
                 "send: " + s.message());
  }
  const auto* produce = std::get_if<api::ProduceRequest>(&request);
  if (produce != nullptr && produce->acks == api::Acks::kNone)
    return api::Response(api::ProduceResponse{});
  std::vector<api::IncomingResponse> responses;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return Break(ClientError::Kind::kTimeout, "no response");
    Result<size_t> n = stream_->Read(MutableByteSpan(buffer_), left);
    if (!n.ok()) {
      return Break(stack::IsTimedOut(n.status()) ? ClientError::Kind::kTimeout
                                                 : ClientError::Kind::kTransport,
                   "receive: " + n.error());
    }
    if (*n == 0) return Break(ClientError::Kind::kTransport, "the server closed the connection");
    responses.clear();
    if (Status s = conn_.OnBytes(ByteSpan(buffer_.data(), *n), &responses); !s.ok()) {
      return Break(ClientError::Kind::kProtocol, s.message());
    }
    for (api::IncomingResponse& in : responses) {
      if (in.correlation_id == cid) return std::move(in.response);
    }
  }
}

Outcome<api::LogDescription> Client::CreateLog(const std::string& log, uint32_t partitions,
                                               uint8_t replication_factor) {
  Outcome<api::CreateLogResponse> r = Expect<api::CreateLogResponse>(
      Call(api::CreateLogRequest{log, partitions, replication_factor}));
  if (!r.ok()) return r.error();
  return r->log;
}

Outcome<api::DeleteLogResponse> Client::DeleteLog(const std::string& log) {
  return Expect<api::DeleteLogResponse>(Call(api::DeleteLogRequest{log}));
}

Outcome<std::vector<api::LogDescription>> Client::ListLogs(const std::string& ns) {
  Outcome<api::ListLogsResponse> r = Expect<api::ListLogsResponse>(Call(api::ListLogsRequest{ns}));
  if (!r.ok()) return r.error();
  return std::move(r->logs);
}

Outcome<api::ProduceResponse> Client::Produce(const std::string& log, uint32_t partition,
                                              std::vector<log::Record> records, api::Acks acks) {
  api::ProduceRequest request;
  request.log = log;
  request.selector = api::PartitionSelector::kExplicit;
  request.partition = partition;
  request.acks = acks;
  request.records = std::move(records);
  return Produce(std::move(request));
}

Outcome<api::ProduceResponse> Client::Produce(api::ProduceRequest request) {
  return Expect<api::ProduceResponse>(Call(request));
}

Outcome<api::ConsumeResponse> Client::Consume(const std::string& log, uint32_t partition,
                                              uint64_t from_offset, uint32_t max_records,
                                              uint32_t max_bytes) {
  return Expect<api::ConsumeResponse>(
      Call(api::ConsumeRequest{log, partition, from_offset, max_records, max_bytes}));
}

Outcome<api::QueryResponse> Client::Query(const std::string& text) {
  return Expect<api::QueryResponse>(Call(api::QueryRequest{text}));
}

Outcome<api::StatusResponse> Client::NodeStatus() {
  return Expect<api::StatusResponse>(Call(api::StatusRequest{}));
}

}  // namespace dlog::service
