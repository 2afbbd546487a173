// ReplicatedLogs: the logs of this node whose partitions are replicated by Raft groups
// (ReplicaNode), and how the client API reaches them (docs/SERVICE.md, "Replication").
// DataHandler routes Produce, Consume and Query of these logs here instead of to the
// single-node LogStore:
//  - Produce goes to the partition's ReplicaNode: acks=all answers once committed and
//    applied (offsets from the commit), acks=leader once the leader's log holds it
//    durably (no offsets are fixed yet: the response carries zeros), acks=none at once.
//    On a follower the answer is NotLeader with the leader's name and client address
//    (SetMember); kLost / kBusy / a timeout are Internal errors saying the outcome is
//    unknown or to back off.
//  - Consume and Query read the committed records this replica applied
//    (ReadFrom::kLocalCommitted): on a follower they may lag the leader.
// The client protocol carries no producer id, so a client's retry after an unknown
// outcome may duplicate a batch (the replica layer's deduplication is not reachable
// through the client API yet).
//
// Thread-safety: registration (Add, SetMember) before serving; the rest from any thread.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/messages.h"
#include "api/record_source.h"
#include "service/replica_node.h"

namespace dlog::service {

struct MemberAddress {
  std::string name;
  std::string client_address;  // "host:port" of its client API
};

class ReplicatedLogs {
 public:
  explicit ReplicatedLogs(std::chrono::milliseconds produce_timeout = std::chrono::seconds(10))
      : produce_timeout_(produce_timeout) {}

  // `nodes[p]` replicates partition p of `log` ("namespace/name"); they must outlive this.
  Status Add(const std::string& log, std::vector<ReplicaNode*> nodes, int64_t created_unix_ms = 0);
  void SetMember(raft::NodeId id, MemberAddress address);

  bool Has(const std::string& log) const { return logs_.count(log) > 0; }
  std::vector<api::LogDescription> List() const;

  api::Response Produce(const api::ProduceRequest& request);
  api::Response Consume(const api::ConsumeRequest& request);

  std::optional<uint32_t> Partitions(const std::string& log) const;
  Result<std::vector<log::Record>> Read(const std::string& log, uint32_t partition, uint64_t from,
                                        uint32_t max_records);

 private:
  struct Entry {
    std::vector<ReplicaNode*> nodes;
    int64_t created_unix_ms = 0;
  };
  const std::chrono::milliseconds produce_timeout_;
  std::map<std::string, Entry> logs_;
  std::map<raft::NodeId, MemberAddress> members_;
};

// A RecordSource over the replicated logs first, then another source (the LogStore's).
class CombinedSource final : public api::RecordSource {
 public:
  CombinedSource(const ReplicatedLogs* replicated, api::RecordSource* local)
      : replicated_(const_cast<ReplicatedLogs*>(replicated)), local_(local) {}
  std::optional<uint32_t> Partitions(const std::string& log) override;
  Result<std::vector<log::Record>> Read(const std::string& log, uint32_t partition, uint64_t from,
                                        uint32_t max_records) override;

 private:
  ReplicatedLogs* const replicated_;
  api::RecordSource* const local_;
};

}  // namespace dlog::service
