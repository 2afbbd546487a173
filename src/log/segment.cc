#include "log/segment.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "base/log.h"

namespace dlog::log {
namespace {

constexpr size_t kFileNameDigits = 20;
constexpr size_t kScanWindow = 1 << 20;

// Sequential reads of a file through a window of at least kScanWindow bytes.
class WindowReader {
 public:
  WindowReader(const RandomAccessFile& f, uint64_t size) : f_(f), size_(size) {}

  // Up to `n` bytes at `pos` (fewer only at end of file); valid until the next call.
  Result<ByteSpan> Peek(uint64_t pos, size_t n) {
    if (pos < start_ || pos + n > start_ + window_.size()) {
      const size_t want =
          size_t(std::min<uint64_t>(std::max(n, kScanWindow), size_ - std::min(pos, size_)));
      window_.resize(want);
      Result<ByteSpan> got = f_.Read(pos, want, window_.data());
      if (!got.ok()) return got;
      window_.resize(got->size());
      start_ = pos;
    }
    const size_t from = size_t(pos - start_);
    return ByteSpan(window_).subspan(from, std::min(n, window_.size() - from));
  }

 private:
  const RandomAccessFile& f_;
  uint64_t size_;
  uint64_t start_ = 0;
  Bytes window_;
};

// The outcome of verifying a data file from its start.
struct Scan {
  uint64_t valid_end = 0;  // position after the last good batch
  Offset next_offset = 0;
  int64_t max_timestamp = kNoTimestamp;
  std::string bad_reason;  // empty when every byte up to the end formed good batches
};

// Verifies batch after batch from position 0, feeding `index`. Stops at the first
// batch that is torn, corrupt, or not at the expected offset. Fails only on I/O errors.
Result<Scan> ScanSegment(const RandomAccessFile& f, uint64_t size, Offset base,
                         SegmentIndex* index) {
  WindowReader w(f, size);
  Scan s{0, base, kNoTimestamp, ""};
  while (s.valid_end < size && s.bad_reason.empty()) {
    Result<ByteSpan> head = w.Peek(s.valid_end, kBatchHeaderSize);
    if (!head.ok()) return head.status();
    if (head->size() < kBatchHeaderSize) {
      s.bad_reason = "torn batch header (" + std::to_string(head->size()) + " of 48 bytes)";
      break;
    }
    Result<BatchHeader> h = ParseBatchHeader(*head);
    if (!h.ok()) {
      s.bad_reason = h.error();
    } else if (h->base_offset != s.next_offset) {
      s.bad_reason = "batch has offset " + std::to_string(h->base_offset) + ", expected " +
                     std::to_string(s.next_offset);
    } else if (Result<ByteSpan> whole = w.Peek(s.valid_end, h->length); !whole.ok()) {
      return whole.status();
    } else if (whole->size() < h->length) {
      s.bad_reason = "torn batch (" + std::to_string(whole->size()) + " of " +
                     std::to_string(h->length) + " bytes)";
    } else if (Result<BatchHeader> v = VerifyBatch(*whole); !v.ok()) {
      s.bad_reason = v.error();
    } else {
      index->OnBatch(h->base_offset, s.valid_end);
      s.next_offset = h->next_offset();
      s.max_timestamp = std::max(s.max_timestamp, h->max_timestamp_ms);
      s.valid_end += h->length;
    }
  }
  return s;
}

// Looks through damaged bytes (tail[0] is the rejected batch) for CRC-valid batches
// at offsets >= `expected`; returns the highest offset they hold.
std::optional<Offset> FindBatchesAfterDamage(ByteSpan tail, Offset expected) {
  std::optional<Offset> highest;
  size_t q = 1;
  while (q + kBatchHeaderSize <= tail.size()) {
    Result<BatchHeader> h = ParseBatchHeader(tail.subspan(q));
    if (h.ok() && h->base_offset >= expected && h->length <= tail.size() - q &&
        VerifyBatch(tail.subspan(q, h->length)).ok()) {
      highest = std::max(highest.value_or(0), h->last_offset());
      q += h->length;
    } else {
      ++q;
    }
  }
  return highest;
}

Result<Bytes> ReadRange(const RandomAccessFile& f, uint64_t pos, size_t n) {
  Bytes buf(n);
  Result<ByteSpan> got = f.Read(pos, n, buf.data());
  if (!got.ok()) return got.status();
  buf.resize(got->size());
  return buf;
}

std::string FileName(Offset base, const char* suffix) {
  char name[40];
  std::snprintf(name, sizeof name, "%020" PRIu64 "%s", base, suffix);
  return name;
}

}  // namespace

std::string Segment::DataFileName(Offset base) { return FileName(base, ".log"); }
std::string Segment::IndexFileName(Offset base) { return FileName(base, ".index"); }

bool Segment::ParseFileName(const std::string& name, Offset* base, bool* is_index) {
  const std::string suffix = name.size() > kFileNameDigits ? name.substr(kFileNameDigits) : "";
  if (suffix != ".log" && suffix != ".index") return false;
  Offset v = 0;
  for (size_t i = 0; i < kFileNameDigits; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
    v = v * 10 + Offset(name[i] - '0');
    if (v >= kMaxOffset) return false;
  }
  *base = v;
  *is_index = suffix == ".index";
  return true;
}

Segment::Segment(Env* env, std::string dir, Offset base, const SegmentOptions& options)
    : env_(env),
      dir_(std::move(dir)),
      base_(base),
      options_(options),
      index_(base, options.index_interval_bytes),
      next_offset_(base) {}

std::string Segment::data_path() const { return JoinPath(dir_, DataFileName(base_)); }
std::string Segment::index_path() const { return JoinPath(dir_, IndexFileName(base_)); }

Status Segment::OpenReader() {
  Result<std::unique_ptr<RandomAccessFile>> r = env_->NewRandomAccessFile(data_path());
  if (!r.ok()) return r.status();
  reader_ = std::move(*r);
  return Status::Ok();
}

Status Segment::OpenWriter() {
  Result<std::unique_ptr<WritableFile>> w = env_->NewAppendableFile(data_path());
  if (!w.ok()) return w.status();
  writer_ = std::move(*w);
  return Status::Ok();
}

Result<std::unique_ptr<Segment>> Segment::Create(Env* env, const std::string& dir, Offset base,
                                                 const SegmentOptions& options) {
  std::unique_ptr<Segment> s(new Segment(env, dir, base, options));
  Result<std::unique_ptr<WritableFile>> w = env->NewWritableFile(s->data_path());
  if (!w.ok()) return w.status();
  s->writer_ = std::move(*w);
  if (Status st = s->OpenReader(); !st.ok()) return st;
  return s;
}

Result<std::unique_ptr<Segment>> Segment::Recover(Env* env, const std::string& dir, Offset base,
                                                  const SegmentOptions& options,
                                                  RecoveryReport* report) {
  std::unique_ptr<Segment> s(new Segment(env, dir, base, options));
  *report = RecoveryReport{};
  report->file = s->data_path();
  Result<uint64_t> size = env->GetFileSize(s->data_path());
  if (!size.ok()) return size.status();
  if (Status st = s->OpenReader(); !st.ok()) return st;
  Result<Scan> scan = ScanSegment(*s->reader_, *size, base, &s->index_);
  if (!scan.ok()) return scan.status();
  s->size_ = scan->valid_end;
  s->next_offset_ = scan->next_offset;
  s->max_timestamp_ = scan->max_timestamp;
  if (!scan->bad_reason.empty()) {
    if (Status st = s->CutDamagedTail(*size, scan->bad_reason, report); !st.ok()) return st;
  }
  if (Status st = s->OpenWriter(); !st.ok()) return st;
  if (report->truncated) {
    if (Status st = s->writer_->Sync(); !st.ok()) return st;
  }
  if (env->FileExists(s->index_path())) {
    if (Status st = env->RemoveFile(s->index_path()); !st.ok()) return st;
  }
  return s;
}

// Cuts the data file from size_ (the end of the last good batch) to `file_size`,
// unless strict recovery finds valid batches in the bytes to be cut.
Status Segment::CutDamagedTail(uint64_t file_size, const std::string& reason,
                               RecoveryReport* report) {
  report->truncated = true;
  report->cut_position = size_;
  report->bytes_cut = file_size - size_;
  report->first_offset_cut = next_offset_;
  report->reason = reason;
  Result<Bytes> tail = ReadRange(*reader_, size_, size_t(report->bytes_cut));
  if (!tail.ok()) return tail.status();
  if (std::optional<Offset> after = FindBatchesAfterDamage(*tail, next_offset_)) {
    report->valid_batches_after_cut = true;
    report->last_offset_after_cut = *after;
    if (options_.strict_recovery) {
      return Status::Error(report->file + ": damaged batch at position " + std::to_string(size_) +
                           " (" + reason + ") is followed by valid batches up to offset " +
                           std::to_string(*after) + "; refusing to cut them (strict recovery)");
    }
  }
  return env_->TruncateFile(data_path(), size_);
}

Result<std::unique_ptr<Segment>> Segment::OpenSealed(Env* env, const std::string& dir, Offset base,
                                                     const SegmentOptions& options) {
  std::unique_ptr<Segment> s(new Segment(env, dir, base, options));
  Result<uint64_t> size = env->GetFileSize(s->data_path());
  if (!size.ok()) return size.status();
  s->size_ = *size;
  if (Status st = s->OpenReader(); !st.ok()) return st;
  const uint64_t max_index = kIndexHeaderSize + 4 + kIndexEntrySize * (*size / kBatchHeaderSize);
  Result<Bytes> file = env->FileExists(s->index_path())
                           ? ReadFileToBytes(env, s->index_path(), max_index)
                           : Result<Bytes>(Status::Error("index missing"));
  Result<SegmentIndex::Sealed> sealed =
      file.ok() ? SegmentIndex::Decode(*file, base, options.index_interval_bytes, &s->index_)
                : Result<SegmentIndex::Sealed>(file.status());
  if (sealed.ok() && sealed->data_size == *size) {
    s->next_offset_ = sealed->next_offset;
    s->max_timestamp_ = sealed->max_timestamp;
    return s;
  }
  DLOG_INFO("%s: rebuilding index (%s)", s->data_path().c_str(),
            sealed.ok() ? "data size differs" : sealed.error().c_str());
  if (Status st = s->RebuildIndex(); !st.ok()) return st;
  return s;
}

Status Segment::RebuildIndex() {
  index_ = SegmentIndex(base_, options_.index_interval_bytes);
  Result<Scan> scan = ScanSegment(*reader_, size_, base_, &index_);
  if (!scan.ok()) return scan.status();
  next_offset_ = scan->next_offset;
  max_timestamp_ = scan->max_timestamp;
  if (!scan->bad_reason.empty()) {
    DLOG_ERROR("%s: sealed segment damaged at position %" PRIu64 " (%s); offsets from %" PRIu64
               " on cannot be read",
               data_path().c_str(), scan->valid_end, scan->bad_reason.c_str(), next_offset_);
    return Status::Ok();  // reads past the damage report it; the file is left as it is
  }
  if (!sealed()) return Status::Ok();
  return WriteFileAtomically(env_, index_path(),
                             index_.Encode(size_, next_offset_, max_timestamp_));
}

Status Segment::Append(ByteSpan batch, const BatchHeader& h) {
  if (Status st = writer_->Append(batch); !st.ok()) return st;
  index_.OnBatch(h.base_offset, size_);
  size_ += batch.size();
  next_offset_ = h.next_offset();
  max_timestamp_ = std::max(max_timestamp_, h.max_timestamp_ms);
  return Status::Ok();
}

Status Segment::Sync() { return writer_ ? writer_->Sync() : Status::Ok(); }

Status Segment::Seal() {
  if (Status st = writer_->Sync(); !st.ok()) return st;
  Bytes index = index_.Encode(size_, next_offset_, max_timestamp_);
  if (Status st = WriteFileAtomically(env_, index_path(), index); !st.ok()) return st;
  writer_.reset();
  return Status::Ok();
}

Status Segment::TruncateTo(Offset offset) {
  uint64_t position = size_;
  if (offset < next_offset_) {
    Result<uint64_t> p = FindBatch(offset);
    if (!p.ok()) return p.status();
    Bytes buf;
    Result<StoredBatch> b = ReadBatch(*p, &buf);
    if (!b.ok()) return b.status();
    if (b->header.base_offset != offset) {
      return Status::Error(
          "offset " + std::to_string(offset) + " lies inside the batch of offsets " +
          std::to_string(b->header.base_offset) + ".." + std::to_string(b->header.last_offset()) +
          "; truncate to a batch boundary");
    }
    position = *p;
  }
  if (sealed()) {
    if (env_->FileExists(index_path())) {
      if (Status st = env_->RemoveFile(index_path()); !st.ok()) return st;
    }
    if (Status st = OpenWriter(); !st.ok()) return st;
  }
  if (Status st = env_->TruncateFile(data_path(), position); !st.ok()) return st;
  if (Status st = writer_->Sync(); !st.ok()) return st;
  index_.TruncateAt(position);
  size_ = position;
  next_offset_ = offset;
  return Status::Ok();
}

Status Segment::Remove() {
  if (Status st = env_->RemoveFile(data_path()); !st.ok()) return st;
  if (env_->FileExists(index_path())) return env_->RemoveFile(index_path());
  return Status::Ok();
}

Result<uint64_t> Segment::WalkToBatch(Offset offset, uint64_t position, Offset expected) const {
  uint8_t head[kBatchHeaderSize];
  while (position < size_) {
    Result<ByteSpan> got = reader_->Read(position, kBatchHeaderSize, head);
    if (!got.ok()) return got.status();
    Result<BatchHeader> h = got->size() == kBatchHeaderSize
                                ? ParseBatchHeader(*got)
                                : Result<BatchHeader>(Status::Error("torn batch header"));
    if (!h.ok() || h->base_offset != expected) {
      return Status::Error(data_path() + ": position " + std::to_string(position) + ": " +
                           (h.ok() ? "batch has offset " + std::to_string(h->base_offset) +
                                         ", expected " + std::to_string(expected)
                                   : h.error()));
    }
    if (offset < h->next_offset()) return position;
    expected = h->next_offset();
    position += h->length;
  }
  return Status::Error(data_path() + ": offset " + std::to_string(offset) +
                       " is missing: the data ends at offset " + std::to_string(expected));
}

Result<uint64_t> Segment::FindBatch(Offset offset) {
  if (offset < base_ || offset >= next_offset_) {
    return Status::Error(data_path() + ": offset " + std::to_string(offset) + " is outside [" +
                         std::to_string(base_) + ", " + std::to_string(next_offset_) + ")");
  }
  const uint64_t from = index_.Lookup(offset);
  Result<uint64_t> p = WalkToBatch(offset, from, index_.LookupOffset(offset));
  if (p.ok() || from == 0 || !sealed()) return p;
  DLOG_INFO("%s: index disagrees with the data (%s); rebuilding it", data_path().c_str(),
            p.error().c_str());
  if (Status st = RebuildIndex(); !st.ok()) return st;
  return WalkToBatch(offset, index_.Lookup(offset), index_.LookupOffset(offset));
}

Result<StoredBatch> Segment::ReadBatch(uint64_t position, Bytes* buffer) const {
  auto fail = [&](const std::string& why) {
    return Status::Error(data_path() + ": position " + std::to_string(position) + ": " + why);
  };
  if (position + kBatchHeaderSize > size_) return fail("no batch header before the end of data");
  buffer->resize(kBatchHeaderSize);
  Result<ByteSpan> got = reader_->Read(position, kBatchHeaderSize, buffer->data());
  if (!got.ok()) return got.status();
  if (got->size() != kBatchHeaderSize) return fail("file shorter than expected");
  Result<BatchHeader> h = ParseBatchHeader(*buffer);
  if (!h.ok()) return fail(h.error());
  if (h->length > size_ - position) return fail("batch runs past the end of data");
  buffer->resize(h->length);
  const size_t rest = h->length - kBatchHeaderSize;
  got = reader_->Read(position + kBatchHeaderSize, rest, buffer->data() + kBatchHeaderSize);
  if (!got.ok()) return got.status();
  if (got->size() != rest) return fail("file shorter than expected");
  return StoredBatch{*h, position, ByteSpan(*buffer)};
}

}  // namespace dlog::log
