// Record batches: the unit DLog appends, stores, checksums and replicates.
// All integers little endian. Layout pinned here and in docs/STORAGE.md.
//
//  batch                                                   (kBatchHeaderSize = 48)
//   0      4   length            total bytes of this batch, header included
//   4      4   crc               CRC-32C of bytes [8, length)
//   8      8   base_offset       offset of record 0; record i has base_offset + i
//  16      8   epoch             leader epoch (term) of the writer; 0 when unreplicated
//  24      4   record_count      1..kMaxBatchRecords
//  28      1   magic             kBatchMagic (format version)
//  29      1   flags             0 (reserved)
//  30      2   reserved          0
//  32      8   first_timestamp   timestamp of record 0 (Unix ms)
//  40      8   max_timestamp     largest record timestamp (Unix ms)
//  48      …   record_count records, back to back, nothing after the last one
//
//  record                                                  (kMinRecordSize = 22)
//   0      4   body_length       bytes after this field
//   4      8   timestamp         Unix ms (signed)
//  12      4   key_length  k     ≤ kMaxKeyBytes
//  16      k   key
//   …      4   value_length v    ≤ kMaxValueBytes
//   …      v   value
//   …      2   header_count h    ≤ kMaxHeadersPerRecord
//   …          h × { 2 name_length n ≤ 255, n name, 4 value_length w ≤ 64 KiB, w value }
//
// The CRC covers the base offset and epoch, so a leader stamps offsets before it
// checksums; followers store the leader's bytes unchanged.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "log/record.h"

namespace dlog::log {

inline constexpr size_t kBatchHeaderSize = 48;
inline constexpr size_t kMinRecordSize = 22;
inline constexpr uint8_t kBatchMagic = 1;
inline constexpr size_t kMaxBatchBytes = 16 * 1024 * 1024;
inline constexpr uint32_t kMaxBatchRecords = 1 << 20;

// Field positions within the batch header.
namespace batch_field {
inline constexpr size_t kLength = 0;
inline constexpr size_t kCrc = 4;
inline constexpr size_t kBaseOffset = 8;
inline constexpr size_t kEpoch = 16;
inline constexpr size_t kRecordCount = 24;
inline constexpr size_t kMagic = 28;
inline constexpr size_t kFlags = 29;
inline constexpr size_t kReserved = 30;
inline constexpr size_t kFirstTimestamp = 32;
inline constexpr size_t kMaxTimestamp = 40;
inline constexpr size_t kCrcStart = kBaseOffset;  // the CRC covers [kCrcStart, length)
}  // namespace batch_field
static_assert(batch_field::kMaxTimestamp + 8 == kBatchHeaderSize);
static_assert(4 + 8 + 4 + 4 + 2 == kMinRecordSize);
static_assert(kMaxBatchBytes <= UINT32_MAX);

struct BatchHeader {
  uint32_t length = 0;
  uint32_t crc = 0;
  Offset base_offset = 0;
  uint64_t epoch = 0;
  uint32_t record_count = 0;
  int64_t first_timestamp_ms = 0;
  int64_t max_timestamp_ms = 0;

  Offset last_offset() const { return base_offset + record_count - 1; }
  Offset next_offset() const { return base_offset + record_count; }
};

// Parses the first kBatchHeaderSize bytes of `bytes` and checks every header field
// for plausibility (lengths, counts, magic, offsets below kMaxOffset). Does not check
// the CRC, nor that `bytes` holds the whole batch.
Result<BatchHeader> ParseBatchHeader(ByteSpan bytes);

// Checks a complete batch (exactly `length` bytes): header, CRC and that the records
// fill the batch exactly, within every limit, matching the header's count and
// timestamps. Never reads outside `batch`.
Result<BatchHeader> VerifyBatch(ByteSpan batch);

// VerifyBatch, then the records with their offsets.
Result<std::vector<Record>> DecodeBatch(ByteSpan batch);

// Encodes `records` (1..kMaxBatchRecords, each within ValidateRecord's limits) as one
// batch at `base_offset`; records whose timestamp is kNoTimestamp get
// `default_timestamp_ms`. Record::offset is ignored.
Result<Bytes> EncodeBatch(Offset base_offset, uint64_t epoch, std::span<const Record> records,
                          int64_t default_timestamp_ms = kNoTimestamp);

// Bytes Record `r` takes inside a batch.
size_t EncodedRecordSize(const Record& r);

}  // namespace dlog::log
