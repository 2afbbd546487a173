// SegmentIndex: the sparse offset index of one segment, offset → file position of the
// batch holding it, one entry per `interval` bytes of data (docs/STORAGE.md).
//
// In memory while the segment is active; written once, when the segment is sealed,
// to `<base>.index`:
//
//   0      4   magic          "DIX1"
//   4      4   entry_count n
//   8      8   data_size      bytes of the data file at sealing
//  16      8   next_offset    offset after the segment's last record
//  24      8   max_timestamp  largest record timestamp (kNoTimestamp if none)
//  32     8n   entries        { u32 relative_offset, u32 position }, both increasing
//  32+8n   4   crc            CRC-32C of bytes [0, 32+8n)
//
// The index is derived data: when missing or inconsistent it is rebuilt from the data
// file. Not thread-safe; the owning Segment serialises access.
#pragma once

#include <cstdint>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "log/record.h"

namespace dlog::log {

inline constexpr size_t kIndexHeaderSize = 32;
inline constexpr size_t kIndexEntrySize = 8;
inline constexpr uint32_t kIndexMagic = 0x31584944;  // "DIX1" little endian
// A segment never exceeds 4 GiB (positions are u32); Partition rolls long before.
inline constexpr uint64_t kMaxSegmentBytes = uint64_t{1} << 32;

struct IndexEntry {
  uint32_t relative_offset;
  uint32_t position;
  bool operator==(const IndexEntry&) const = default;
};

class SegmentIndex {
 public:
  SegmentIndex(Offset base_offset, uint32_t interval_bytes)
      : base_offset_(base_offset), interval_bytes_(interval_bytes) {}

  // Records a batch starting at `position` whose first record is `batch_base`; adds an
  // entry when `interval_bytes` of data passed since the last entry.
  void OnBatch(Offset batch_base, uint64_t position);

  // Position of the last indexed batch whose base offset is <= `offset` (0 if none).
  // The batch holding `offset` starts at or after it.
  uint64_t Lookup(Offset offset) const;
  // Base offset the indexed batch at Lookup(offset) must have (base_offset if none).
  Offset LookupOffset(Offset offset) const;

  // Drops entries of batches at or beyond `position`.
  void TruncateAt(uint64_t position);

  // Serialises the index of a sealed segment.
  Bytes Encode(uint64_t data_size, Offset next_offset, int64_t max_timestamp) const;

  struct Sealed {
    uint64_t data_size = 0;
    Offset next_offset = 0;
    int64_t max_timestamp = kNoTimestamp;
  };
  // Parses an index file; fails on any inconsistency (magic, CRC, ordering, positions
  // at or beyond `data_size`, offsets past next_offset).
  static Result<Sealed> Decode(ByteSpan file, Offset base_offset, uint32_t interval_bytes,
                               SegmentIndex* out);

  const std::vector<IndexEntry>& entries() const { return entries_; }
  Offset base_offset() const { return base_offset_; }

 private:
  const IndexEntry* Floor(Offset offset) const;

  Offset base_offset_;
  uint32_t interval_bytes_;
  std::vector<IndexEntry> entries_;
  uint64_t last_indexed_position_ = 0;
};

}  // namespace dlog::log
