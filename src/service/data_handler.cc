#include "service/data_handler.h"

#include <algorithm>
#include <chrono>
#include <type_traits>

#include "api/log_store_source.h"
#include "log/record_batch.h"

namespace dlog::service {

namespace {

using api::ErrorCode;
using api::MakeError;

uint64_t RecordBytes(const log::Record& r) {
  uint64_t n = r.key.size() + r.value.size();
  for (const log::RecordHeader& h : r.headers) n += h.name.size() + h.value.size();
  return n;
}

}  // namespace

api::LogDescription Describe(const log::LogInfo& info) {
  api::LogDescription d;
  d.name = info.name.ToString();
  d.partitions = info.config.partitions;
  d.replication_factor = 1;
  d.created_unix_ms = info.created_unix_ms;
  return d;
}

DataHandler::DataHandler(log::LogStore* store, const Clock* clock, HandlerOptions options)
    : store_(store), clock_(clock), options_(std::move(options)), started_(clock->Now()) {}

bool DataHandler::Replicated(const std::string& log) const {
  return options_.replicated != nullptr && options_.replicated->Has(log);
}

HandlerCounters DataHandler::counters() const {
  std::lock_guard lock(counters_mu_);
  return counters_;
}

api::Response DataHandler::Handle(const api::Request& request) {
  api::Response response = std::visit(
      [this](const auto& r) -> api::Response {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, api::CreateLogRequest>) return Create(r);
        if constexpr (std::is_same_v<T, api::DeleteLogRequest>) return Delete(r);
        if constexpr (std::is_same_v<T, api::ListLogsRequest>) return List(r);
        if constexpr (std::is_same_v<T, api::ProduceRequest>) return Produce(r);
        if constexpr (std::is_same_v<T, api::ConsumeRequest>) return Consume(r);
        if constexpr (std::is_same_v<T, api::QueryRequest>) return Query(r);
        if constexpr (std::is_same_v<T, api::StatusRequest>) return NodeStatus(r);
      },
      request);
  std::lock_guard lock(counters_mu_);
  ++counters_.requests;
  if (std::holds_alternative<api::ErrorResponse>(response)) ++counters_.errors;
  return response;
}

api::Response DataHandler::Create(const api::CreateLogRequest& r) {
  Result<log::LogName> name = log::LogName::Parse(r.log);
  if (!name.ok()) return MakeError(ErrorCode::kInvalidRequest, name.error());
  if (Status s = log::ValidatePartitionCount(r.partitions); !s.ok()) {
    return MakeError(ErrorCode::kInvalidRequest, s.message());
  }
  if (r.replication_factor > 1) {
    return MakeError(ErrorCode::kInvalidRequest,
                     "replication factor " + std::to_string(r.replication_factor) +
                         " needs as many nodes; this node serves alone (use 0 or 1)");
  }
  std::lock_guard lock(catalog_mu_);
  if (store_->DescribeLog(*name).ok() || Replicated(r.log)) {
    return MakeError(ErrorCode::kLogExists, "log " + r.log + " already exists");
  }
  log::LogConfig config;
  config.partitions = r.partitions;
  config.retention = options_.retention;
  Result<log::LogInfo> info = store_->CreateLog(*name, config);
  if (!info.ok()) return MakeError(ErrorCode::kInternal, info.error());
  return api::CreateLogResponse{Describe(*info)};
}

api::Response DataHandler::Delete(const api::DeleteLogRequest& r) {
  Result<log::LogName> name = log::LogName::Parse(r.log);
  if (!name.ok()) return MakeError(ErrorCode::kInvalidRequest, name.error());
  if (Replicated(r.log)) {
    return MakeError(ErrorCode::kInvalidRequest,
                     "log " + r.log + " is replicated; its node configuration removes it");
  }
  std::lock_guard lock(catalog_mu_);
  if (!store_->DescribeLog(*name).ok()) {
    return MakeError(ErrorCode::kUnknownLog, "no log named " + r.log);
  }
  if (Status s = store_->DeleteLog(*name); !s.ok()) {
    return MakeError(ErrorCode::kInternal, s.message());
  }
  return api::DeleteLogResponse{};
}

