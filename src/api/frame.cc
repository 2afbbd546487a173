#include "api/frame.h"

#include <algorithm>
#include <string>

namespace dlog::api {

bool IsKnownMessageType(uint8_t type) {
  return (type >= 0x01 && type <= 0x07) || (type >= 0x81 && type <= 0x87) || type == 0xFF;
}

bool IsRequestType(MessageType type) { return (uint8_t(type) & kResponseBit) == 0; }

const char* MessageTypeName(MessageType type) {
  switch (type) {
    case MessageType::kCreateLog:
      return "CreateLog";
    case MessageType::kDeleteLog:
      return "DeleteLog";
    case MessageType::kListLogs:
      return "ListLogs";
    case MessageType::kProduce:
      return "Produce";
    case MessageType::kConsume:
      return "Consume";
    case MessageType::kQuery:
      return "Query";
    case MessageType::kStatus:
      return "Status";
    case MessageType::kCreateLogResponse:
      return "CreateLogResponse";
    case MessageType::kDeleteLogResponse:
      return "DeleteLogResponse";
    case MessageType::kListLogsResponse:
      return "ListLogsResponse";
    case MessageType::kProduceResponse:
      return "ProduceResponse";
    case MessageType::kConsumeResponse:
      return "ConsumeResponse";
    case MessageType::kQueryResponse:
      return "QueryResponse";
    case MessageType::kStatusResponse:
      return "StatusResponse";
    case MessageType::kError:
      return "Error";
  }
  return "unknown";
}

Result<Bytes> EncodeFrame(const Frame& frame, size_t max_frame_bytes) {
  size_t length = kFrameHeaderSize - kFrameLengthFieldSize + frame.body.size();
  if (length > max_frame_bytes || length > UINT32_MAX) {
    return Status::Error("TooLarge: frame of " + std::to_string(length) +
                         " bytes exceeds the limit of " + std::to_string(max_frame_bytes) +
                         " bytes; send fewer records per request");
  }
  Bytes out(kFrameHeaderSize);
  StoreBE32(out.data() + frame_field::kLength, static_cast<uint32_t>(length));
  out[frame_field::kVersion] = kProtocolVersion;
  out[frame_field::kType] = static_cast<uint8_t>(frame.type);
  out[frame_field::kFlags] = 0;
  out[frame_field::kFlags + 1] = 0;
  StoreBE32(out.data() + frame_field::kCorrelationId, frame.correlation_id);
  out.insert(out.end(), frame.body.begin(), frame.body.end());
  return out;
}

FrameReader::FrameReader(size_t max_frame_bytes)
    : max_frame_bytes_(std::clamp(max_frame_bytes, kFrameHeaderSize - kFrameLengthFieldSize,
                                  kDefaultMaxFrameBytes * 4)) {}

Status FrameReader::Fail(std::string message) {
  status_ = Status::Error(std::move(message));
  buffer_.clear();
  start_ = 0;
  return status_;
}

Status FrameReader::Feed(ByteSpan chunk) {
  if (!status_.ok()) return status_;
  if (buffered_bytes() >= kFrameLengthFieldSize + max_frame_bytes_) {
    return Status::Error("FrameReader holds a complete frame: call Next() before Feed()");
  }
  Compact();
  buffer_.insert(buffer_.end(), chunk.begin(), chunk.end());
  return Status::Ok();
}

void FrameReader::Compact() {
  if (start_ == 0) return;
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<ptrdiff_t>(start_));
  start_ = 0;
}

Status FrameReader::CheckHeader(const uint8_t* h) const {
  uint32_t length = LoadBE32(h + frame_field::kLength);
  if (length < kFrameHeaderSize - kFrameLengthFieldSize) {
    return Status::Error("malformed frame: length " + std::to_string(length) +
                         " is shorter than the 8-byte header");
  }
  if (length > max_frame_bytes_) {
    return Status::Error("TooLarge: frame of " + std::to_string(length) +
                         " bytes exceeds the limit of " + std::to_string(max_frame_bytes_));
  }
  if (h[frame_field::kVersion] != kProtocolVersion) {
    return Status::Error("unsupported protocol version " +
                         std::to_string(h[frame_field::kVersion]) + " (this node speaks " +
                         std::to_string(kProtocolVersion) + ")");
  }
  if (!IsKnownMessageType(h[frame_field::kType])) {
    return Status::Error("malformed frame: unknown message type " +
                         std::to_string(h[frame_field::kType]));
  }
  if (h[frame_field::kFlags] != 0 || h[frame_field::kFlags + 1] != 0) {
    return Status::Error("malformed frame: reserved flags are not zero");
  }
  return Status::Ok();
}

Result<std::optional<Frame>> FrameReader::Next() {
  if (!status_.ok()) return status_;
  if (buffered_bytes() < kFrameHeaderSize) {
    // A length field alone already tells an oversized frame; reject it early.
    if (buffered_bytes() >= kFrameLengthFieldSize &&
        LoadBE32(buffer_.data() + start_) > max_frame_bytes_) {
      return Fail("TooLarge: frame of " + std::to_string(LoadBE32(buffer_.data() + start_)) +
                  " bytes exceeds the limit of " + std::to_string(max_frame_bytes_));
    }
    return std::optional<Frame>();
  }
  const uint8_t* h = buffer_.data() + start_;
  if (Status s = CheckHeader(h); !s.ok()) return Fail(s.message());
  size_t total = kFrameLengthFieldSize + LoadBE32(h + frame_field::kLength);
  if (buffered_bytes() < total) return std::optional<Frame>();
  Frame f;
  f.type = static_cast<MessageType>(h[frame_field::kType]);
  f.correlation_id = LoadBE32(h + frame_field::kCorrelationId);
  f.body.assign(h + kFrameHeaderSize, h + total);
  start_ += total;
  if (start_ == buffer_.size()) {
    buffer_.clear();
    start_ = 0;
  }
  ++frames_;
  return std::optional<Frame>(std::move(f));
}

}  // namespace dlog::api
