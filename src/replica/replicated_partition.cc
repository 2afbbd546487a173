#include "replica/replicated_partition.h"

#include <algorithm>
#include <utility>

#include "replica/apply_checkpoint.h"
#include "replica/produce_command.h"

namespace dlog::replica {

const char* ProduceCodeName(ProduceCode code) {
  switch (code) {
    case ProduceCode::kOk:
      return "ok";
    case ProduceCode::kDuplicate:
      return "duplicate";
    case ProduceCode::kNotLeader:
      return "not leader";
    case ProduceCode::kBusy:
      return "busy";
    case ProduceCode::kLost:
      return "lost";
    case ProduceCode::kOutOfOrder:
      return "out of order";
    case ProduceCode::kInvalid:
      return "invalid";
  }
  return "?";
}

ReplicatedPartition::ReplicatedPartition(log::Env* env, std::string dir,
                                         const ReplicaOptions& options, const Clock* clock)
    : env_(env),
      dir_(std::move(dir)),
      options_(options),
      clock_(clock),
      producers_(options.max_producers) {}

Result<std::unique_ptr<ReplicatedPartition>> ReplicatedPartition::Open(
    log::Env* env, const std::string& dir, const ReplicaOptions& options, Rng* rng,
    const Clock* clock) {
  if (Status s = log::CreateDirIfMissing(env, dir); !s.ok()) return s;
  if (Status s = env->SyncDir(log::DirName(dir)); !s.ok()) return s;  // raft/ lives below
  std::string raft_dir = log::JoinPath(dir, "raft");
  Result<raft::Membership> voters =
      options.voters.empty() ? raft::Membership{} : raft::Membership::Make(options.voters);
  if (!voters.ok()) return voters.status();

  std::unique_ptr<ReplicatedPartition> rp(new ReplicatedPartition(env, dir, options, clock));
  Result<std::unique_ptr<RaftDiskStorage>> storage =
      RaftDiskStorage::Open(env, raft_dir, options.id, *voters, options.storage);
  if (!storage.ok()) return storage.status();
  rp->storage_ = std::move(*storage);

  Result<raft::InitialState> init = rp->storage_->LoadInitialState();
  if (!init.ok()) return init.status();
  raft::Index applied = 0;
  if (Status s = rp->OpenData(init->hard_state.commit, &applied); !s.ok()) return s;

  raft::Config config = options.raft;
  config.id = options.id;
  config.applied = applied;
  Result<std::unique_ptr<raft::Raft>> raft = raft::Raft::Open(config, rp->storage_.get(), rng);
  if (!raft.ok()) return raft.status();
  rp->raft_ = std::move(*raft);
  return rp;
}

bool ReplicatedPartition::ResumeFromCheckpoint(raft::Index commit, const log::PartitionOptions& po,
                                               raft::Index* applied) {
  std::string data_dir = log::JoinPath(dir_, "data"), path = log::JoinPath(dir_, "checkpoint");
  if (!env_->DirExists(data_dir) || !env_->FileExists(path)) return false;
  Result<Bytes> bytes = log::ReadFileToBytes(
      env_, path,
      kCheckpointHeader + kCheckpointSessionSize * uint64_t(kMaxCheckpointSessions) + 4);
  if (!bytes.ok()) return false;
  Result<ApplyCheckpoint> cp = DecodeApplyCheckpoint(*bytes);
  if (!cp.ok() || cp->applied > commit) return false;
  Result<std::unique_ptr<log::Partition>> p = log::Partition::Open(env_, data_dir, po);
  if (!p.ok()) return false;
  log::Partition& part = **p;
  if (part.LogStartOffset() > cp->end_offset || part.LogEndOffset() < cp->end_offset) return false;
  if (part.LogEndOffset() > cp->end_offset && !part.Truncate(cp->end_offset).ok()) return false;
  partition_ = std::move(*p);
  producers_.Restore(cp->sessions);
  *applied = checkpoint_applied_ = resumed_at_ = cp->applied;
  return true;
}

Status ReplicatedPartition::OpenData(raft::Index commit, raft::Index* applied) {
  log::PartitionOptions po = options_.partition;
  po.fsync_policy = log::FsyncPolicy::kNever;
  po.clock = clock_;
  if (ResumeFromCheckpoint(commit, po, applied)) return Status::Ok();
  // No usable checkpoint: start data/ empty and let the core hand back every committed
  // entry (applied = 0).
  std::string data_dir = log::JoinPath(dir_, "data"), path = log::JoinPath(dir_, "checkpoint");
  if (env_->FileExists(path)) {
    if (Status s = env_->RemoveFile(path); !s.ok()) return s;
  }
  if (env_->DirExists(data_dir)) {
    if (Status s = log::RemoveTree(env_, data_dir); !s.ok()) return s;
  }
  if (Status s = log::CreateDirIfMissing(env_, data_dir); !s.ok()) return s;
  Result<std::unique_ptr<log::Partition>> partition = log::Partition::Open(env_, data_dir, po);
  if (!partition.ok()) return partition.status();
  partition_ = std::move(*partition);
  producers_.Clear();
  *applied = checkpoint_applied_ = 0;
  return Status::Ok();
}

Status ReplicatedPartition::WriteCheckpoint() {
  // data/ first: the checkpoint promises that data/ holds end_offset records.
  if (Status s = partition_->Sync(); !s.ok()) return s;
  ApplyCheckpoint cp{applied_index(), partition_->LogEndOffset(), producers_.Sessions()};
  Bytes bytes = EncodeApplyCheckpoint(cp);
  if (Status s = log::WriteFileAtomically(env_, log::JoinPath(dir_, "checkpoint"), bytes);
      !s.ok()) {
    return s;
  }
  checkpoint_applied_ = cp.applied;
  return Status::Ok();
}

ProduceOutcome ReplicatedPartition::Immediate(const ProduceRequest& r, ProduceCode code,
                                              std::string message) const {
  ProduceOutcome o;
  o.request_id = r.request_id;
  o.code = code;
  o.leader_hint = raft_->leader();
  o.message = std::move(message);
  return o;
}

std::optional<ProduceOutcome> ReplicatedPartition::Produce(ProduceRequest r) {
  if (!is_leader()) return Immediate(r, ProduceCode::kNotLeader, "not the leader");
  if (r.records.empty()) return Immediate(r, ProduceCode::kInvalid, "no records");
  int64_t now_ms = clock_->WallNow().unix_nanos / 1'000'000;
  for (log::Record& rec : r.records) {
    if (Status s = log::ValidateRecord(rec); !s.ok()) {
      return Immediate(r, ProduceCode::kInvalid, s.message());
    }
    if (rec.timestamp_ms == log::kNoTimestamp) rec.timestamp_ms = now_ms;
  }
  if (pending_.size() >= options_.max_pending) {
    return Immediate(r, ProduceCode::kBusy, "too many requests in flight; retry later");
  }
  Result<Bytes> data = EncodeProduceCommand({r.producer_id, r.sequence, std::move(r.records)});
  if (!data.ok()) return Immediate(r, ProduceCode::kInvalid, data.error());
  if (data->size() > raft::kMaxEntryDataBytes) {
    return Immediate(r, ProduceCode::kInvalid, "batch larger than 1 MiB; split it");
  }
  raft::ProposeResult p = raft_->Propose(std::move(*data));
  switch (p.code) {
    case raft::ProposeResult::Code::kProposed:
      break;
    case raft::ProposeResult::Code::kNotLeader:
      return Immediate(r, ProduceCode::kNotLeader, "not the leader");
    case raft::ProposeResult::Code::kBusy:
      return Immediate(r, ProduceCode::kBusy, p.reason);
    case raft::ProposeResult::Code::kRejected:
      return Immediate(r, ProduceCode::kInvalid, p.reason);
  }
  if (leading_term_ != p.term) FailPending("leadership changed; retry");
  leading_term_ = p.term;
  if (r.acks == Acks::kNone) return Immediate(r, ProduceCode::kOk, "");
  pending_[p.index] = Pending{r.request_id, p.term, r.acks};
  return std::nullopt;
}

Status ReplicatedPartition::Step(raft::Message m) { return raft_->Step(std::move(m)); }

void ReplicatedPartition::Tick() { raft_->Tick(); }

Status ReplicatedPartition::Process() {
  // Bounded: each round either persists, sends or applies; the core's queues are bounded.
  for (int round = 0; round < 64 && raft_->HasReady(); ++round) {
    raft::Ready ready = raft_->GetReady();
    Status s = HandleReady(ready);
    raft_->Advance(ready);
    if (!s.ok()) return s;
  }
  if (!pending_.empty() && (!is_leader() || term() != leading_term_)) {
    FailPending("leadership lost; outcome unknown, retry with the same sequence");
  }
  if (options_.checkpoint_every &&
      applied_index() >= checkpoint_applied_ + options_.checkpoint_every) {
    return WriteCheckpoint();
  }
  return Status::Ok();
}

Status ReplicatedPartition::HandleReady(raft::Ready ready) {
  // 1. Entries, then hard state, one sync barrier (raft.h's Ready contract).
  if (Status s = storage_->Append(ready.entries); !s.ok()) return s;
  if (ready.hard_state) {
    if (Status s = storage_->SetHardState(*ready.hard_state); !s.ok()) return s;
  }
  if (!ready.entries.empty() || ready.hard_state) {
    if (Status s = storage_->Sync(); !s.ok()) return s;
  }
  // 2. Only now may messages leave.
  for (raft::Message& m : ready.messages) {
    if (outbox_.size() >= options_.max_outbox) {
      ++stats_.messages_dropped;  // Raft retransmits
      continue;
    }
    outbox_.push_back(std::move(m));
  }
  AnswerDurable();
  // 3. Apply, in order.
  for (const raft::Entry& e : ready.committed_entries) {
    if (Status s = Apply(e); !s.ok()) return s;
  }
  return Status::Ok();
}

void ReplicatedPartition::AnswerDurable() {
  for (auto it = pending_.begin(); it != pending_.end();) {
    raft::Index i = it->first;
    if (it->second.acks != Acks::kLeader || i > storage_->LastIndex()) {
      ++it;
      continue;
    }
    ProduceOutcome o;
    o.request_id = it->second.request_id;
    Result<raft::Term> t = storage_->TermAt(i);
    o.code = t.ok() && *t == it->second.term ? ProduceCode::kOk : ProduceCode::kLost;
    o.leader_hint = raft_->leader();
    outcomes_.push_back(std::move(o));
    it = pending_.erase(it);
  }
}

Status ReplicatedPartition::Apply(const raft::Entry& e) {
  std::optional<Pending> waiting;
  if (auto it = pending_.find(e.index); it != pending_.end()) {
    waiting = it->second;
    pending_.erase(it);
  }
  ProduceOutcome o;
  o.code = ProduceCode::kLost;
  if (e.type == raft::EntryType::kNormal && !e.data.empty()) {
    if (Status s = ApplyCommand(e, &o); !s.ok()) return s;
  }
  if (waiting) {
    if (waiting->term != e.term) {
      o = ProduceOutcome{};
      o.code = ProduceCode::kLost;
      o.message = "replaced by another leader's entry; retry with the same sequence";
    }
    o.request_id = waiting->request_id;
    o.leader_hint = raft_->leader();
    outcomes_.push_back(std::move(o));
  }
  return Status::Ok();
}

Status ReplicatedPartition::ApplyCommand(const raft::Entry& e, ProduceOutcome* o) {
  Result<ProduceCommand> c = DecodeProduceCommand(e.data);
  if (!c.ok()) {
    ++stats_.bad_entries;
    o->code = ProduceCode::kInvalid;
    o->message = c.error();
    return Status::Ok();
  }
  const ProducerSession* session = nullptr;
  SequenceVerdict v = c->producer_id == 0 ? SequenceVerdict::kApply
                                          : producers_.Check(c->producer_id, c->sequence, &session);
  switch (v) {
    case SequenceVerdict::kApply:
      break;
    case SequenceVerdict::kDuplicateOfLast:
      o->base_offset = session->last_base_offset;
      o->last_offset = session->last_last_offset;
      [[fallthrough]];
    case SequenceVerdict::kDuplicate:
      ++stats_.duplicates;
      o->code = ProduceCode::kDuplicate;
      return Status::Ok();
    case SequenceVerdict::kOutOfOrder:
      ++stats_.out_of_order;
      o->code = ProduceCode::kOutOfOrder;
      o->message = "sequence " + std::to_string(c->sequence) + " but " +
                   std::to_string(session->next_sequence) + " expected; resend from it";
      return Status::Ok();
  }
  Result<log::AppendResult> r = partition_->Append(c->records, e.term);
  if (!r.ok()) return r.status();
  if (Status s = partition_->SetHighWatermark(partition_->LogEndOffset()); !s.ok()) return s;
  if (c->producer_id != 0) {
    producers_.Applied(c->producer_id, c->sequence, r->base_offset, r->last_offset, e.index);
  }
  ++stats_.applied_batches;
  o->code = ProduceCode::kOk;
  o->base_offset = r->base_offset;
  o->last_offset = r->last_offset;
  return Status::Ok();
}

void ReplicatedPartition::FailPending(const std::string& why) {
  for (auto& [index, p] : pending_) {
    ProduceOutcome o;
    o.request_id = p.request_id;
    o.code = ProduceCode::kLost;
    o.leader_hint = raft_->leader();
    o.message = why;
    outcomes_.push_back(std::move(o));
  }
  pending_.clear();
}

std::vector<raft::Message> ReplicatedPartition::TakeMessages() {
  return std::exchange(outbox_, {});
}

std::vector<ProduceOutcome> ReplicatedPartition::TakeOutcomes() {
  return std::exchange(outcomes_, {});
}

Result<std::vector<log::Record>> ReplicatedPartition::Read(log::Offset from,
                                                           const log::ReadOptions& options,
                                                           ReadFrom where) {
  if (where == ReadFrom::kLeader && !is_leader()) {
    return Status::Error("not the leader of this partition; leader is node " +
                         std::to_string(leader()));
  }
  log::ReadOptions o = options;
  o.max_offset = std::min(o.max_offset, partition_->HighWatermark());
  return partition_->Read(from, o);
}

}  // namespace dlog::replica
