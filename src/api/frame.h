// Client protocol framing (docs/PROTOCOL.md). One frame carries one request or one
// response; TCP inside the tunnel, client API on port 9092, internal traffic on 9093.
// All integers big endian.
//
//   0       4        5        6        8                12
//   +-------+--------+--------+--------+-----------------+----------------
//   |length |version |  type  | flags  | correlation id  |  body ...
//   | u32   |  u8 =1 |   u8   | u16 =0 |      u32        |  length - 8 bytes
//   +-------+--------+--------+--------+-----------------+----------------
//
//  - length: bytes after the length field (8 header bytes + body);
//    8 <= length <= max_frame_bytes (kDefaultMaxFrameBytes = 16 MiB, configurable).
//  - version: kProtocolVersion. A frame of another version is rejected.
//  - type: a MessageType (requests 0x01..0x07, responses 0x81..0x87, error 0xFF).
//  - flags: reserved, zero.
//  - correlation id: chosen by the client per request, echoed in the response.
//
// FrameReader turns a byte stream cut into arbitrary chunks into frames. A malformed or
// oversized frame is a protocol violation: FrameReader reports it once, stays failed,
// and the caller closes the connection (the bytes cannot be resynchronised).
//
// Thread-safety: none; one FrameReader per connection, used by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "base/bytes.h"
#include "base/result.h"

namespace dlog::api {

inline constexpr uint8_t kProtocolVersion = 1;
inline constexpr size_t kFrameHeaderSize = 12;
inline constexpr size_t kFrameLengthFieldSize = 4;
inline constexpr size_t kDefaultMaxFrameBytes = 16 * 1024 * 1024;
inline constexpr uint16_t kClientApiPort = 9092;
inline constexpr uint16_t kInternalPort = 9093;

namespace frame_field {
inline constexpr size_t kLength = 0;
inline constexpr size_t kVersion = 4;
inline constexpr size_t kType = 5;
inline constexpr size_t kFlags = 6;
inline constexpr size_t kCorrelationId = 8;
inline constexpr size_t kBody = 12;
}  // namespace frame_field
static_assert(frame_field::kBody == kFrameHeaderSize);
static_assert(kDefaultMaxFrameBytes <= UINT32_MAX);

enum class MessageType : uint8_t {
  kCreateLog = 0x01,
  kDeleteLog = 0x02,
  kListLogs = 0x03,
  kProduce = 0x04,
  kConsume = 0x05,
  kQuery = 0x06,
  kStatus = 0x07,
  kCreateLogResponse = 0x81,
  kDeleteLogResponse = 0x82,
  kListLogsResponse = 0x83,
  kProduceResponse = 0x84,
  kConsumeResponse = 0x85,
  kQueryResponse = 0x86,
  kStatusResponse = 0x87,
  kError = 0xFF,
};

inline constexpr uint8_t kResponseBit = 0x80;

bool IsKnownMessageType(uint8_t type);
bool IsRequestType(MessageType type);
const char* MessageTypeName(MessageType type);

struct Frame {
  MessageType type = MessageType::kStatus;
  uint32_t correlation_id = 0;
  Bytes body;
  bool operator==(const Frame&) const = default;
};

// The frame's bytes, header included. Fails (TooLarge) when the frame would exceed
// `max_frame_bytes`.
Result<Bytes> EncodeFrame(const Frame& frame, size_t max_frame_bytes = kDefaultMaxFrameBytes);

class FrameReader {
 public:
  // `max_frame_bytes` bounds the length field (and so the memory one frame can take);
  // it is clamped to [kFrameHeaderSize - 4, kDefaultMaxFrameBytes * 4].
  explicit FrameReader(size_t max_frame_bytes = kDefaultMaxFrameBytes);

  // Appends the next bytes of the stream. Call Next() until it returns nullopt after
  // each Feed: buffered bytes stay below one frame plus `chunk`. Fails when the reader
  // already failed, and (without failing the reader) when a whole frame is still
  // buffered, i.e. Next() was not drained.
  Status Feed(ByteSpan chunk);

  // The next complete frame, nullopt when more bytes are needed, or an error for a
  // malformed or oversized frame (detected as soon as its header has arrived). After an
  // error every call fails with the same message.
  Result<std::optional<Frame>> Next();

  size_t buffered_bytes() const { return buffer_.size() - start_; }
  uint64_t frames() const { return frames_; }
  bool failed() const { return !status_.ok(); }

 private:
  Status Fail(std::string message);
  Status CheckHeader(const uint8_t* header) const;
  void Compact();

  const size_t max_frame_bytes_;
  Bytes buffer_;
  size_t start_ = 0;  // first unconsumed byte of buffer_
  Status status_;
  uint64_t frames_ = 0;
};

}  // namespace dlog::api
