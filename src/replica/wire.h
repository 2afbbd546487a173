// The internal transport's framing (TCP port 9093 on overlay addresses, inside the
// WireGuard tunnel): a stream of frames, each carrying one Raft message for one Raft
// group (one group per partition).
//
//   0        1        2                 4                 8
//   +--------+--------+-----------------+-----------------+
//   |version |  kind  |  reserved (0)   | payload length  |
//   +--------+--------+-----------------+-----------------+
//   |                 group id (u64)                      |   16 = kFrameHeaderSize
//   +-----------------------------------------------------+
//   | payload: kind 1 = a Raft message (raft/message.h)   |
//   +-----------------------------------------------------+
// Little-endian. payload length ≤ raft::kMaxMessageBytes. A frame that breaks any rule
// (version, kind, reserved, length) poisons the stream: the receiver counts it and
// closes the connection (a byte stream cannot resynchronise); a well-framed payload that
// fails to decode is dropped and counted, and the stream goes on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "base/bytes.h"
#include "base/result.h"
#include "raft/message.h"

namespace dlog::replica {

inline constexpr uint8_t kFrameVersion = 1;
inline constexpr uint8_t kFrameKindRaft = 1;
inline constexpr size_t kFrameHeaderSize = 16;
inline constexpr size_t kMaxFramePayload = raft::kMaxMessageBytes;

using GroupId = uint64_t;

struct RaftFrame {
  GroupId group = 0;
  raft::Message message;
};

// Requires a message within raft's limits (the core only builds such messages).
Bytes EncodeRaftFrame(GroupId group, const raft::Message& m);

// Splits a byte stream into frames. Holds at most one frame's bytes plus what the last
// Feed brought. Not thread-safe (one per connection).
class FrameReader {
 public:
  // Appends bytes received from the stream.
  void Feed(ByteSpan bytes);
  // The next complete frame's payload, nullopt when more bytes are needed, or an error
  // when the stream is poisoned (every later call fails too).
  Result<std::optional<RaftFrame>> Next();

  uint64_t frames() const { return frames_; }
  uint64_t bad_payloads() const { return bad_payloads_; }  // dropped, stream continues
  size_t buffered() const { return buffer_.size() - start_; }

 private:
  Bytes buffer_;
  size_t start_ = 0;  // consumed prefix of buffer_
  bool poisoned_ = false;
  uint64_t frames_ = 0;
  uint64_t bad_payloads_ = 0;
};

}  // namespace dlog::replica
