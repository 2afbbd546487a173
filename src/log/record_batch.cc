#include "log/record_batch.h"

#include <algorithm>
#include <string>

#include "log/crc32c.h"

namespace dlog::log {
namespace {

namespace f = batch_field;

// Bounds-checked little-endian cursor over a span; every Take fails rather than read
// past the end.
class Reader {
 public:
  explicit Reader(ByteSpan s) : s_(s) {}
  size_t remaining() const { return s_.size() - pos_; }
  bool U16(uint16_t* v) {
    if (remaining() < 2) return false;
    *v = uint16_t(s_[pos_] | s_[pos_ + 1] << 8);
    pos_ += 2;
    return true;
  }
  bool U32(uint32_t* v) {
    if (remaining() < 4) return false;
    *v = LoadLE32(&s_[pos_]);
    pos_ += 4;
    return true;
  }
  bool I64(int64_t* v) {
    if (remaining() < 8) return false;
    *v = static_cast<int64_t>(LoadLE64(&s_[pos_]));
    pos_ += 8;
    return true;
  }
  bool Take(size_t n, ByteSpan* out) {
    if (remaining() < n) return false;
    *out = s_.subspan(pos_, n);
    pos_ += n;
    return true;
  }

 private:
  ByteSpan s_;
  size_t pos_ = 0;
};

class Writer {
 public:
  explicit Writer(Bytes* out) : out_(out) {}
  void U16(uint16_t v) { out_->insert(out_->end(), {uint8_t(v), uint8_t(v >> 8)}); }
  void U32(uint32_t v) {
    uint8_t b[4];
    StoreLE32(b, v);
    out_->insert(out_->end(), b, b + 4);
  }
  void I64(int64_t v) {
    uint8_t b[8];
    StoreLE64(b, static_cast<uint64_t>(v));
    out_->insert(out_->end(), b, b + 8);
  }
  void Put(ByteSpan s) { out_->insert(out_->end(), s.begin(), s.end()); }

