// LogStoreSource: a RecordSource over a node's log::LogStore. Reads stop at each
// partition's high watermark, so queries see committed records only.
//
// Thread-safety: as thread-safe as LogStore (which locks itself); holds no state.
#pragma once

#include "api/record_source.h"
#include "log/log_store.h"

namespace dlog::api {

class LogStoreSource final : public RecordSource {
 public:
  explicit LogStoreSource(log::LogStore* store) : store_(store) {}

  std::optional<uint32_t> Partitions(const std::string& log) override;
  Result<std::vector<log::Record>> Read(const std::string& log, uint32_t partition, uint64_t from,
                                        uint32_t max_records) override;

 private:
  log::LogStore* const store_;
};

}  // namespace dlog::api
