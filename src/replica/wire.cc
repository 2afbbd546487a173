#include "replica/wire.h"

#include <cassert>
#include <cstring>

namespace dlog::replica {

Bytes EncodeRaftFrame(GroupId group, const raft::Message& m) {
  Bytes payload = raft::EncodeMessage(m);
  assert(payload.size() <= kMaxFramePayload);
  Bytes out(kFrameHeaderSize + payload.size());
  out[0] = kFrameVersion;
  out[1] = kFrameKindRaft;
  StoreLE32(out.data() + 4, uint32_t(payload.size()));
  StoreLE64(out.data() + 8, group);
  std::memcpy(out.data() + kFrameHeaderSize, payload.data(), payload.size());
  return out;
}

void FrameReader::Feed(ByteSpan bytes) {
  if (poisoned_) return;
  if (start_ > 0 && start_ >= buffer_.size() / 2) {  // keep the buffer from creeping
    buffer_.erase(buffer_.begin(), buffer_.begin() + ptrdiff_t(start_));
    start_ = 0;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

Result<std::optional<RaftFrame>> FrameReader::Next() {
  for (;;) {
    if (poisoned_) return Status::Error("internal transport: stream poisoned by a bad frame");
    size_t avail = buffer_.size() - start_;
    if (avail < kFrameHeaderSize) return std::optional<RaftFrame>();
    const uint8_t* h = buffer_.data() + start_;
    uint32_t len = LoadLE32(h + 4);
    if (h[0] != kFrameVersion || h[1] != kFrameKindRaft || h[2] || h[3] || len > kMaxFramePayload) {
      poisoned_ = true;
      buffer_.clear();
      start_ = 0;
      continue;
    }
    if (avail - kFrameHeaderSize < len) return std::optional<RaftFrame>();
    GroupId group = LoadLE64(h + 8);
    Result<raft::Message> m = raft::DecodeMessage(ByteSpan(h + kFrameHeaderSize, len));
    start_ += kFrameHeaderSize + len;
    if (start_ == buffer_.size()) {
      buffer_.clear();
      start_ = 0;
    }
    if (!m.ok()) {
      ++bad_payloads_;
      continue;
    }
    ++frames_;
    return std::optional<RaftFrame>(RaftFrame{group, std::move(*m)});
  }
}

}  // namespace dlog::replica
