#include "log/segment_index.h"

#include <algorithm>

#include "log/crc32c.h"

namespace dlog::log {

void SegmentIndex::OnBatch(Offset batch_base, uint64_t position) {
  if (position == 0 || position < last_indexed_position_ + interval_bytes_) return;
  entries_.push_back({uint32_t(batch_base - base_offset_), uint32_t(position)});
  last_indexed_position_ = position;
}

const IndexEntry* SegmentIndex::Floor(Offset offset) const {
  if (offset < base_offset_) return nullptr;
  const uint64_t rel = offset - base_offset_;
  auto it = std::upper_bound(entries_.begin(), entries_.end(), rel,
                             [](uint64_t r, const IndexEntry& e) { return r < e.relative_offset; });
  return it == entries_.begin() ? nullptr : &*(it - 1);
}

uint64_t SegmentIndex::Lookup(Offset offset) const {
  const IndexEntry* e = Floor(offset);
  return e ? e->position : 0;
}

Offset SegmentIndex::LookupOffset(Offset offset) const {
  const IndexEntry* e = Floor(offset);
  return e ? base_offset_ + e->relative_offset : base_offset_;
}

void SegmentIndex::TruncateAt(uint64_t position) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), position,
                             [](const IndexEntry& e, uint64_t p) { return e.position < p; });
  entries_.erase(it, entries_.end());
  last_indexed_position_ = entries_.empty() ? 0 : entries_.back().position;
}

Bytes SegmentIndex::Encode(uint64_t data_size, Offset next_offset, int64_t max_timestamp) const {
  Bytes out(kIndexHeaderSize + entries_.size() * kIndexEntrySize + 4);
  StoreLE32(&out[0], kIndexMagic);
  StoreLE32(&out[4], uint32_t(entries_.size()));
  StoreLE64(&out[8], data_size);
  StoreLE64(&out[16], next_offset);
  StoreLE64(&out[24], static_cast<uint64_t>(max_timestamp));
  uint8_t* p = &out[kIndexHeaderSize];
  for (const IndexEntry& e : entries_) {
    StoreLE32(p, e.relative_offset);
    StoreLE32(p + 4, e.position);
    p += kIndexEntrySize;
  }
  StoreLE32(p, Crc32c(ByteSpan(out).first(out.size() - 4)));
  return out;
}

Result<SegmentIndex::Sealed> SegmentIndex::Decode(ByteSpan file, Offset base_offset,
                                                  uint32_t interval_bytes, SegmentIndex* out) {
  auto bad = [](const char* why) { return Status::Error(std::string("index ") + why); };
  if (file.size() < kIndexHeaderSize + 4) return bad("too short");
  const uint32_t n = LoadLE32(&file[4]);
  if (LoadLE32(&file[0]) != kIndexMagic) return bad("has a bad magic");
  if (file.size() != kIndexHeaderSize + uint64_t{n} * kIndexEntrySize + 4)
    return bad("size mismatch");
  if (Crc32c(file.first(file.size() - 4)) != LoadLE32(&file[file.size() - 4])) {
    return bad("CRC mismatch");
  }
  Sealed s{LoadLE64(&file[8]), LoadLE64(&file[16]), static_cast<int64_t>(LoadLE64(&file[24]))};
  if (s.data_size > kMaxSegmentBytes || s.next_offset < base_offset || s.next_offset > kMaxOffset) {
    return bad("header out of range");
  }
  SegmentIndex idx(base_offset, interval_bytes);
  const uint8_t* p = &file[kIndexHeaderSize];
  for (uint32_t i = 0; i < n; ++i, p += kIndexEntrySize) {
    const IndexEntry e{LoadLE32(p), LoadLE32(p + 4)};
    const bool increasing =
        idx.entries_.empty() || (e.relative_offset > idx.entries_.back().relative_offset &&
                                 e.position > idx.entries_.back().position);
    if (!increasing || e.position == 0 || e.position >= s.data_size ||
        base_offset + e.relative_offset >= s.next_offset) {
      return bad("entries out of order or out of range");
    }
    idx.entries_.push_back(e);
  }
  idx.last_indexed_position_ = idx.entries_.empty() ? 0 : idx.entries_.back().position;
  *out = std::move(idx);
  return s;
}

}  // namespace dlog::log
