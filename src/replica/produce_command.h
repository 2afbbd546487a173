// ProduceCommand: what a Raft entry of a replicated partition carries: one producer's
// batch of records, stamped by the leader, to be appended by every replica when the
// entry commits.
//
// Encoding (little-endian), kCommandHeaderSize bytes then a log batch:
//   0  u8  version (1)     1 u8 flags (0)     2 u16 reserved (0)     4 u32 reserved (0)
//   8  u64 producer id (0: no deduplication)
//  16  u64 sequence number of this batch for that producer (0, 1, 2, ...)
//  24  …   a record batch (log/record_batch.h) at base offset 0, epoch 0, every record
//          timestamped: the replica re-encodes it at its own end offset when it applies
// The leader fills in timestamps before proposing, so every replica stores the same
// bytes at the same offsets.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "log/record.h"

namespace dlog::replica {

inline constexpr size_t kCommandHeaderSize = 24;
inline constexpr uint8_t kCommandVersion = 1;

struct ProduceCommand {
  uint64_t producer_id = 0;
  uint64_t sequence = 0;
  std::vector<log::Record> records;  // offsets meaningless until applied
};

// Requires 1..kMaxBatchRecords valid records with timestamps set.
Result<Bytes> EncodeProduceCommand(const ProduceCommand& c);
Result<ProduceCommand> DecodeProduceCommand(ByteSpan data);

}  // namespace dlog::replica
