// ApplyCheckpoint: how far a replica's data/ partition is known to be applied, so a
// restart replays only the committed entries after it instead of rebuilding data/ from
// the whole Raft log. Written atomically (log::WriteFileAtomically) after data/ was
// synced, so data/ holds at least `end_offset` records whenever the file exists.
//
// Layout (little-endian), kCheckpointHeader + 40 × n + 4 bytes:
//   0  u32 magic 'DLAC'   4 u32 version (1)
//   8  u64 applied Raft index      16 u64 data/ end offset
//  24  u32 session count n (≤ kMaxCheckpointSessions)   28 u32 reserved (0)
//  32  n × { u64 producer | u64 next_sequence | u64 last_base_offset |
//            u64 last_last_offset | u64 last_index }
//   …  u32 CRC-32C of every byte before it
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "replica/producer_table.h"

namespace dlog::replica {

inline constexpr size_t kCheckpointHeader = 32;
inline constexpr size_t kCheckpointSessionSize = 40;
inline constexpr size_t kMaxCheckpointSessions = 1 << 20;

struct ApplyCheckpoint {
  raft::Index applied = 0;
  log::Offset end_offset = 0;
  std::vector<std::pair<uint64_t, ProducerSession>> sessions;
};

Bytes EncodeApplyCheckpoint(const ApplyCheckpoint& c);
Result<ApplyCheckpoint> DecodeApplyCheckpoint(ByteSpan data);

}  // namespace dlog::replica
