// ReplicatedPartition: one partition of a log, replicated by its own Raft group (one
// group per partition: partitions fail over independently and spread their leaders
// over the nodes; docs/REPLICATION.md). Sans-I/O toward the network, like the Raft
// core it drives: the owner feeds it peer messages, ticks and produce requests, calls
// Process(), and sends the messages / answers the outcomes it then hands back. Disk I/O
// (through log::Env) happens inside Process, on the caller's thread.
//
// Directory `dir`: raft/ (RaftDiskStorage: the Raft log, the partition's write-ahead
// log), data/ (a log::Partition holding the committed records, what consumers read) and
// checkpoint (apply_checkpoint.h: how far data/ is applied, with the producer table).
//
// Offsets: a record gets its offset when its entry is applied, i.e. committed, at the
// partition's end; every replica applies the same committed entries in the same order
// with the same deduplication table (producer_table.h), so a record has the same offset
// on every replica. data/ is derived state, so it needs no fsync of its own: every
// checkpoint_every applied entries, data/ is synced and a checkpoint written; Open
// keeps data/ up to the checkpoint (truncating what follows) and replays the committed
// entries after it, or, without a usable checkpoint, empties data/ and replays all.
//
// Produce acknowledgements (ProduceOutcome, by request id):
//   Acks::kNone    answered at once by Produce (kOk, no offsets) once the leader accepted it.
//   Acks::kLeader  once the leader's own log holds the entry durably (after Process's
//                  sync); no offsets yet: they are fixed at commit. Lost if the leader
//                  fails before replicating it.
//   Acks::kAll     once committed (durable on a majority) and applied: offsets given.
// A pending request is answered kLost (outcome unknown; retry with the same sequence,
// deduplication makes the retry safe) when this node stops leading or its entry is
// replaced by another leader's.
//
// Reads: Read(kLeader) only on the leader; Read(kLocalCommitted) on any replica, up to
// what it applied (committed, possibly behind the leader). Neither ever returns an
// uncommitted record.
//
// Not thread-safe: one thread owns an instance (its Raft, storage and partition).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/rng.h"
#include "log/env.h"
#include "log/partition.h"
#include "raft/raft.h"
#include "replica/producer_table.h"
#include "replica/raft_disk_storage.h"

namespace dlog::replica {

enum class Acks : uint8_t { kNone = 0, kLeader = 1, kAll = 2 };

struct ProduceRequest {
  uint64_t request_id = 0;   // echoed in the outcome; the caller's to choose
  uint64_t producer_id = 0;  // 0: no deduplication
  uint64_t sequence = 0;     // this batch's number for producer_id: 0, 1, 2, ...
  std::vector<log::Record> records;
  Acks acks = Acks::kAll;
};

enum class ProduceCode : uint8_t {
  kOk,          // stored as `acks` asked (offsets set for kAll)
  kDuplicate,   // an earlier copy was applied (offsets set if it was the latest batch)
  kNotLeader,   // send to leader_hint (kNoNode: unknown yet, try another replica)
  kBusy,        // back off and retry (flow control)
  kLost,        // outcome unknown (leadership changed): retry with the same sequence
  kOutOfOrder,  // an earlier sequence of this producer is missing: resend from it
  kInvalid,     // the request is wrong (message says why); do not retry
};

const char* ProduceCodeName(ProduceCode code);

struct ProduceOutcome {
  uint64_t request_id = 0;
  ProduceCode code = ProduceCode::kInvalid;
  std::optional<log::Offset> base_offset;
  std::optional<log::Offset> last_offset;
  raft::NodeId leader_hint = raft::kNoNode;
  std::string message;
};

enum class ReadFrom : uint8_t { kLeader, kLocalCommitted };

struct ReplicaOptions {
  raft::NodeId id = raft::kNoNode;
  std::vector<raft::NodeId> voters;  // initial voters (for a new group), id included
  raft::Config raft;                 // id and applied are set by Open
  RaftStorageOptions storage;
  log::PartitionOptions partition;   // fsync_policy is forced to kNever (see above)
  size_t max_pending = 4096;         // produce requests awaiting an answer
  size_t max_producers = 10000;      // deduplication sessions
  size_t max_outbox = 8192;          // messages between two TakeMessages (then dropped)
  uint64_t checkpoint_every = 4096;  // applied entries between checkpoints; 0: never
};

struct ReplicaStats {
  uint64_t applied_batches = 0;
  uint64_t duplicates = 0;
  uint64_t out_of_order = 0;
  uint64_t bad_entries = 0;       // committed entries that do not decode (never expected)
  uint64_t messages_dropped = 0;  // outbox full
};

class ReplicatedPartition {
 public:
  // `rng` and `clock` (wall time stamps records without a timestamp) must outlive it.
  static Result<std::unique_ptr<ReplicatedPartition>> Open(log::Env* env, const std::string& dir,
                                                           const ReplicaOptions& options, Rng* rng,
                                                           const Clock* clock);