 private:
  Bytes* out_;
};

Status Corrupt(const std::string& what) { return Status::Error("corrupt record batch: " + what); }

// Reads one record body (after its length field) from `r`; `index` names it in errors.
Status ReadRecordBody(ByteSpan body, Record* rec) {
  Reader r(body);
  uint32_t key_len = 0, value_len = 0;
  uint16_t header_count = 0;
  ByteSpan key, value;
  if (!r.I64(&rec->timestamp_ms) || !r.U32(&key_len) || key_len > kMaxKeyBytes ||
      !r.Take(key_len, &key) || !r.U32(&value_len) || value_len > kMaxValueBytes ||
      !r.Take(value_len, &value) || !r.U16(&header_count) || header_count > kMaxHeadersPerRecord) {
    return Corrupt("record fields overrun their record or exceed limits");
  }
  rec->key.assign(key.begin(), key.end());
  rec->value.assign(value.begin(), value.end());
  rec->headers.resize(header_count);
  for (RecordHeader& h : rec->headers) {
    uint16_t name_len = 0;
    uint32_t hv_len = 0;
    ByteSpan name, hv;
    if (!r.U16(&name_len) || name_len == 0 || name_len > kMaxHeaderNameBytes ||
        !r.Take(name_len, &name) || !r.U32(&hv_len) || hv_len > kMaxHeaderValueBytes ||
        !r.Take(hv_len, &hv)) {
      return Corrupt("record header overruns its record or exceeds limits");
    }
    h.name.assign(name.begin(), name.end());
    h.value.assign(hv.begin(), hv.end());
  }
  if (r.remaining() != 0) return Corrupt("record has trailing bytes");
  return Status::Ok();
}

// Walks the records of a CRC-checked batch; fills `out` when non-null.
Status WalkRecords(const BatchHeader& h, ByteSpan batch, std::vector<Record>* out) {
  Reader r(batch.subspan(kBatchHeaderSize));
  int64_t max_ts = INT64_MIN;
  Record scratch;
  for (uint32_t i = 0; i < h.record_count; ++i) {
    uint32_t body_len = 0;
    ByteSpan body;
    if (!r.U32(&body_len) || body_len < kMinRecordSize - 4 || !r.Take(body_len, &body)) {
      return Corrupt("record " + std::to_string(i) + " overruns the batch");
    }
    Record* rec = out ? &out->emplace_back() : &scratch;
    if (Status s = ReadRecordBody(body, rec); !s.ok()) return s;
    rec->offset = h.base_offset + i;
    if (i == 0 && rec->timestamp_ms != h.first_timestamp_ms) {
      return Corrupt("first timestamp does not match record 0");
    }
    max_ts = std::max(max_ts, rec->timestamp_ms);
  }
  if (r.remaining() != 0) return Corrupt("bytes after the last record");
  if (max_ts != h.max_timestamp_ms) return Corrupt("max timestamp does not match the records");
  return Status::Ok();
}

void WriteRecord(Writer& w, const Record& r, int64_t timestamp_ms) {
  w.U32(uint32_t(EncodedRecordSize(r) - 4));
  w.I64(timestamp_ms);
  w.U32(uint32_t(r.key.size()));
  w.Put(r.key);
  w.U32(uint32_t(r.value.size()));
  w.Put(r.value);
  w.U16(uint16_t(r.headers.size()));
  for (const RecordHeader& h : r.headers) {
    w.U16(uint16_t(h.name.size()));
    w.Put(AsBytes(h.name));
    w.U32(uint32_t(h.value.size()));
    w.Put(h.value);
  }
}

// Header, size, CRC, then the records (into `out` when non-null).
Result<BatchHeader> CheckBatch(ByteSpan batch, std::vector<Record>* out) {
  Result<BatchHeader> h = ParseBatchHeader(batch);
  if (!h.ok()) return h;
  if (batch.size() != h->length) {
    return Corrupt("holds " + std::to_string(batch.size()) + " bytes, header says " +
                   std::to_string(h->length));
  }
  if (Crc32c(batch.subspan(f::kCrcStart)) != h->crc) return Corrupt("CRC mismatch");
  if (out) out->reserve(h->record_count);
  if (Status s = WalkRecords(*h, batch, out); !s.ok()) return s;
  return h;
}

}  // namespace

size_t EncodedRecordSize(const Record& r) {
  size_t n = kMinRecordSize + r.key.size() + r.value.size();
  for (const RecordHeader& h : r.headers) n += 2 + h.name.size() + 4 + h.value.size();
  return n;
}

Result<BatchHeader> ParseBatchHeader(ByteSpan b) {
  if (b.size() < kBatchHeaderSize) return Corrupt("shorter than its 48-byte header");
  BatchHeader h;
  h.length = LoadLE32(&b[f::kLength]);
  h.crc = LoadLE32(&b[f::kCrc]);
  h.base_offset = LoadLE64(&b[f::kBaseOffset]);
  h.epoch = LoadLE64(&b[f::kEpoch]);
  h.record_count = LoadLE32(&b[f::kRecordCount]);
  h.first_timestamp_ms = static_cast<int64_t>(LoadLE64(&b[f::kFirstTimestamp]));
  h.max_timestamp_ms = static_cast<int64_t>(LoadLE64(&b[f::kMaxTimestamp]));
  if (b[f::kMagic] != kBatchMagic) return Corrupt("unknown magic " + std::to_string(b[f::kMagic]));
  if (b[f::kFlags] != 0 || b[f::kReserved] != 0 || b[f::kReserved + 1] != 0) {
    return Corrupt("reserved bits set");
  }
  if (h.record_count == 0 || h.record_count > kMaxBatchRecords) {
    return Corrupt("record count " + std::to_string(h.record_count) + " out of range");
  }
  if (h.length > kMaxBatchBytes ||
      h.length < kBatchHeaderSize + uint64_t{h.record_count} * kMinRecordSize) {
    return Corrupt("length " + std::to_string(h.length) + " out of range");
  }
  if (h.base_offset >= kMaxOffset - h.record_count) return Corrupt("base offset out of range");
  return h;
}

Result<BatchHeader> VerifyBatch(ByteSpan batch) { return CheckBatch(batch, nullptr); }

Result<std::vector<Record>> DecodeBatch(ByteSpan batch) {
  std::vector<Record> out;
  Result<BatchHeader> h = CheckBatch(batch, &out);
  if (!h.ok()) return h.status();
  return out;
}

Result<Bytes> EncodeBatch(Offset base_offset, uint64_t epoch, std::span<const Record> records,
                          int64_t default_timestamp_ms) {
  auto stamp = [&](const Record& r) {
    return r.timestamp_ms == kNoTimestamp ? default_timestamp_ms : r.timestamp_ms;
  };
  if (records.empty() || records.size() > kMaxBatchRecords) {
    return Status::Error("a batch holds 1.." + std::to_string(kMaxBatchRecords) + " records, not " +
                         std::to_string(records.size()));
  }
  if (base_offset >= kMaxOffset - records.size()) return Status::Error("offset space exhausted");
  size_t total = kBatchHeaderSize;
  int64_t max_ts = INT64_MIN;
  for (size_t i = 0; i < records.size(); ++i) {
    if (Status s = ValidateRecord(records[i]); !s.ok()) {
      return Status::Error("record " + std::to_string(i) + ": " + s.message());
    }
    total += EncodedRecordSize(records[i]);
    max_ts = std::max(max_ts, stamp(records[i]));
  }
  if (total > kMaxBatchBytes) {
    return Status::Error("batch of " + std::to_string(total) + " bytes exceeds the limit of " +
                         std::to_string(kMaxBatchBytes));
  }
  Bytes out(kBatchHeaderSize);
  out.reserve(total);
  StoreLE32(&out[f::kLength], uint32_t(total));
  StoreLE64(&out[f::kBaseOffset], base_offset);
  StoreLE64(&out[f::kEpoch], epoch);
  StoreLE32(&out[f::kRecordCount], uint32_t(records.size()));
  out[f::kMagic] = kBatchMagic;
  StoreLE64(&out[f::kFirstTimestamp], static_cast<uint64_t>(stamp(records[0])));
  StoreLE64(&out[f::kMaxTimestamp], static_cast<uint64_t>(max_ts));
  Writer w(&out);
  for (const Record& r : records) WriteRecord(w, r, stamp(r));
  StoreLE32(&out[f::kCrc], Crc32c(ByteSpan(out).subspan(f::kCrcStart)));
  return out;
}

}  // namespace dlog::log
