// libFuzzer target for the log layer's on-disk formats: arbitrary bytes as a record
// batch, as the last segment of a partition (recovery), as a sealed segment (trusted,
// verified lazily on read) and as a segment index. Nothing may crash or read out of
// bounds, and:
//   - a batch that decodes re-encodes to exactly the same bytes;
//   - recovery always opens the partition, keeps only whole verified batches, and
//     everything it kept reads back, offsets contiguous; a second open cuts nothing;
//   - reads of a damaged sealed segment return correct records or an error.
//
// Input: [control][payload...]. Control bits 1-2 pick the mode (batch, last segment,
// sealed segment, index); bit 0 rewrites every plausible batch's CRC first, so the
// fuzzer gets past the checksum into the structure behind it.
#include <cstdint>
#include <cstdlib>

#include "log/crc32c.h"
#include "log/mem_env.h"
#include "log/partition.h"
#include "log/record_batch.h"

namespace {

using namespace dlog;
using namespace dlog::log;

void Check(bool ok) {
  if (!ok) std::abort();
}

// Recomputes the CRC of each batch whose length field fits the rest of the data.
void Reseal(Bytes& d) {
  size_t pos = 0;
  while (pos + kBatchHeaderSize <= d.size()) {
    const uint32_t len = LoadLE32(&d[pos]);
    if (len < kBatchHeaderSize || len > d.size() - pos) return;
    StoreLE32(&d[pos + batch_field::kCrc], Crc32c(ByteSpan(d).subspan(pos + 8, len - 8)));
    pos += len;
  }
}

void FuzzBatch(const Bytes& data) {
  // An exact-size heap copy, so that ASan sees any read past the end.
  const Bytes batch(data);
  Result<BatchHeader> verified = VerifyBatch(batch);
  Result<std::vector<Record>> decoded = DecodeBatch(batch);
  Check(verified.ok() == decoded.ok());
  if (!decoded.ok()) return;
  Check(decoded->size() == verified->record_count);
  Result<Bytes> again = EncodeBatch(verified->base_offset, verified->epoch, *decoded);
  Check(again.ok() && *again == batch);
}

std::vector<Record> ReadAll(Partition& p) {
  std::vector<Record> out;
  for (Offset from = p.LogStartOffset(); from < p.LogEndOffset();) {
    Result<std::vector<Record>> got = p.Read(from, ReadOptions{.max_records = 100000});
    Check(got.ok() && !got->empty());
    for (Record& r : *got) {
      Check(r.offset == from++);
      out.push_back(std::move(r));
    }
  }
  return out;
}

void WriteFile(MemEnv& env, const std::string& path, ByteSpan data) {
  Result<std::unique_ptr<WritableFile>> f = env.NewWritableFile(path);
  Check(f.ok() && (*f)->Append(data).ok() && (*f)->Sync().ok());
}

void FuzzLastSegment(const Bytes& data) {
  MemEnv env;
  Check(env.CreateDir("/p").ok());
  const std::string path = "/p/" + Segment::DataFileName(0);
  WriteFile(env, path, data);
  PartitionOptions options;
  options.segment_bytes = 1 << 30;
  Result<std::unique_ptr<Partition>> p = Partition::Open(&env, "/p", options);
  Check(p.ok());
  const RecoveryReport report = (*p)->recovery_report();
  const uint64_t kept = *env.GetFileSize(path);
  Check(report.truncated ? kept == report.cut_position && kept + report.bytes_cut == data.size()
                         : kept == data.size());
  Check(ReadAll(**p).size() == (*p)->LogEndOffset());
  if ((*p)->LogEndOffset() > 0) {
    Result<Bytes> raw = (*p)->ReadBatches(0, kMaxSegmentBytes);
    Check(raw.ok() && raw->size() == kept && std::equal(raw->begin(), raw->end(), data.begin()));
  }
  const Offset end = (*p)->LogEndOffset();
  p->reset();
  Result<std::unique_ptr<Partition>> again = Partition::Open(&env, "/p", options);
  Check(again.ok() && !(*again)->recovery_report().truncated && (*again)->LogEndOffset() == end);
}

void FuzzSealedSegment(const Bytes& data) {
  MemEnv env;
  Check(env.CreateDir("/p").ok());
  WriteFile(env, "/p/" + Segment::DataFileName(0), data);
  const Offset next = 1000;
  std::vector<Record> one(1);
  one[0].value = {1, 2, 3};
  one[0].timestamp_ms = 5;
  Result<Bytes> tail = EncodeBatch(next, 0, one);
  Check(tail.ok());
  WriteFile(env, "/p/" + Segment::DataFileName(next), *tail);
  Result<std::unique_ptr<Partition>> p = Partition::Open(&env, "/p", PartitionOptions{});
  Check(p.ok() && (*p)->LogEndOffset() == next + 1);
  for (Offset from = 0; from <= next; from += 97) {
    Result<std::vector<Record>> got = (*p)->Read(from, ReadOptions{});
    if (!got.ok()) continue;
    for (size_t i = 0; i < got->size(); ++i) Check((*got)[i].offset == (*got)[0].offset + i);
    (void)(*p)->ReadBatches(from, 4096);
  }
  Result<std::vector<Record>> last = (*p)->Read(next, ReadOptions{});
  Check(last.ok() && last->size() == 1 && (*last)[0].value == one[0].value);
}

void FuzzIndex(const Bytes& data) {
  SegmentIndex index(0, 4096);
  Result<SegmentIndex::Sealed> s = SegmentIndex::Decode(data, 0, 4096, &index);
  if (!s.ok()) return;
  for (size_t i = 1; i < index.entries().size(); ++i) {
    Check(index.entries()[i].position > index.entries()[i - 1].position);
    Check(index.entries()[i].relative_offset > index.entries()[i - 1].relative_offset);
  }
  Check(index.Encode(s->data_size, s->next_offset, s->max_timestamp) == data);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > (1 << 20)) return 0;
  const uint8_t control = data[0];
  Bytes payload(data + 1, data + size);
  if (control & 1) Reseal(payload);
  switch ((control >> 1) & 3) {
    case 0:
      FuzzBatch(payload);
      break;
    case 1:
      FuzzLastSegment(payload);
      break;
    case 2:
      FuzzSealedSegment(payload);
      break;
    default:
      FuzzIndex(payload);
      break;
  }
  return 0;
}
