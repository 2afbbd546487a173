// Partition: one ordered, append-only sequence of records stored as a directory of
// segments (segment.h). Offsets, durability and recovery: docs/STORAGE.md.
//
// Offsets of a partition, all in [LogStartOffset, LogEndOffset]:
//
//   LogStartOffset ≤ HighWatermark ≤ LogEndOffset,  DurableEndOffset ≤ LogEndOffset
//
//  - LogEndOffset: the offset the next appended record gets.
//  - DurableEndOffset: every record below it is on stable storage (its data synced and
//    its segment's directory entry synced), so it survives a crash of this machine.
//    Acknowledge a record at offset o as durable only once DurableEndOffset() > o (with
//    FsyncPolicy::kAlways, Append's result says so directly).
//  - HighWatermark: the end of what the owner (replication) declared committed; set with
//    SetHighWatermark. Storage neither persists nor interprets it, apart from clamping it
//    on Truncate and never dropping uncommitted segments by retention. Open sets it to
//    LogEndOffset; a replicated owner resets it to its commit point right after Open.
//
// Thread-safe: one mutex guards all state, and I/O happens under it. After a write or
// sync fails, the partition refuses writes until reopened (which recovers it).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/clock.h"
#include "log/env.h"
#include "log/record.h"
#include "log/segment.h"

namespace dlog::log {

enum class FsyncPolicy {
  kAlways,    // sync before Append returns: every returned offset is durable
  kInterval,  // sync once fsync_interval passed or fsync_interval_batches piled up
  kNever,     // sync only on Sync(), segment roll, Truncate and Open
};

struct PartitionOptions {
  uint64_t segment_bytes = 64 * 1024 * 1024;  // roll before a segment would exceed this
  uint32_t index_interval_bytes = 4096;       // one index entry per this much data
  FsyncPolicy fsync_policy = FsyncPolicy::kAlways;
  Duration fsync_interval = std::chrono::milliseconds(100);
  uint32_t fsync_interval_batches = 1000;
  bool strict_recovery = false;  // see SegmentOptions
  // Monotonic time for kInterval, wall time to stamp records without a timestamp.
  // nullptr: the system clock. Must outlive the partition.
  const Clock* clock = nullptr;
};

struct AppendResult {
  Offset base_offset = 0;  // offset of the first appended record
  Offset last_offset = 0;  // offset of the last
  bool durable = false;    // all of them are below DurableEndOffset
};

struct ReadOptions {
  uint32_t max_records = 1000;
  // Soft bound on the encoded size of the records returned; the first record is
  // returned whatever its size.
  uint64_t max_bytes = 1024 * 1024;
  Offset max_offset = kMaxOffset;  // exclusive; pass HighWatermark() to read committed only
};

struct RetentionPolicy {
  int64_t max_bytes = -1;   // keep the partition under this size; -1: no limit
  int64_t max_age_ms = -1;  // drop segments whose newest record is older; -1: no limit
};

class Partition {
 public:
  // Opens the partition stored in `dir` (an existing directory), recovering its last
  // segment, or initialises an empty one there.
  static Result<std::unique_ptr<Partition>> Open(Env* env, const std::string& dir,
                                                 const PartitionOptions& options);
  ~Partition();

  // Appends `records` (1..kMaxBatchRecords) as one batch written by leader `epoch`.
  Result<AppendResult> Append(std::span<const Record> records, uint64_t epoch = 0);
  // Appends an encoded batch as received from a leader, unchanged; it must verify and
  // start at LogEndOffset.
  Result<AppendResult> AppendBatch(ByteSpan batch);

  // Records from offset `from` on (LogStartOffset <= from <= LogEndOffset), in order.
  // A corrupt batch fails the read when it is the first to return; otherwise the
  // records before it are returned and the next read reports it.
  Result<std::vector<Record>> Read(Offset from, const ReadOptions& options);
  // Whole encoded batches, starting with the one holding `from`, each verified, until
  // `max_bytes` (at least one batch) or a batch at or past `max_offset`.
  Result<Bytes> ReadBatches(Offset from, uint64_t max_bytes, Offset max_offset = kMaxOffset);
  // Header (base offset, epoch, count) of the batch holding `offset`.
  Result<BatchHeader> BatchHeaderAt(Offset offset);

  Offset LogStartOffset() const;
  Offset LogEndOffset() const;
  Offset DurableEndOffset() const;
  Offset HighWatermark() const;
  // Requires LogStartOffset <= hw <= LogEndOffset.
  Status SetHighWatermark(Offset hw);

  // Makes every appended record durable.
  Status Sync();
  // kInterval: syncs when the oldest unsynced batch is fsync_interval old. Call at
  // NextSyncDeadline() (or any time; it is cheap when nothing is due).
  Status Tick();
  // When Tick should next run; nullopt when nothing waits for a sync.
  std::optional<TimePoint> NextSyncDeadline() const;

  // Removes every record at or after `offset` (a batch boundary in [LogStartOffset,
  // LogEndOffset]), durably, before returning. For followers whose log diverged.
  Status Truncate(Offset offset);

  // Drops whole sealed segments, oldest first, that the policy no longer keeps and
  // that lie below the high watermark. Returns how many were dropped.
  Result<size_t> ApplyRetention(const RetentionPolicy& policy, int64_t now_unix_ms);

  // What Open's recovery of the last segment cut, if anything.
  RecoveryReport recovery_report() const;
  uint64_t SizeBytes() const;
  size_t SegmentCount() const;
  const std::string& dir() const { return dir_; }

  // Stops the partition: every later call fails (for deleted logs still referenced).
  void Close();

 private:
  Partition(Env* env, std::string dir, const PartitionOptions& options);
  Status OpenSegments();
  Status CheckWritable() const;
  Status Fail(const Status& cause);
  Result<AppendResult> AppendLocked(ByteSpan batch, const BatchHeader& h);
  Status RollLocked();
  Status SyncLocked();
  Status MaybeSyncLocked();
  Status RemoveSegmentLocked(size_t i);
  size_t SegmentFor(Offset offset) const;
  Status CheckReadable(Offset from) const;
  Result<StoredBatch> NextBatch(size_t* segment, uint64_t* position, Bytes* buffer) const;
  Result<StoredBatch> NextPlaced(size_t* segment, uint64_t* position,
                                 std::optional<Offset> expected, Bytes* buffer) const;
  Result<std::vector<Record>> DecodeNext(size_t* segment, uint64_t* position,
                                         std::optional<Offset> expected, Bytes* buffer) const;
  Status Damaged(size_t segment, const StoredBatch& b, const Status& why) const;
  Segment& active() const { return *segments_.back(); }
  int64_t WallMillis() const;

  Env* const env_;
  const std::string dir_;
  const PartitionOptions options_;
  const Clock* const clock_;

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Segment>> segments_;  // by base offset; last is active
  Status status_;                                   // not OK once stopped by an I/O error
  bool closed_ = false;
  Offset end_ = 0;
  Offset durable_ = 0;
  Offset high_watermark_ = 0;
  uint32_t unsynced_batches_ = 0;
  TimePoint first_unsynced_;  // when unsynced_batches_ became non-zero
  RecoveryReport report_;
};

}  // namespace dlog::log
