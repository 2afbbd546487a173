#include "replica/produce_command.h"

#include "log/record_batch.h"

namespace dlog::replica {

Result<Bytes> EncodeProduceCommand(const ProduceCommand& c) {
  for (const log::Record& r : c.records) {
    if (r.timestamp_ms == log::kNoTimestamp) {
      return Status::Error("produce command: record without a timestamp");
    }
  }
  Result<Bytes> batch = log::EncodeBatch(0, 0, c.records);
  if (!batch.ok()) return batch;
  Bytes out(kCommandHeaderSize);
  out[0] = kCommandVersion;
  StoreLE64(out.data() + 8, c.producer_id);
  StoreLE64(out.data() + 16, c.sequence);
  out.insert(out.end(), batch->begin(), batch->end());
  return out;
}

Result<ProduceCommand> DecodeProduceCommand(ByteSpan data) {
  if (data.size() < kCommandHeaderSize) return Status::Error("produce command: truncated");
  if (data[0] != kCommandVersion || data[1] || data[2] || data[3] || LoadLE32(data.data() + 4)) {
    return Status::Error("produce command: unknown version or flags");
  }
  ProduceCommand c;
  c.producer_id = LoadLE64(data.data() + 8);
  c.sequence = LoadLE64(data.data() + 16);
  Result<std::vector<log::Record>> records = log::DecodeBatch(data.subspan(kCommandHeaderSize));
  if (!records.ok()) return records.status();
  c.records = std::move(*records);
  return c;
}

}  // namespace dlog::replica
