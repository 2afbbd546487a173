#include "log/partition.h"

#include <algorithm>
#include <cinttypes>

#include "base/log.h"
#include "log/record_batch.h"

namespace dlog::log {
namespace {

const Clock* SystemClockInstance() {
  static const SystemClock clock;
  return &clock;
}

std::string Str(uint64_t v) { return std::to_string(v); }

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

Partition::Partition(Env* env, std::string dir, const PartitionOptions& options)
    : env_(env),
      dir_(std::move(dir)),
      options_(options),
      clock_(options.clock ? options.clock : SystemClockInstance()) {}

Partition::~Partition() = default;

Result<std::unique_ptr<Partition>> Partition::Open(Env* env, const std::string& dir,
                                                   const PartitionOptions& options) {
  if (options.segment_bytes < kBatchHeaderSize || options.segment_bytes >= kMaxSegmentBytes) {
    return Status::Error("segment size " + Str(options.segment_bytes) + " is out of range");
  }
  if (options.index_interval_bytes == 0) return Status::Error("index interval must be positive");
  if (!env->DirExists(dir)) return Status::Error("partition directory " + dir + " does not exist");
  std::unique_ptr<Partition> p(new Partition(env, dir, options));
  std::lock_guard lock(p->mu_);
  if (Status s = p->OpenSegments(); !s.ok()) return Status::Error(dir + ": " + s.message());
  return p;
}

// Lists the directory, clears leftovers (temporary files, indexes without data),
// opens sealed segments as they are and recovers the last one.
Status Partition::OpenSegments() {
  Result<std::vector<std::string>> names = env_->GetChildren(dir_);
  if (!names.ok()) return names.status();
  std::vector<Offset> bases;
  std::vector<Offset> indexes;
  for (const std::string& name : *names) {
    Offset base;
    bool is_index;
    if (EndsWith(name, ".tmp")) {
      if (Status s = env_->RemoveFile(JoinPath(dir_, name)); !s.ok()) return s;
    } else if (Segment::ParseFileName(name, &base, &is_index)) {
      (is_index ? indexes : bases).push_back(base);
    }
  }
  std::sort(bases.begin(), bases.end());
  for (Offset base : indexes) {
    if (!std::binary_search(bases.begin(), bases.end(), base)) {
      if (Status s = env_->RemoveFile(JoinPath(dir_, Segment::IndexFileName(base))); !s.ok())
        return s;
    }
  }
  const SegmentOptions seg_options{options_.index_interval_bytes, options_.strict_recovery};
  if (bases.empty()) {
    Result<std::unique_ptr<Segment>> s = Segment::Create(env_, dir_, 0, seg_options);
    if (!s.ok()) return s.status();
    segments_.push_back(std::move(*s));
  }
  for (size_t i = 0; i < bases.size(); ++i) {
    Result<std::unique_ptr<Segment>> s =
        i + 1 < bases.size() ? Segment::OpenSealed(env_, dir_, bases[i], seg_options)
                             : Segment::Recover(env_, dir_, bases[i], seg_options, &report_);
    if (!s.ok()) return s.status();
    if (i > 0 && segments_.back()->next_offset() != bases[i]) {
      DLOG_ERROR("%s: segment %s ends at offset %" PRIu64 " but the next one starts at %" PRIu64
                 "; reads in between fail",
                 dir_.c_str(), Segment::DataFileName(bases[i - 1]).c_str(),
                 segments_.back()->next_offset(), bases[i]);
    }
    segments_.push_back(std::move(*s));
  }
  if (report_.truncated) {
    DLOG_ERROR("%s: recovery cut %" PRIu64 " bytes at position %" PRIu64 " (offsets from %" PRIu64
               " on): %s%s",
               report_.file.c_str(), report_.bytes_cut, report_.cut_position,
               report_.first_offset_cut, report_.reason.c_str(),
               report_.valid_batches_after_cut ? "; valid batches followed the damage" : "");
  }
  // Whatever recovery kept may still sit only in the page cache (a process crash):
  // make it durable before calling it so.
  if (Status s = active().Sync(); !s.ok()) return s;
  if (Status s = env_->SyncDir(dir_); !s.ok()) return s;
  end_ = durable_ = high_watermark_ = active().next_offset();
  return Status::Ok();
}

Status Partition::CheckWritable() const {
  if (closed_) return Status::Error("partition " + dir_ + " is closed");
  return status_;
}

Status Partition::Fail(const Status& cause) {
  status_ = Status::Error("partition " + dir_ + " stopped after an I/O error (" + cause.message() +
                          "); reopen it to recover");
  DLOG_ERROR("%s", status_.message().c_str());
  return status_;
}

int64_t Partition::WallMillis() const { return clock_->WallNow().unix_nanos / 1'000'000; }

Result<AppendResult> Partition::Append(std::span<const Record> records, uint64_t epoch) {
  std::lock_guard lock(mu_);
  if (Status s = CheckWritable(); !s.ok()) return s;
  Result<Bytes> batch = EncodeBatch(end_, epoch, records, WallMillis());
  if (!batch.ok()) return batch.status();
  Result<BatchHeader> h = ParseBatchHeader(*batch);
  if (!h.ok()) return h.status();
  return AppendLocked(*batch, *h);
}

Result<AppendResult> Partition::AppendBatch(ByteSpan batch) {
  std::lock_guard lock(mu_);
  if (Status s = CheckWritable(); !s.ok()) return s;
  Result<BatchHeader> h = VerifyBatch(batch);
  if (!h.ok()) return h.status();
  if (h->base_offset != end_) {
    return Status::Error("batch starts at offset " + Str(h->base_offset) + " but the log ends at " +
                         Str(end_));
  }
  return AppendLocked(batch, *h);
}

Result<AppendResult> Partition::AppendLocked(ByteSpan batch, const BatchHeader& h) {
  const bool full = active().size() + batch.size() > options_.segment_bytes ||
                    h.next_offset() - active().base_offset() > UINT32_MAX;
  if (active().size() > 0 && full) {
    if (Status s = RollLocked(); !s.ok()) return s;
  }
  if (Status s = active().Append(batch, h); !s.ok()) return Fail(s);
  end_ = h.next_offset();
  if (unsynced_batches_++ == 0) first_unsynced_ = clock_->Now();
  if (Status s = MaybeSyncLocked(); !s.ok()) return s;
  return AppendResult{h.base_offset, h.last_offset(), durable_ >= end_};
}

Status Partition::MaybeSyncLocked() {
  switch (options_.fsync_policy) {
    case FsyncPolicy::kAlways:
      return SyncLocked();
    case FsyncPolicy::kInterval:
      if (unsynced_batches_ >= options_.fsync_interval_batches ||
          clock_->Now() - first_unsynced_ >= options_.fsync_interval) {
        return SyncLocked();
      }
      return Status::Ok();
    case FsyncPolicy::kNever:
      return Status::Ok();
  }
  return Status::Ok();
}

Status Partition::SyncLocked() {
  if (durable_ == end_ && unsynced_batches_ == 0) return Status::Ok();
  if (Status s = active().Sync(); !s.ok()) return Fail(s);
  durable_ = end_;
  unsynced_batches_ = 0;
  return Status::Ok();
}

// Seals the active segment (which syncs it) and starts a new one at end_, durably.
Status Partition::RollLocked() {
  if (Status s = active().Seal(); !s.ok()) return Fail(s);
  durable_ = end_;
  unsynced_batches_ = 0;
  const SegmentOptions seg_options{options_.index_interval_bytes, options_.strict_recovery};
  Result<std::unique_ptr<Segment>> next = Segment::Create(env_, dir_, end_, seg_options);
  if (!next.ok()) return Fail(next.status());
  segments_.push_back(std::move(*next));
  if (Status s = env_->SyncDir(dir_); !s.ok()) return Fail(s);
  return Status::Ok();
}

Status Partition::Sync() {
  std::lock_guard lock(mu_);
  if (Status s = CheckWritable(); !s.ok()) return s;
  return SyncLocked();
}

Status Partition::Tick() {
  std::lock_guard lock(mu_);
  if (Status s = CheckWritable(); !s.ok()) return s;
  if (options_.fsync_policy != FsyncPolicy::kInterval || unsynced_batches_ == 0)
    return Status::Ok();
  if (clock_->Now() - first_unsynced_ < options_.fsync_interval) return Status::Ok();
  return SyncLocked();
}

std::optional<TimePoint> Partition::NextSyncDeadline() const {
  std::lock_guard lock(mu_);
  if (options_.fsync_policy != FsyncPolicy::kInterval || unsynced_batches_ == 0)
    return std::nullopt;
  return first_unsynced_ + options_.fsync_interval;
}

size_t Partition::SegmentFor(Offset offset) const {
  auto it = std::upper_bound(segments_.begin(), segments_.end(), offset,
                             [](Offset o, const auto& s) { return o < s->base_offset(); });
  return it == segments_.begin() ? 0 : size_t(it - segments_.begin() - 1);
}

Status Partition::CheckReadable(Offset from) const {
  if (closed_) return Status::Error("partition " + dir_ + " is closed");
  const Offset start = segments_.front()->base_offset();
  if (from < start) {
    return Status::Error("offset " + Str(from) + " is before the log start offset " + Str(start) +
                         " (removed by retention or truncation)");
  }
  if (from > end_) {
    return Status::Error("offset " + Str(from) + " is past the log end offset " + Str(end_));
  }
  return Status::Ok();
}

// The batch at (*segment, *position), moving to the next segment at the end of one;
// advances the cursor past it. Fails on a damaged batch or at the end of the log.
Result<StoredBatch> Partition::NextBatch(size_t* segment, uint64_t* position, Bytes* buffer) const {
  while (*segment < segments_.size() && *position >= segments_[*segment]->size()) {
    ++*segment;
    *position = 0;
  }
  if (*segment >= segments_.size()) return Status::Error("end of log");
  Result<StoredBatch> b = segments_[*segment]->ReadBatch(*position, buffer);
  if (b.ok()) *position += b->header.length;
  return b;
}

Result<StoredBatch> Partition::NextPlaced(size_t* segment, uint64_t* position,
                                          std::optional<Offset> expected, Bytes* buffer) const {
  Result<StoredBatch> b = NextBatch(segment, position, buffer);
  if (!b.ok()) return b;
  if (expected && b->header.base_offset != *expected) {
    return Damaged(*segment, *b, Status::Error("expected offset " + Str(*expected)));
  }
  if (*segment + 1 < segments_.size() &&
      b->header.next_offset() > segments_[*segment + 1]->base_offset()) {
    return Damaged(*segment, *b, Status::Error("overlaps the next segment"));
  }
  return b;
}

Result<std::vector<Record>> Partition::DecodeNext(size_t* segment, uint64_t* position,
                                                  std::optional<Offset> expected,
                                                  Bytes* buffer) const {
  Result<StoredBatch> b = NextPlaced(segment, position, expected, buffer);
  if (!b.ok()) return b.status();
  Result<std::vector<Record>> records = DecodeBatch(b->bytes);
  if (!records.ok()) return Damaged(*segment, *b, records.status());
  return records;
}

Status Partition::Damaged(size_t segment, const StoredBatch& b, const Status& why) const {
  return Status::Error(segments_[segment]->data_path() + ": position " + Str(b.position) +
                       " (offsets " + Str(b.header.base_offset) + ".." +
                       Str(b.header.last_offset()) + "): " + why.message());
}

Result<std::vector<Record>> Partition::Read(Offset from, const ReadOptions& options) {
  std::lock_guard lock(mu_);
  if (Status s = CheckReadable(from); !s.ok()) return s;
  const Offset upper = std::min(end_, options.max_offset);
  std::vector<Record> out;
  if (from >= upper || options.max_records == 0) return out;
  size_t seg = SegmentFor(from);
  Result<uint64_t> pos = segments_[seg]->FindBatch(from);
  if (!pos.ok()) return pos.status();
  uint64_t position = *pos;
  std::optional<Offset> expected;
  uint64_t bytes = 0;
  Bytes buffer;
  while (!expected || *expected < upper) {
    Result<std::vector<Record>> records = DecodeNext(&seg, &position, expected, &buffer);
    if (!records.ok()) {
      if (!out.empty()) break;
      return records.status();
    }
    expected = records->back().offset + 1;
    for (Record& r : *records) {
      if (r.offset < from) continue;
      const size_t size = EncodedRecordSize(r);
      if (r.offset >= upper || out.size() >= options.max_records ||
          (!out.empty() && bytes + size > options.max_bytes)) {
        return out;
      }
      bytes += size;
      out.push_back(std::move(r));
    }
  }
  return out;
}

Result<Bytes> Partition::ReadBatches(Offset from, uint64_t max_bytes, Offset max_offset) {
  std::lock_guard lock(mu_);
  if (Status s = CheckReadable(from); !s.ok()) return s;
  const Offset upper = std::min(end_, max_offset);
  Bytes out;
  if (from >= upper) return out;
  size_t seg = SegmentFor(from);
  Result<uint64_t> pos = segments_[seg]->FindBatch(from);
  if (!pos.ok()) return pos.status();
  uint64_t position = *pos;
  std::optional<Offset> expected;
  Bytes buffer;
  while (!expected || *expected < upper) {
    Result<StoredBatch> b = NextPlaced(&seg, &position, expected, &buffer);
    Status damage = b.ok() ? VerifyBatch(b->bytes).status() : b.status();
    if (b.ok() && !damage.ok()) damage = Damaged(seg, *b, damage);
    if (!damage.ok()) {
      if (!out.empty()) break;
      return damage;
    }
    if (!out.empty() && out.size() + b->bytes.size() > max_bytes) break;
    out.insert(out.end(), b->bytes.begin(), b->bytes.end());
    expected = b->header.next_offset();
  }
  return out;
}

Result<BatchHeader> Partition::BatchHeaderAt(Offset offset) {
  std::lock_guard lock(mu_);
  if (Status s = CheckReadable(offset); !s.ok()) return s;
  if (offset >= end_) return Status::Error("no record at offset " + Str(offset) + " yet");
  Segment& seg = *segments_[SegmentFor(offset)];
  Result<uint64_t> pos = seg.FindBatch(offset);
  if (!pos.ok()) return pos.status();
  Bytes buffer;
  Result<StoredBatch> b = seg.ReadBatch(*pos, &buffer);
  if (!b.ok()) return b.status();
  return b->header;
}

Offset Partition::LogStartOffset() const {
  std::lock_guard lock(mu_);
  return segments_.front()->base_offset();
}
Offset Partition::LogEndOffset() const {
  std::lock_guard lock(mu_);
  return end_;
}
Offset Partition::DurableEndOffset() const {
  std::lock_guard lock(mu_);
  return durable_;
}
Offset Partition::HighWatermark() const {
  std::lock_guard lock(mu_);
  return high_watermark_;
}

Status Partition::SetHighWatermark(Offset hw) {
  std::lock_guard lock(mu_);
  if (hw < segments_.front()->base_offset() || hw > end_) {
    return Status::Error("high watermark " + Str(hw) + " is outside [" +
                         Str(segments_.front()->base_offset()) + ", " + Str(end_) + "]");
  }
  high_watermark_ = hw;
  return Status::Ok();
}

// Deletes segment i's files and syncs the directory at once, so that removals reach
// the disk in order and a crash never leaves a gap between surviving segments.
Status Partition::RemoveSegmentLocked(size_t i) {
  if (Status s = segments_[i]->Remove(); !s.ok()) return Fail(s);
  if (Status s = env_->SyncDir(dir_); !s.ok()) return Fail(s);
  segments_.erase(segments_.begin() + ptrdiff_t(i));
  return Status::Ok();
}

Status Partition::Truncate(Offset offset) {
  std::lock_guard lock(mu_);
  if (Status s = CheckWritable(); !s.ok()) return s;
  if (Status s = CheckReadable(offset); !s.ok()) return s;
  if (offset == end_) return Status::Ok();
  const size_t keep = SegmentFor(offset);
  if (offset > segments_[keep]->base_offset()) {
    Result<uint64_t> pos = segments_[keep]->FindBatch(offset);
    if (!pos.ok()) return pos.status();
    Bytes buffer;
    Result<StoredBatch> b = segments_[keep]->ReadBatch(*pos, &buffer);
    if (!b.ok()) return b.status();
    if (b->header.base_offset != offset) {
      return Status::Error("offset " + Str(offset) + " lies inside the batch of offsets " +
                           Str(b->header.base_offset) + ".." + Str(b->header.last_offset()) +
                           "; truncate to a batch boundary");
    }
  }
  // From here on records at or past `offset` may vanish at any step.
  durable_ = std::min(durable_, offset);
  high_watermark_ = std::min(high_watermark_, offset);
  while (segments_.size() > keep + 1) {
    if (Status s = RemoveSegmentLocked(segments_.size() - 1); !s.ok()) return s;
  }
  if (Status s = active().TruncateTo(offset); !s.ok()) return Fail(s);
  end_ = durable_ = offset;
  high_watermark_ = std::min(high_watermark_, offset);
  unsynced_batches_ = 0;
  return Status::Ok();
}

Result<size_t> Partition::ApplyRetention(const RetentionPolicy& policy, int64_t now_unix_ms) {
  std::lock_guard lock(mu_);
  if (Status s = CheckWritable(); !s.ok()) return s;
  uint64_t total = 0;
  for (const auto& s : segments_) total += s->size();
  size_t dropped = 0;
  while (segments_.size() > 1 && segments_.front()->next_offset() <= high_watermark_) {
    const Segment& oldest = *segments_.front();
    const bool too_big =
        policy.max_bytes >= 0 && total - oldest.size() >= uint64_t(policy.max_bytes);
    const bool too_old = policy.max_age_ms >= 0 && oldest.max_timestamp() != kNoTimestamp &&
                         oldest.max_timestamp() < now_unix_ms - policy.max_age_ms;
    if (!too_big && !too_old) break;
    total -= oldest.size();
    if (Status s = RemoveSegmentLocked(0); !s.ok()) return s;
    ++dropped;
  }
  return dropped;
}

RecoveryReport Partition::recovery_report() const {
  std::lock_guard lock(mu_);
  return report_;
}

uint64_t Partition::SizeBytes() const {
  std::lock_guard lock(mu_);
  uint64_t total = 0;
  for (const auto& s : segments_) total += s->size();
  return total;
}

size_t Partition::SegmentCount() const {
  std::lock_guard lock(mu_);
  return segments_.size();
}

void Partition::Close() {
  std::lock_guard lock(mu_);
  closed_ = true;
}

}  // namespace dlog::log
