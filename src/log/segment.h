// Segment: one file of record batches of a partition, `<base>.log`, where <base> is the
// offset of its first record in 20 decimal digits, with its sparse index
// (segment_index.h). A partition's last segment is active (appended to); earlier ones
// are sealed: immutable, their data and index synced, index written at sealing.
// Layouts and recovery rules: docs/STORAGE.md.
//
// Not thread-safe; the owning Partition serialises access.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/result.h"
#include "log/env.h"
#include "log/record_batch.h"
#include "log/segment_index.h"

namespace dlog::log {

struct SegmentOptions {
  uint32_t index_interval_bytes = 4096;
  // When the damaged part of the last segment is followed by CRC-valid batches, the
  // damage is more than a torn tail (bit rot in synced data, or a hole left by an
  // unsynced write): true makes Recover fail instead of cutting those batches.
  bool strict_recovery = false;
};

// What recovery of the last segment found and cut.
struct RecoveryReport {
  bool truncated = false;
  std::string file;           // data file path
  uint64_t cut_position = 0;  // first byte removed
  uint64_t bytes_cut = 0;
  Offset first_offset_cut = 0;  // every offset >= this was in the cut bytes, if anywhere
  std::string reason;           // why the batch at cut_position was rejected
  bool valid_batches_after_cut = false;
  Offset last_offset_after_cut = 0;  // highest offset among those batches, when any
};

// A batch read from a segment: header checked for plausibility, CRC not yet checked.
struct StoredBatch {
  BatchHeader header;
  uint64_t position = 0;
  ByteSpan bytes;  // the whole batch; valid until the next read into the same buffer
};

class Segment {
 public:
  static std::string DataFileName(Offset base);   // "00000000000000000042.log"
  static std::string IndexFileName(Offset base);  // "00000000000000000042.index"
  // Recognises the two names above; `is_index` tells which.
  static bool ParseFileName(const std::string& name, Offset* base, bool* is_index);

  // Creates an empty active segment (the directory entry is not synced here).
  static Result<std::unique_ptr<Segment>> Create(Env* env, const std::string& dir, Offset base,
                                                 const SegmentOptions& options);
  // Opens the last segment of a partition as active: verifies every batch, cuts a torn
  // or corrupt tail (syncing the cut), rebuilds the index. Fills `report`.
  static Result<std::unique_ptr<Segment>> Recover(Env* env, const std::string& dir, Offset base,
                                                  const SegmentOptions& options,
                                                  RecoveryReport* report);
  // Opens a sealed segment, trusting its data; loads its index, or rebuilds it (and
  // rewrites the file) when it is missing or inconsistent with the data file.
  static Result<std::unique_ptr<Segment>> OpenSealed(Env* env, const std::string& dir, Offset base,
                                                     const SegmentOptions& options);

  Offset base_offset() const { return base_; }
  Offset next_offset() const { return next_offset_; }  // after the last record
  uint64_t size() const { return size_; }
  bool sealed() const { return writer_ == nullptr; }
  // Largest record timestamp (an upper bound after a truncation); kNoTimestamp if empty.
  int64_t max_timestamp() const { return max_timestamp_; }
  std::string data_path() const;

  // Active segments only. `batch` is verified, and h.base_offset == next_offset().
  Status Append(ByteSpan batch, const BatchHeader& h);
  Status Sync();
  // Syncs the data, writes and syncs the index file; the segment becomes sealed.
  Status Seal();
  // Removes every batch at or after `offset`, which must be a batch boundary in
  // [base_offset, next_offset]; syncs the data file. The segment becomes active.
  Status TruncateTo(Offset offset);
  // Deletes the data file, then the index file (directory sync left to the caller).
  Status Remove();

  // Position of the batch holding `offset` (base_offset <= offset < next_offset).
  Result<uint64_t> FindBatch(Offset offset);
  // Reads the batch at `position` into `buffer`, checking its header and that it lies
  // within the data; the caller verifies the CRC (VerifyBatch or DecodeBatch).
  Result<StoredBatch> ReadBatch(uint64_t position, Bytes* buffer) const;

  const SegmentIndex& index() const { return index_; }

 private:
  Segment(Env* env, std::string dir, Offset base, const SegmentOptions& options);
  Status OpenReader();
  Status OpenWriter();
  Result<uint64_t> WalkToBatch(Offset offset, uint64_t position, Offset expected_base) const;
  Status RebuildIndex();
  Status CutDamagedTail(uint64_t file_size, const std::string& reason, RecoveryReport* report);
  std::string index_path() const;

  Env* env_;
  std::string dir_;
  Offset base_;
  SegmentOptions options_;
  std::unique_ptr<RandomAccessFile> reader_;
  std::unique_ptr<WritableFile> writer_;  // null once sealed
  SegmentIndex index_;
  uint64_t size_ = 0;
  Offset next_offset_;
  int64_t max_timestamp_ = kNoTimestamp;
};

}  // namespace dlog::log