api::Response DataHandler::List(const api::ListLogsRequest& r) {
  api::ListLogsResponse out;
  for (const log::LogInfo& info : store_->ListLogs()) {
    if (!r.ns.empty() && info.name.ns() != r.ns) continue;
    if (out.logs.size() == api::kMaxLogsPerList) break;
    out.logs.push_back(Describe(info));
  }
  if (options_.replicated != nullptr) {
    for (api::LogDescription& d : options_.replicated->List()) {
      if (!r.ns.empty() && d.name.substr(0, d.name.find('/')) != r.ns) continue;
      if (out.logs.size() == api::kMaxLogsPerList) break;
      out.logs.push_back(std::move(d));
    }
    std::sort(out.logs.begin(), out.logs.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
  }
  return out;
}

api::Response DataHandler::Produce(const api::ProduceRequest& r) {
  Result<log::LogName> name = log::LogName::Parse(r.log);
  if (!name.ok()) return MakeError(ErrorCode::kInvalidRequest, name.error());
  if (r.records.empty()) {
    return MakeError(ErrorCode::kInvalidRequest, "a Produce carries at least one record");
  }
  uint64_t total = 0;
  for (const log::Record& rec : r.records) total += RecordBytes(rec);
  if (total > options_.max_produce_bytes) {
    return MakeError(ErrorCode::kTooLarge,
                     "Produce of " + std::to_string(total) + " bytes is over this server's " +
                         std::to_string(options_.max_produce_bytes) + "; send fewer records");
  }
  if (Replicated(r.log)) {
    api::Response out = options_.replicated->Produce(r);
    if (std::holds_alternative<api::ProduceResponse>(out)) {
      std::lock_guard lock(counters_mu_);
      counters_.records_appended += r.records.size();
    }
    return out;
  }
  Result<log::LogInfo> info = store_->DescribeLog(*name);
  if (!info.ok()) return MakeError(ErrorCode::kUnknownLog, "no log named " + r.log);
  if (r.records.size() > log::kMaxBatchRecords) {
    return MakeError(ErrorCode::kTooLarge,
                     "at most " + std::to_string(log::kMaxBatchRecords) + " records per Produce");
  }
  uint32_t partition = r.partition;
  if (r.selector == api::PartitionSelector::kKeyHash) {
    partition = api::PartitionForKey(r.records.front().key, info->config.partitions);
  } else if (partition >= info->config.partitions) {
    return MakeError(ErrorCode::kInvalidRequest, "log " + r.log + " has partitions 0.." +
                                                     std::to_string(info->config.partitions - 1) +
                                                     ", not " + std::to_string(partition));
  }
  Result<std::shared_ptr<log::Partition>> p = store_->GetPartition(*name, partition);
  if (!p.ok()) return MakeError(ErrorCode::kUnknownLog, p.error());
  Result<log::AppendResult> appended = (*p)->Append(r.records);
  if (!appended.ok()) return MakeError(ErrorCode::kInternal, appended.error());
  if (r.acks == api::Acks::kAll && !appended->durable) {
    if (Status s = (*p)->Sync(); !s.ok()) return MakeError(ErrorCode::kInternal, s.message());
  }
  {
    std::lock_guard lock(hw_mu_);
    log::Offset end = (*p)->LogEndOffset();
    if (end > (*p)->HighWatermark()) {
      if (Status s = (*p)->SetHighWatermark(end); !s.ok()) {
        return MakeError(ErrorCode::kInternal, s.message());
      }
    }
  }
  {
    std::lock_guard lock(counters_mu_);
    counters_.records_appended += r.records.size();
  }
  return api::ProduceResponse{partition, appended->base_offset, appended->last_offset};
}

api::Response DataHandler::Consume(const api::ConsumeRequest& r) {
  Result<log::LogName> name = log::LogName::Parse(r.log);
  if (!name.ok()) return MakeError(ErrorCode::kInvalidRequest, name.error());
  if (Replicated(r.log)) return options_.replicated->Consume(r);
  Result<log::LogInfo> info = store_->DescribeLog(*name);
  if (!info.ok()) return MakeError(ErrorCode::kUnknownLog, "no log named " + r.log);
  if (r.partition >= info->config.partitions) {
    return MakeError(ErrorCode::kInvalidRequest, "log " + r.log + " has partitions 0.." +
                                                     std::to_string(info->config.partitions - 1) +
                                                     ", not " + std::to_string(r.partition));
  }
  Result<std::shared_ptr<log::Partition>> p = store_->GetPartition(*name, r.partition);
  if (!p.ok()) return MakeError(ErrorCode::kUnknownLog, p.error());
  api::ConsumeResponse out;
  out.partition = r.partition;
  out.high_watermark = (*p)->HighWatermark();
  out.log_start_offset = (*p)->LogStartOffset();
  if (r.from_offset < out.log_start_offset || r.from_offset > out.high_watermark) {
    return MakeError(ErrorCode::kOffsetOutOfRange,
                     "offset " + std::to_string(r.from_offset) + " is outside [" +
                         std::to_string(out.log_start_offset) + ", " +
                         std::to_string(out.high_watermark) + "] of " + r.log + " partition " +
                         std::to_string(r.partition));
  }
  if (r.from_offset == out.high_watermark || r.max_records == 0) return out;
  log::ReadOptions options;
  options.max_records = r.max_records;
  options.max_bytes = r.max_bytes;
  options.max_offset = out.high_watermark;
  Result<std::vector<log::Record>> records = (*p)->Read(r.from_offset, options);
  if (!records.ok()) return MakeError(ErrorCode::kInternal, records.error());
  out.records = std::move(*records);
  {
    std::lock_guard lock(counters_mu_);
    counters_.records_read += out.records.size();
  }
  return out;
}

api::Response DataHandler::Query(const api::QueryRequest& r) {
  api::LogStoreSource local(store_);
  CombinedSource combined(options_.replicated, &local);
  api::RecordSource* source = &local;
  if (options_.replicated != nullptr) source = &combined;
  api::QueryExecutor executor(source, options_.query);
  api::QueryOutcome outcome = executor.Run(r.text);
  if (auto* error = std::get_if<api::ErrorResponse>(&outcome)) return *error;
  return std::get<api::QueryResponse>(std::move(outcome));
}

api::Response DataHandler::NodeStatus(const api::StatusRequest&) {
  api::StatusResponse out;
  out.node = options_.node_name;
  out.address = options_.node_address;
  out.version = options_.version;
  out.uptime_ms = uint64_t(
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_->Now() - started_).count());
  out.logs = uint32_t(store_->ListLogs().size() +
                      (options_.replicated ? options_.replicated->List().size() : 0));
  out.members.push_back(api::MemberStatus{options_.node_name, options_.node_address, "leader"});
  return out;
}

}  // namespace dlog::service
