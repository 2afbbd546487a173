#include "api/connection.h"

#include <string>

namespace dlog::api {
namespace {

// "TooLarge: …" → kTooLarge and the rest; other prefixes likewise; default kInternal.
ErrorResponse ErrorFromStatus(const Status& s, ErrorCode fallback) {
  const std::string& m = s.message();
  struct Prefix {
    const char* text;
    ErrorCode code;
  };
  for (Prefix p : {Prefix{"TooLarge: ", ErrorCode::kTooLarge},
                   Prefix{"InvalidRequest: ", ErrorCode::kInvalidRequest}}) {
    std::string_view t(p.text);
    if (m.compare(0, t.size(), t) == 0)
      return MakeError(p.code, m.substr(t.size(), kMaxMessageBytes));
  }
  return MakeError(fallback, m.substr(0, kMaxMessageBytes));
}

bool AwaitsResponse(const Request& request) {
  const auto* produce = std::get_if<ProduceRequest>(&request);
  return produce == nullptr || produce->acks != Acks::kNone;
}

}  // namespace

ServerConnection::ServerConnection(size_t max_frame_bytes, size_t max_in_flight)
    : reader_(max_frame_bytes), max_frame_bytes_(max_frame_bytes), max_in_flight_(max_in_flight) {}

void ServerConnection::OnBytes(ByteSpan bytes, std::vector<IncomingRequest>* out) {
  if (closing_) return;
  if (!bytes.empty()) {
    if (Status s = reader_.Feed(bytes); !s.ok()) return Close(s);
  }
  while (wants_input()) {
    Result<std::optional<Frame>> frame = reader_.Next();
    if (!frame.ok()) return Close(frame.status());
    if (!frame->has_value()) return;
    const Frame& f = **frame;
    Result<Request> request = DecodeRequest(f);
    if (!request.ok()) {
      ++invalid_requests_;
      Queue(f.correlation_id, ErrorFromStatus(request.status(), ErrorCode::kInvalidRequest));
      continue;
    }
    if (AwaitsResponse(*request)) {
      if (in_flight_.count(f.correlation_id)) {
        ++invalid_requests_;
        Queue(f.correlation_id, MakeError(ErrorCode::kInvalidRequest,
                                          "correlation id " + std::to_string(f.correlation_id) +
                                              " is already in use by a pending request"));
        continue;
      }
      in_flight_.insert(f.correlation_id);
    }
    out->push_back(IncomingRequest{f.correlation_id, std::move(*request)});
  }
}

void ServerConnection::Respond(uint32_t correlation_id, const Response& response) {
  if (in_flight_.erase(correlation_id) == 0 || closing_) return;  // unknown or acks=none
  Queue(correlation_id, response);
}

void ServerConnection::Queue(uint32_t correlation_id, const Response& response) {
  Result<Bytes> frame = EncodeResponseFrame(correlation_id, response, max_frame_bytes_);
  if (!frame.ok()) {
    frame = EncodeResponseFrame(
        correlation_id, ErrorFromStatus(frame.status(), ErrorCode::kInternal), max_frame_bytes_);
  }
  if (frame.ok()) output_.insert(output_.end(), frame->begin(), frame->end());
}

void ServerConnection::Close(const Status& why) {
  ++invalid_requests_;
  Queue(0, ErrorFromStatus(why, ErrorCode::kInvalidRequest));
  closing_ = true;
  in_flight_.clear();
}

Bytes ServerConnection::TakeOutput() {
  Bytes out;
  out.swap(output_);
  return out;
}

ClientConnection::ClientConnection(size_t max_frame_bytes, size_t max_in_flight)
    : reader_(max_frame_bytes), max_frame_bytes_(max_frame_bytes), max_in_flight_(max_in_flight) {}

Status ClientConnection::Fail(std::string message) {
  status_ = Status::Error(std::move(message));
  pending_.clear();
  return status_;
}

Result<Bytes> ClientConnection::Send(const Request& request, uint32_t* correlation_id) {
  if (!status_.ok()) return status_;
  bool awaits = AwaitsResponse(request);
  if (awaits && pending_.size() >= max_in_flight_) {
    return Status::Error("TooLarge: " + std::to_string(pending_.size()) +
                         " requests already await responses; read responses first");
  }
  uint32_t id = next_id_;
  while (pending_.count(id) || id == 0) ++id;  // bounded: at most max_in_flight_ + 1 steps
  Result<Bytes> frame = EncodeRequestFrame(id, request, max_frame_bytes_);
  if (!frame.ok()) return frame;
  next_id_ = id + 1;
  if (awaits) pending_.insert(id);
  *correlation_id = id;
  return frame;
}

Status ClientConnection::OnBytes(ByteSpan bytes, std::vector<IncomingResponse>* out) {
  if (!status_.ok()) return status_;
  if (Status s = reader_.Feed(bytes); !s.ok()) return Fail(s.message());
  for (;;) {
    Result<std::optional<Frame>> frame = reader_.Next();
    if (!frame.ok()) return Fail(frame.status().message());
    if (!frame->has_value()) return Status::Ok();
    const Frame& f = **frame;
    Result<Response> response = DecodeResponse(f);
    if (!response.ok()) return Fail("bad response from the server: " + response.error());
    if (pending_.erase(f.correlation_id) == 0) {
      // The server reports a connection-level error with id 0 before closing.
      if (f.correlation_id == 0 && std::holds_alternative<ErrorResponse>(*response)) {
        out->push_back(IncomingResponse{0, std::move(*response)});
        return Fail("the server closed the connection: " +
                    std::get<ErrorResponse>(out->back().response).message);
      }
      return Fail("response " + std::to_string(f.correlation_id) + " matches no request");
    }
    out->push_back(IncomingResponse{f.correlation_id, std::move(*response)});
  }
}

}  // namespace dlog::api
