// DataHandler: executes client-API requests (api/messages.h) against one node's
// log::LogStore — the single-node data service (docs/SERVICE.md, "Semantics").
//
//  - CreateLog / DeleteLog / ListLogs: the store's catalog. A single node keeps one
//    copy: replication_factor 0 (the default) and 1 are accepted and reported as 1,
//    anything larger is InvalidRequest (it cannot be met by one node).
//  - Produce: one Partition::Append per request (one batch). acks=none and acks=leader
//    answer once Append returned (durable exactly when the fsync policy makes it so,
//    i.e. always under FsyncPolicy::kAlways); acks=all additionally syncs when Append
//    left the records undurable, so an acks=all answer always means "on stable storage"
//    (the single-node meaning of committed). The high watermark then moves to the
//    log end offset, so Consume and Query see the records.
//  - Consume: [from, high watermark) of one partition; from outside [log start, high
//    watermark] is OffsetOutOfRange.
//  - Query: api::QueryExecutor over api::LogStoreSource (committed records only).
//  - Status: this node as the only member.
//  - Logs registered in options.replicated are served by their Raft groups instead
//    (replicated_logs.h); they cannot be created or deleted through the API.
// Every failure is an api::ErrorResponse a user can act on (error.h); catalog checks
// are made here (not by parsing the store's messages), under catalog_mu_, so a
// concurrent CreateLog of one name gets exactly one success and one LogExists.
//
// Thread-safety: Handle may be called from many threads at once.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include "api/messages.h"
#include "api/query_executor.h"
#include "base/clock.h"
#include "log/log_store.h"
#include "service/replicated_logs.h"

namespace dlog::service {

struct HandlerOptions {
  std::string node_name = "dlog";
  std::string node_address;          // "host:port" of the client API
  std::string version = "dlog 0.1";  // reported by Status
  // Sum of key+value+header bytes in one Produce; beyond: TooLarge.
  uint64_t max_produce_bytes = 8 * 1024 * 1024;
  api::ExecutorOptions query{};
  log::RetentionPolicy retention{};  // for logs created through the API
  // Logs replicated by Raft groups on this node (replicated_logs.h): Produce, Consume
  // and Query of these go there; nullptr: none. Must outlive the handler.
  ReplicatedLogs* replicated = nullptr;
};

struct HandlerCounters {
  uint64_t requests = 0;
  uint64_t errors = 0;
  uint64_t records_appended = 0;
  uint64_t records_read = 0;
};

class DataHandler {
 public:
  // `store` and `clock` must outlive the handler.
  DataHandler(log::LogStore* store, const Clock* clock, HandlerOptions options);

  api::Response Handle(const api::Request& request);
  HandlerCounters counters() const;

 private:
  api::Response Create(const api::CreateLogRequest& r);
  api::Response Delete(const api::DeleteLogRequest& r);
  api::Response List(const api::ListLogsRequest& r);
  api::Response Produce(const api::ProduceRequest& r);
  api::Response Consume(const api::ConsumeRequest& r);
  api::Response Query(const api::QueryRequest& r);
  api::Response NodeStatus(const api::StatusRequest& r);
  bool Replicated(const std::string& log) const;

  log::LogStore* const store_;
  const Clock* const clock_;
  const HandlerOptions options_;
  const TimePoint started_;

  std::mutex catalog_mu_;  // serialises CreateLog/DeleteLog (check then act)
  std::mutex hw_mu_;       // high-watermark moves stay monotonic across producers
  mutable std::mutex counters_mu_;
  HandlerCounters counters_;
};

// The description of a stored log as the protocol reports it.
api::LogDescription Describe(const log::LogInfo& info);

}  // namespace dlog::service
