// DLog's data model: records at per-partition offsets (docs/STORAGE.md).
//
// A log is named `namespace/name` (log_name.h) and has a fixed number of partitions,
// numbered 0..n-1. Each partition is an ordered sequence of records; a record's offset
// is its position in that sequence, assigned at append and never reused.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace dlog::log {

using PartitionId = uint32_t;
using Offset = uint64_t;

// Timestamp of a record the producer left unset; the partition stamps it at append.
inline constexpr int64_t kNoTimestamp = -1;

// Offsets stay below 2^62 so that offset arithmetic never overflows.
inline constexpr Offset kMaxOffset = Offset{1} << 62;

// Limits of one record (checked by ValidateRecord and by the batch decoder).
inline constexpr size_t kMaxKeyBytes = 64 * 1024;
inline constexpr size_t kMaxValueBytes = 8 * 1024 * 1024;
inline constexpr size_t kMaxHeadersPerRecord = 64;
inline constexpr size_t kMaxHeaderNameBytes = 255;
inline constexpr size_t kMaxHeaderValueBytes = 64 * 1024;

struct RecordHeader {
  std::string name;
  Bytes value;
  bool operator==(const RecordHeader&) const = default;
};

struct Record {
  Bytes key;
  Bytes value;
  std::vector<RecordHeader> headers;
  int64_t timestamp_ms = kNoTimestamp;  // Unix milliseconds, >= 0 once appended
  Offset offset = 0;                    // assigned by the partition; ignored on append
  bool operator==(const Record&) const = default;
};

// OK when every field of `r` is within the limits above; otherwise says which field
// is too large and what the limit is. A timestamp must be >= 0 or kNoTimestamp.
Status ValidateRecord(const Record& r);

}  // namespace dlog::log
