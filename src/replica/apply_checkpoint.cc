#include "replica/apply_checkpoint.h"

#include "log/crc32c.h"

namespace dlog::replica {
namespace {

constexpr uint32_t kMagic = 0x43414c44;  // "DLAC" little-endian
constexpr uint32_t kVersion = 1;

}  // namespace

Bytes EncodeApplyCheckpoint(const ApplyCheckpoint& c) {
  Bytes out(kCheckpointHeader + kCheckpointSessionSize * c.sessions.size() + 4);
  uint8_t* p = out.data();
  StoreLE32(p, kMagic);
  StoreLE32(p + 4, kVersion);
  StoreLE64(p + 8, c.applied);
  StoreLE64(p + 16, c.end_offset);
  StoreLE32(p + 24, uint32_t(c.sessions.size()));
  p += kCheckpointHeader;
  for (const auto& [producer, s] : c.sessions) {
    StoreLE64(p, producer);
    StoreLE64(p + 8, s.next_sequence);
    StoreLE64(p + 16, s.last_base_offset);
    StoreLE64(p + 24, s.last_last_offset);
    StoreLE64(p + 32, s.last_index);
    p += kCheckpointSessionSize;
  }
  size_t n = out.size() - 4;
  StoreLE32(out.data() + n, log::Crc32c(ByteSpan(out.data(), n)));
  return out;
}

Result<ApplyCheckpoint> DecodeApplyCheckpoint(ByteSpan data) {
  if (data.size() < kCheckpointHeader + 4 || LoadLE32(data.data()) != kMagic ||
      LoadLE32(data.data() + 4) != kVersion || LoadLE32(data.data() + 28) != 0) {
    return Status::Error("apply checkpoint: not a checkpoint file");
  }
  uint32_t n = LoadLE32(data.data() + 24);
  if (n > kMaxCheckpointSessions ||
      data.size() != kCheckpointHeader + kCheckpointSessionSize * size_t(n) + 4) {
    return Status::Error("apply checkpoint: bad length");
  }
  size_t body = data.size() - 4;
  if (LoadLE32(data.data() + body) != log::Crc32c(data.first(body))) {
    return Status::Error("apply checkpoint: checksum mismatch");
  }
  ApplyCheckpoint c;
  c.applied = LoadLE64(data.data() + 8);
  c.end_offset = LoadLE64(data.data() + 16);
  const uint8_t* p = data.data() + kCheckpointHeader;
  for (uint32_t i = 0; i < n; ++i, p += kCheckpointSessionSize) {
    c.sessions.push_back({LoadLE64(p), ProducerSession{LoadLE64(p + 8), LoadLE64(p + 16),
                                                       LoadLE64(p + 24), LoadLE64(p + 32)}});
  }
  return c;
}

}  // namespace dlog::replica
