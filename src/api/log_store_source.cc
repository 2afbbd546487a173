#include "api/log_store_source.h"

#include <algorithm>

namespace dlog::api {

std::optional<uint32_t> LogStoreSource::Partitions(const std::string& log) {
  Result<log::LogName> name = log::LogName::Parse(log);
  if (!name.ok()) return std::nullopt;
  Result<log::LogInfo> info = store_->DescribeLog(*name);
  if (!info.ok()) return std::nullopt;
  return info->config.partitions;
}

Result<std::vector<log::Record>> LogStoreSource::Read(const std::string& log, uint32_t partition,
                                                      uint64_t from, uint32_t max_records) {
  Result<log::LogName> name = log::LogName::Parse(log);
  if (!name.ok()) return name.status();
  Result<std::shared_ptr<log::Partition>> p = store_->GetPartition(*name, partition);
  if (!p.ok()) return p.status();
  log::Offset hw = (*p)->HighWatermark();
  from = std::max<uint64_t>(from, (*p)->LogStartOffset());
  if (from >= hw) return std::vector<log::Record>();
  log::ReadOptions options;
  options.max_records = max_records;
  options.max_offset = hw;
  return (*p)->Read(from, options);
}

}  // namespace dlog::api
