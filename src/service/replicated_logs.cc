#include "service/replicated_logs.h"

#include <algorithm>

#include "log/log_name.h"

namespace dlog::service {

namespace {

using api::ErrorCode;
using api::MakeError;

replica::Acks ToReplica(api::Acks a) {
  switch (a) {
    case api::Acks::kNone:
      return replica::Acks::kNone;
    case api::Acks::kLeader:
      return replica::Acks::kLeader;
    case api::Acks::kAll:
      return replica::Acks::kAll;
  }
  return replica::Acks::kAll;
}

api::ErrorResponse PartitionRange(const std::string& log, size_t n, uint32_t p) {
  return MakeError(
      ErrorCode::kInvalidRequest,
      "log " + log + " has partitions 0.." + std::to_string(n - 1) + ", not " + std::to_string(p));
}

}  // namespace

Status ReplicatedLogs::Add(const std::string& log, std::vector<ReplicaNode*> nodes,
                           int64_t created_unix_ms) {
  if (auto name = log::LogName::Parse(log); !name.ok()) return name.status();
  if (nodes.empty() || nodes.size() > log::kMaxPartitions) {
    return Status::Error("a replicated log needs 1.." + std::to_string(log::kMaxPartitions) +
                         " partitions");
  }
  if (logs_.count(log)) return Status::Error("log " + log + " is already registered");
  logs_[log] = Entry{std::move(nodes), created_unix_ms};
  return Status::Ok();
}

void ReplicatedLogs::SetMember(raft::NodeId id, MemberAddress address) {
  members_[id] = std::move(address);
}

std::vector<api::LogDescription> ReplicatedLogs::List() const {
  std::vector<api::LogDescription> out;
  for (const auto& [name, e] : logs_) {
    api::LogDescription d;
    d.name = name;
    d.partitions = uint32_t(e.nodes.size());
    d.replication_factor = uint8_t(std::min<size_t>(255, e.nodes.front()->voters()));
    d.created_unix_ms = e.created_unix_ms;
    out.push_back(d);
  }
  return out;
}

api::Response ReplicatedLogs::Produce(const api::ProduceRequest& r) {
  auto it = logs_.find(r.log);
  if (it == logs_.end()) return MakeError(ErrorCode::kUnknownLog, "no log named " + r.log);
  const auto& nodes = it->second.nodes;
  uint32_t partition = r.partition;
  if (r.selector == api::PartitionSelector::kKeyHash && !r.records.empty()) {
    partition = api::PartitionForKey(r.records.front().key, uint32_t(nodes.size()));
  } else if (partition >= nodes.size()) {
    return PartitionRange(r.log, nodes.size(), partition);
  }
  ReplicaNode* node = nodes[partition];
  replica::ProduceRequest pr;
  pr.records = r.records;
  pr.acks = ToReplica(r.acks);
  replica::ProduceOutcome o = node->Produce(std::move(pr), produce_timeout_);
  switch (o.code) {
    case replica::ProduceCode::kOk:
    case replica::ProduceCode::kDuplicate:
      return api::ProduceResponse{partition, o.base_offset.value_or(0), o.last_offset.value_or(0)};
    case replica::ProduceCode::kNotLeader: {
      api::ErrorResponse e =
          MakeError(ErrorCode::kNotLeader, "this node does not lead partition " +
                                               std::to_string(partition) + " of " + r.log);
      if (auto m = members_.find(o.leader_hint); m != members_.end()) {
        e.leader_name = m->second.name;
        e.leader_address = m->second.client_address;
      }
      return e;
    }
    case replica::ProduceCode::kBusy:
      return MakeError(ErrorCode::kInternal, "the partition is busy; back off and retry");
    case replica::ProduceCode::kLost:
      return MakeError(ErrorCode::kInternal,
                       "outcome unknown (" + o.message + "); the batch may or may not be stored");
    case replica::ProduceCode::kOutOfOrder:
    case replica::ProduceCode::kInvalid:
      break;
  }
  return MakeError(ErrorCode::kInvalidRequest, o.message);
}

api::Response ReplicatedLogs::Consume(const api::ConsumeRequest& r) {
  auto it = logs_.find(r.log);
  if (it == logs_.end()) return MakeError(ErrorCode::kUnknownLog, "no log named " + r.log);
  const auto& nodes = it->second.nodes;
  if (r.partition >= nodes.size()) return PartitionRange(r.log, nodes.size(), r.partition);
  ReplicaNode* node = nodes[r.partition];
  api::ConsumeResponse out;
  out.partition = r.partition;
  out.high_watermark = node->committed_end();
  out.log_start_offset = 0;
  if (r.from_offset > out.high_watermark) {
    return MakeError(ErrorCode::kOffsetOutOfRange,
                     "offset " + std::to_string(r.from_offset) + " is past the committed end " +
                         std::to_string(out.high_watermark) + " of " + r.log + " partition " +
                         std::to_string(r.partition) + " on this replica");
  }
  if (r.from_offset == out.high_watermark || r.max_records == 0) return out;
  auto records = node->Read(r.from_offset, r.max_records);
  if (!records.ok()) return MakeError(ErrorCode::kInternal, records.error());
  uint64_t bytes = 0;
  for (log::Record& rec : *records) {
    if (!out.records.empty() && bytes + rec.value.size() + rec.key.size() > r.max_bytes) break;
    bytes += rec.value.size() + rec.key.size();
    out.records.push_back(std::move(rec));
  }
  return out;
}

std::optional<uint32_t> ReplicatedLogs::Partitions(const std::string& log) const {
  auto it = logs_.find(log);
  if (it == logs_.end()) return std::nullopt;
  return uint32_t(it->second.nodes.size());
}

Result<std::vector<log::Record>> ReplicatedLogs::Read(const std::string& log, uint32_t partition,
                                                      uint64_t from, uint32_t max_records) {
  auto it = logs_.find(log);
  if (it == logs_.end()) return Status::Error("no log named " + log);
  if (partition >= it->second.nodes.size()) return Status::Error("no such partition");
  ReplicaNode* node = it->second.nodes[partition];
  if (from >= node->committed_end()) return std::vector<log::Record>();
  return node->Read(from, max_records);
}

std::optional<uint32_t> CombinedSource::Partitions(const std::string& log) {
  if (auto n = replicated_->Partitions(log)) return n;
  return local_->Partitions(log);
}

Result<std::vector<log::Record>> CombinedSource::Read(const std::string& log, uint32_t partition,
                                                      uint64_t from, uint32_t max_records) {
  if (replicated_->Has(log)) return replicated_->Read(log, partition, from, max_records);
  return local_->Read(log, partition, from, max_records);
}

}  // namespace dlog::service
