// Sans-I/O ends of one client-protocol connection (docs/PROTOCOL.md): bytes in,
// decoded messages and bytes to send out. The socket loop (node server, libdlog) owns
// the socket and calls these; nothing here blocks, reads a clock or does I/O.
//
// ServerConnection: frames → requests; responses → bytes. A body that does not decode
// is answered at once with InvalidRequest (the connection stays open); a bad frame
// header queues an Error frame (correlation id 0) and marks the connection closing:
// the caller sends what TakeOutput() returns and closes. Back-pressure: at most
// `max_in_flight` requests may await a response; beyond that OnBytes keeps the bytes
// buffered and wants_input() turns false, so the caller stops reading the socket.
// Produce with acks=none gets no response and does not count as in flight.
//
// ClientConnection: requests → bytes with fresh correlation ids; bytes → responses
// matched to their requests. A response to no pending request, or a bad frame, is a
// protocol error: the caller closes and retries elsewhere.
//
// Thread-safety: none; one object per connection, used by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <vector>

#include "api/frame.h"
#include "api/messages.h"

namespace dlog::api {

inline constexpr size_t kDefaultMaxInFlight = 256;

struct IncomingRequest {
  uint32_t correlation_id = 0;
  Request request;
};

class ServerConnection {
 public:
  explicit ServerConnection(size_t max_frame_bytes = kDefaultMaxFrameBytes,
                            size_t max_in_flight = kDefaultMaxInFlight);

  // Buffers `bytes` (empty: just retry decoding after responses freed room) and appends
  // every request that can be taken now to `out`. Feeding bytes while !wants_input()
  // may close the connection (at most one frame is buffered beyond the in-flight bound).
  void OnBytes(ByteSpan bytes, std::vector<IncomingRequest>* out);
  // Queues the response to request `correlation_id`. A response the encoder refuses
  // (too large, say) is replaced by an Error of that kind.
  void Respond(uint32_t correlation_id, const Response& response);

  Bytes TakeOutput();
  bool wants_input() const { return !closing_ && in_flight_.size() < max_in_flight_; }
  bool closing() const { return closing_; }
  size_t in_flight() const { return in_flight_.size(); }
  uint64_t invalid_requests() const { return invalid_requests_; }

 private:
  void Queue(uint32_t correlation_id, const Response& response);
  void Close(const Status& why);

  FrameReader reader_;
  const size_t max_frame_bytes_;
  const size_t max_in_flight_;
  std::set<uint32_t> in_flight_;  // correlation ids awaiting Respond; bounded by max_in_flight_
  Bytes output_;
  bool closing_ = false;
  uint64_t invalid_requests_ = 0;
};

struct IncomingResponse {
  uint32_t correlation_id = 0;
  Response response;
};

class ClientConnection {
 public:
  explicit ClientConnection(size_t max_frame_bytes = kDefaultMaxFrameBytes,
                            size_t max_in_flight = kDefaultMaxInFlight);

  // The frame to send for `request`, and its correlation id in `*correlation_id`. Fails
  // when the request cannot be encoded, max_in_flight requests await responses, or the
  // connection failed. A Produce with acks=none awaits nothing.
  Result<Bytes> Send(const Request& request, uint32_t* correlation_id);
  // Appends the responses decoded from `bytes`; an error means: close the connection
  // (pending requests are then lost: retry them on a new one).
  Status OnBytes(ByteSpan bytes, std::vector<IncomingResponse>* out);

  size_t pending() const { return pending_.size(); }
  bool failed() const { return !status_.ok(); }

 private:
  Status Fail(std::string message);

  FrameReader reader_;
  const size_t max_frame_bytes_;
  const size_t max_in_flight_;
  uint32_t next_id_ = 1;
  std::set<uint32_t> pending_;  // bounded by max_in_flight_
  Status status_;
};

}  // namespace dlog::api
