// The simulator's node driver: the Ready cycle against MemoryStorage with a disk delay,
// the state machine (records with per-client sessions) and crash/restart.
#include <cinttypes>

#include "raft/sim_world.h"

namespace dlog::raft::sim {
namespace {

constexpr size_t kRecordSize = 16;  // client u64 | seq u64

Bytes EncodeRecord(const RecordId& r) {
  Bytes b(kRecordSize);
  StoreLE64(b.data(), r.first);
  StoreLE64(b.data() + 8, r.second);
  return b;
}

}  // namespace

Config World::NodeConfig(const SimNode& node) const {
  Config c;
  c.id = node.id;
  c.election_ticks = options_.election_ticks;
  c.heartbeat_ticks = 1;
  c.max_append_bytes = options_.max_append_bytes;
  c.max_inflight = options_.max_inflight;
  c.unsafe = options_.unsafe;
  return c;  // applied = 0: the state machine is volatile and replays the log
}

void World::StartNode(size_t n) {
  SimNode& node = nodes_[n];
  node.id = n + 1;
  std::vector<NodeId> voters;
  for (int v = 1; v <= options_.voters; ++v) voters.push_back(NodeId(v));
  Membership bootstrap = n < size_t(options_.voters) ? *Membership::Make(voters) : Membership{};
  node.storage = std::make_unique<MemoryStorage>(bootstrap);
  node.rng = std::make_unique<SimRng>(rng_.Fork());
  Restart(n);
}

void World::Restart(size_t n) {
  SimNode& node = nodes_[n];
  Result<std::unique_ptr<Raft>> raft =
      Raft::Open(NodeConfig(node), node.storage.get(), node.rng.get());
  if (!raft.ok()) {
    checker_.Fail(now_, "node " + std::to_string(node.id) + " cannot restart: " + raft.error());
    return;
  }
  node.raft = std::move(*raft);
  ++node.incarnation;
  node.disk_busy = false;
  node.conflicts_seen = 0;
  node.last_role = Role::kFollower;
  node.last_term = node.raft->term();
  node.next_seq.clear();
  node.records.clear();
  node.proposals.clear();
  checker_.OnRestart(node.id);
  Event tick = At(now_ + rng_.Between(1, options_.tick_ms), EventKind::kTick);
  tick.node = n;
  tick.incarnation = node.incarnation;
  Schedule(std::move(tick));
  Trace("node %" PRIu64 " up (term %" PRIu64 ", log %" PRIu64 ")", node.id, node.raft->term(),
        node.raft->last_index());
}

void World::Crash(size_t n) {
  SimNode& node = nodes_[n];
  node.raft.reset();
  node.storage->Crash();  // unsynced writes are lost
  node.ready = Ready{};
  node.disk_busy = false;
  ++node.incarnation;
  ++result_.crashes;
  Trace("node %" PRIu64 " crashed", node.id);
}

void World::OnTick(size_t n) {
  SimNode& node = nodes_[n];
  node.raft->Tick();
  AfterInput(n);
  Event tick = At(now_ + options_.tick_ms + rng_.Between(-1, 1), EventKind::kTick);  // drift
  tick.node = n;
  tick.incarnation = node.incarnation;
  Schedule(std::move(tick));
}

void World::OnDeliver(size_t n, const Bytes& wire) {
  Result<Message> m = DecodeMessage(wire);
  if (!m.ok()) {
    checker_.Fail(now_, "codec: a message we encoded does not decode: " + m.error());
    return;
  }
  if (options_.trace_messages) {
    Trace("  %" PRIu64 "->%" PRIu64 " %s t%" PRIu64 " idx %" PRIu64 " lt %" PRIu64
          " commit %" PRIu64 " n=%zu%s hint %" PRIu64,
          m->from, m->to, MessageTypeName(m->type), m->term, m->index, m->log_term, m->commit,
          m->entries.size(), m->reject ? " REJECT" : "", m->reject_hint);
  }
  if (Status s = nodes_[n].raft->Step(std::move(*m)); !s.ok()) {
    checker_.Fail(now_, "step refused a well-formed message: " + s.message());
    return;
  }
  AfterInput(n);
}

void World::OnClientRequest(size_t n, size_t client, uint64_t seq) {
  SimNode& node = nodes_[n];
  RecordId record{clients_[client].id, seq};
  ProposeResult r = node.raft->Propose(EncodeRecord(record));
  if (!r.ok()) {
    Reply(n, EventKind::kClientRedirect, client, seq, r.leader_hint);
    return;
  }
  node.proposals[r.index] = SimNode::Proposal{record, r.term};
  AfterInput(n);
}

// Observes the node after each input, and starts writing its next Ready.
void World::AfterInput(size_t n) {
  SimNode& node = nodes_[n];
  Raft& raft = *node.raft;
  if (raft.role() == Role::kLeader) checker_.OnLeader(now_, raft.term(), node.id);
  if (raft.role() != node.last_role || raft.term() != node.last_term) {
    Trace("node %" PRIu64 " %s in term %" PRIu64 " (last %" PRIu64 ", commit %" PRIu64 ")", node.id,
          RoleName(raft.role()), raft.term(), raft.last_index(), raft.commit_index());
    node.last_role = raft.role();
    node.last_term = raft.term();
  }
  if (raft.stats().committed_conflicts > node.conflicts_seen) {
    checker_.OnCommittedConflict(now_, node.id);
    node.conflicts_seen = raft.stats().committed_conflicts;
  }
  if (node.disk_busy || !raft.HasReady()) return;
  node.ready = raft.GetReady();
  node.disk_busy = true;
  if (options_.unsafe_send_before_persist) SendAll(n, node.ready.messages);
  Event done = At(now_ + rng_.Between(0, options_.max_disk_ms), EventKind::kDiskDone);
  done.node = n;
  done.incarnation = node.incarnation;
  Schedule(std::move(done));
}

// The Ready contract (raft.h): write, sync, then send, then apply, then Advance.
void World::OnDiskDone(size_t n) {
  SimNode& node = nodes_[n];
  Ready ready = std::move(node.ready);
  node.ready = Ready{};
  node.disk_busy = false;
  Status s = node.storage->Append(ready.entries);
  if (s.ok() && ready.hard_state) {
    HardState hs = *ready.hard_state;
    if (options_.unsafe_forget_vote) hs.vote = kNoNode;
    s = node.storage->SetHardState(hs);
  }
  if (s.ok()) s = node.storage->Sync();
  if (!s.ok()) {
    checker_.Fail(now_, "storage: " + s.message());
    return;
  }
  if (!options_.unsafe_send_before_persist) SendAll(n, ready.messages);
  for (const Entry& e : ready.committed_entries) Apply(n, e);
  node.raft->Advance(ready);
  AfterInput(n);
}

void World::SendAll(size_t n, const std::vector<Message>& messages) {
  for (const Message& m : messages) Transmit(n, m);
}

// The state machine: record (client, seq) applies only as the client's next one;
// a retried copy of an applied record is a duplicate, a record after a gap is skipped
// (the client resends it). The node that accepted a proposal answers the client.
void World::Apply(size_t n, const Entry& e) {
  SimNode& node = nodes_[n];
  checker_.OnApply(now_, node.id, e);
  Mix(e.index << 20 | e.term);
  auto p = node.proposals.find(e.index);
  bool mine = false;
  RecordId record{0, 0};
  if (e.type == EntryType::kNormal && e.data.size() == kRecordSize) {
    record = {LoadLE64(e.data.data()), LoadLE64(e.data.data() + 8)};
    mine = p != node.proposals.end() && p->second.record == record && p->second.term == e.term;
  }
  if (p != node.proposals.end()) node.proposals.erase(p);
  if (record.first == 0) return;
  uint64_t& next = node.next_seq.try_emplace(record.first, 1).first->second;
  size_t client = size_t(record.first - 1);
  if (record.second == next) {
    ++next;
    node.records.push_back(record);
  } else if (record.second > next) {
    if (mine) Reply(n, EventKind::kClientRedirect, client, record.second, node.id);
    return;
  }
  if (mine) Reply(n, EventKind::kClientAck, client, record.second, kNoNode);
}

void World::Reply(size_t n, EventKind kind, size_t client, uint64_t seq, NodeId hint) {
  if (rng_.Chance(loss_)) return;
  Event e = At(now_ + Delay(), kind);
  e.client = client;
  e.seq = seq;
  e.hint = hint;
  Schedule(std::move(e));
}

std::vector<size_t> World::UpNodes() const {
  std::vector<size_t> out;
  for (size_t n = 0; n < nodes_.size(); ++n) {
    if (nodes_[n].raft) out.push_back(n);
  }
  return out;
}

std::vector<size_t> World::DownNodes() const {
  std::vector<size_t> out;
  for (size_t n = 0; n < nodes_.size(); ++n) {
    if (!nodes_[n].raft) out.push_back(n);
  }
  return out;
}

// The up leader of the highest term, if it is a voter.
SimNode* World::Leader() {
  SimNode* best = nullptr;
  for (SimNode& node : nodes_) {
    if (!node.raft || node.raft->role() != Role::kLeader) continue;
    if (!best || node.raft->term() > best->raft->term()) best = &node;
  }
  if (best && !best->raft->membership().Contains(best->id)) return nullptr;
  return best;
}

}  // namespace dlog::raft::sim