  // Proposes the batch. Returns the outcome when it is final now (acks none, not leader,
  // busy, invalid); otherwise nullopt and the outcome comes from TakeOutcomes later.
  std::optional<ProduceOutcome> Produce(ProduceRequest request);
  // A message from a peer (decoded by wire.h). Errors: not addressed to this node.
  Status Step(raft::Message m);
  void Tick();
  // Runs the Ready cycle: persists entries and hard state (one sync per Ready), queues
  // the messages, applies committed entries, answers requests. Handles at most 64
  // Readies per call: call again while HasWork(). An error is a storage failure: the
  // replica must be closed and reopened.
  Status Process();
  bool HasWork() const { return raft_->HasReady(); }
  std::vector<raft::Message> TakeMessages();
  std::vector<ProduceOutcome> TakeOutcomes();

  // Committed records from `from`: see the header comment for `where`.
  Result<std::vector<log::Record>> Read(log::Offset from, const log::ReadOptions& options,
                                        ReadFrom where = ReadFrom::kLeader);

  raft::NodeId id() const { return raft_->id(); }
  bool is_leader() const { return raft_->role() == raft::Role::kLeader; }
  raft::NodeId leader() const { return raft_->leader(); }
  raft::Term term() const { return raft_->term(); }
  raft::Index commit_index() const { return raft_->commit_index(); }
  raft::Index applied_index() const { return raft_->applied_index(); }
  log::Offset end_offset() const { return partition_->LogEndOffset(); }
  const ReplicaStats& stats() const { return stats_; }
  const WalRecovery& wal_recovery() const { return storage_->recovery(); }
  // The applied index Open resumed from (its checkpoint's), 0 when it rebuilt data/.
  raft::Index resumed_at() const { return resumed_at_; }
  log::Partition& partition() { return *partition_; }

 private:
  struct Pending {
    uint64_t request_id = 0;
    raft::Term term = 0;
    Acks acks = Acks::kAll;
  };
  ReplicatedPartition(log::Env* env, std::string dir, const ReplicaOptions& options,
                      const Clock* clock);
  Status OpenData(raft::Index commit, raft::Index* applied);
  bool ResumeFromCheckpoint(raft::Index commit, const log::PartitionOptions& po,
                            raft::Index* applied);
  Status WriteCheckpoint();
  Status HandleReady(raft::Ready ready);
  Status Apply(const raft::Entry& e);
  Status ApplyCommand(const raft::Entry& e, ProduceOutcome* outcome);
  void AnswerDurable();
  void FailPending(const std::string& why);
  ProduceOutcome Immediate(const ProduceRequest& r, ProduceCode code, std::string message) const;

  log::Env* const env_;
  const std::string dir_;
  ReplicaOptions options_;
  const Clock* clock_;
  raft::Index checkpoint_applied_ = 0;  // applied index of the last checkpoint
  raft::Index resumed_at_ = 0;
  std::unique_ptr<RaftDiskStorage> storage_;
  std::unique_ptr<log::Partition> partition_;
  std::unique_ptr<raft::Raft> raft_;
  ProducerTable producers_;
  std::map<raft::Index, Pending> pending_;  // by entry index; bounded by max_pending
  raft::Term leading_term_ = 0;             // term in which pending_ was filled
  std::vector<raft::Message> outbox_;
  std::vector<ProduceOutcome> outcomes_;
  ReplicaStats stats_;
};

}  // namespace dlog::replica
