// RecordSource: where QueryExecutor reads records from. The node implements it over
// its LogStore (log_store_source.h), tests over memory. Reads follow each partition in
// offset order and see only what the source considers readable (committed records).
//
// Thread-safety: implementations document their own; the executor calls one at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "log/record.h"

namespace dlog::api {

class RecordSource {
 public:
  virtual ~RecordSource() = default;
  // How many partitions `log` ("namespace/name") has; nullopt when there is no such log.
  virtual std::optional<uint32_t> Partitions(const std::string& log) = 0;
  // Up to `max_records` (>= 1) records of `partition` at offsets >= `from`, in offset
  // order, with their offsets set. An empty result: nothing readable at or after
  // `from`. Offsets below the partition's first record start at its first record.
  virtual Result<std::vector<log::Record>> Read(const std::string& log, uint32_t partition,
                                                uint64_t from, uint32_t max_records) = 0;
};

}  // namespace dlog::api
