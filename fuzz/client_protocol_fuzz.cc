// libFuzzer target: the client protocol's FrameReader and every message decoder.
//
// Input: byte 0 picks the FrameReader's size limit and seeds the chunking; the rest is
// a byte stream, fed to a FrameReader in pseudo-random chunks (1..64 bytes).
// Invariants (a violation aborts):
//  - every frame returned re-encodes (EncodeFrame) to exactly the stream bytes it came
//    from, and frames tile the stream in order;
//  - once the reader fails it stays failed;
//  - a frame whose body decodes (DecodeRequest / DecodeResponse by direction) re-encodes
//    to the same body (the body layouts are canonical);
// Then the whole remaining input is decoded as the body of each of the 15 message
// types, with the same round-trip check, so every decoder sees arbitrary bytes; and it
// is fed to a ServerConnection (in-flight bound 4) answering every request with an
// error: its output must be well-formed responses that a reader accepts.
#include <cstdint>
#include <cstdlib>

#include "api/connection.h"
#include "api/frame.h"
#include "api/messages.h"

using namespace dlog;
using namespace dlog::api;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void CheckBodyRoundTrip(const Frame& frame) {
  if (IsRequestType(frame.type)) {
    Result<Request> r = DecodeRequest(frame);
    if (!r.ok()) return;
    Check(TypeOf(*r) == frame.type);
    Result<Bytes> again = EncodeBody(*r);
    Check(again.ok() && *again == frame.body);
  } else {
    Result<Response> r = DecodeResponse(frame);
    if (!r.ok()) return;
    Check(TypeOf(*r) == frame.type);
    Result<Bytes> again = EncodeBody(*r);
    Check(again.ok() && *again == frame.body);
  }
}

const MessageType kAllTypes[] = {MessageType::kCreateLog,
                                 MessageType::kDeleteLog,
                                 MessageType::kListLogs,
                                 MessageType::kProduce,
                                 MessageType::kConsume,
                                 MessageType::kQuery,
                                 MessageType::kStatus,
                                 MessageType::kCreateLogResponse,
                                 MessageType::kDeleteLogResponse,
                                 MessageType::kListLogsResponse,
                                 MessageType::kProduceResponse,
                                 MessageType::kConsumeResponse,
                                 MessageType::kQueryResponse,
                                 MessageType::kStatusResponse,
                                 MessageType::kError};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t control = data[0];
  ByteSpan stream(data + 1, size - 1);
  const size_t limits[] = {kDefaultMaxFrameBytes, 8, 64, 1024};
  const size_t max_frame = limits[control & 3];

  FrameReader reader(max_frame);
  uint32_t state = control | 1u;
  size_t fed = 0, consumed = 0;
  bool failed = false;
  while (fed < stream.size() && !failed) {
    state = state * 1103515245u + 12345u;
    size_t n = std::min<size_t>(stream.size() - fed, 1 + (state >> 16) % 64);
    Check(reader.Feed(stream.subspan(fed, n)).ok());
    fed += n;
    for (;;) {
      Result<std::optional<Frame>> f = reader.Next();
      if (!f.ok()) {
        failed = true;
        Check(!reader.Next().ok() && !reader.Feed(stream.subspan(0, 0)).ok() && reader.failed());
        break;
      }
      if (!f->has_value()) break;
      const Frame& frame = **f;
      Result<Bytes> again = EncodeFrame(frame, max_frame);
      Check(again.ok());
      Check(consumed + again->size() <= fed);
      Check(std::equal(again->begin(), again->end(), stream.begin() + consumed));
      consumed += again->size();
      CheckBodyRoundTrip(frame);
    }
  }
  if (!failed) Check(reader.buffered_bytes() == fed - consumed);

  for (MessageType type : kAllTypes) {
    CheckBodyRoundTrip(Frame{type, 0, Bytes(stream.begin(), stream.end())});
  }

  ServerConnection server(max_frame, 4);
  std::vector<IncomingRequest> requests;
  size_t answered = 0;
  for (size_t pos = 0; pos < stream.size() && !server.closing();) {
    size_t n = server.wants_input() ? std::min<size_t>(stream.size() - pos, 37) : 0;
    server.OnBytes(stream.subspan(pos, n), &requests);
    pos += n;
    if (n == 0 && answered == requests.size()) break;  // blocked with nothing to answer
    for (; answered < requests.size(); ++answered) {
      server.Respond(requests[answered].correlation_id, MakeError(ErrorCode::kInternal, "x"));
    }
  }
  Check(server.in_flight() <= 4);
  Bytes output = server.TakeOutput();
  FrameReader responses(max_frame);
  Check(responses.Feed(output).ok());
  for (;;) {
    Result<std::optional<Frame>> f = responses.Next();
    Check(f.ok());
    if (!f->has_value()) break;
    Check(DecodeResponse(**f).ok());
  }
  Check(responses.buffered_bytes() == 0);
  return 0;
}
