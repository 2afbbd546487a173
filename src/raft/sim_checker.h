// SimChecker: the properties the simulator (sim.h) asserts, fed as events happen.
//
//   election safety      at most one leader per term (§5.2)
//   state machine safety every node applies the same entry at each index, and each
//                        (re)started state machine applies indices 1, 2, 3, ... (§5.4.3)
//   log safety           each node's applied record sequence holds every acknowledged
//                        record exactly once, each client's records in order
//   no committed rewrite no follower was asked to overwrite a committed entry
//
// The first violation is kept, with its virtual time; later ones are ignored.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "raft/types.h"

namespace dlog::raft {

// (client, sequence number) of one record.
using RecordId = std::pair<uint64_t, uint64_t>;

class SimChecker {
 public:
  void OnLeader(int64_t now, Term term, NodeId node);
  void OnApply(int64_t now, NodeId node, const Entry& e);
  // The node restarted: its state machine replays from index 1.
  void OnRestart(NodeId node) { next_apply_[node] = 1; }
  void OnCommittedConflict(int64_t now, NodeId node);
  void OnAck(int64_t now, const RecordId& record);
  // `records`: the node's applied records, deduplicated by its state machine. Each
  // client's must run 1, 2, 3, ...; with `complete`, every acknowledged one must be there.
  void CheckRecords(int64_t now, NodeId node, const std::vector<RecordId>& records, bool complete);
  void Fail(int64_t now, const std::string& what);

  bool ok() const { return violation_.empty(); }
  const std::string& violation() const { return violation_; }
  size_t acked() const { return acked_.size(); }
  size_t committed() const { return applied_.size(); }
  size_t leaders() const { return leaders_.size(); }

 private:
  std::map<Term, NodeId> leaders_;
  std::vector<Entry> applied_;  // index k + 1: the entry first applied there, anywhere
  std::map<NodeId, Index> next_apply_;
  std::set<RecordId> acked_;
  std::string violation_;
};

}  // namespace dlog::raft
