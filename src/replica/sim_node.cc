// The replica simulator's replicas (open, crash, restart, the Process cycle) and its
// idempotent acks=all producers.
#include <cinttypes>

#include "replica/sim_world.h"
#include "replica/wire.h"

namespace dlog::replica::sim {
namespace {

constexpr char kDir[] = "/replica";
constexpr size_t kValueSize = 24;  // producer u64 | seq u64 | k u32 | n u32

// request id: client (16 bits) | seq (32 bits) | attempt (16 bits)
uint64_t RequestId(size_t c, uint64_t seq, uint32_t attempt) {
  return uint64_t(c) << 48 | (seq & 0xffffffff) << 16 | (attempt & 0xffff);
}

}  // namespace

ReplicaOptions World::NodeOptions(const Node& node) const {
  ReplicaOptions o;
  o.id = node.id;
  for (size_t n = 0; n < nodes_.size(); ++n) o.voters.push_back(n + 1);
  o.raft.election_ticks = options_.election_ticks;
  o.raft.heartbeat_ticks = 1;
  o.raft.max_append_bytes = options_.max_append_bytes;
  o.raft.max_inflight = 8;
  o.checkpoint_every = options_.checkpoint_every;
  o.partition.segment_bytes = 16 * 1024;  // several segments per run
  o.partition.index_interval_bytes = 256;
  return o;
}

void World::Start(size_t n) {
  Node& node = nodes_[n];
  Result<std::unique_ptr<ReplicatedPartition>> r =
      ReplicatedPartition::Open(node.env.get(), kDir, NodeOptions(node), node.rng.get(), &clock_);
  if (!r.ok()) {
    Fail("node " + std::to_string(node.id) + " cannot restart: " + r.error());
    return;
  }
  node.replica = std::move(*r);
  node.checked_end = 0;  // recheck all it holds after recovery
  ++node.incarnation;
  if (node.replica->wal_recovery().cut_bytes) ++result_.torn_tails;
  if (node.replica->resumed_at()) ++result_.resumes;
  Trace("node %" PRIu64 " up: term %" PRIu64 ", wal cut %" PRIu64 " bytes", node.id,
        node.replica->term(), node.replica->wal_recovery().cut_bytes);
  Event tick;
  tick.time = now_ + rng_.Between(1, options_.tick_ms);
  tick.kind = EventKind::kTick;
  tick.node = n;
  tick.incarnation = node.incarnation;
  Schedule(std::move(tick));
  AfterInput(n);
}

void World::Crash(size_t n) {
  Node& node = nodes_[n];
  node.replica.reset();
  node.armed = false;
  // Unsynced bytes: none, all, or a torn prefix survive.
  node.env->Crash([this](const std::string&, size_t unsynced) -> size_t {
    switch (rng_.Between(0, 2)) {
      case 0:
        return 0;
      case 1:
        return unsynced;
      default:
        return size_t(rng_.Between(0, int64_t(unsynced)));
    }
  });
  ++node.incarnation;
  ++result_.crashes;
  Trace("node %" PRIu64 " crashed", node.id);
  Event restart;
  restart.time = now_ + rng_.Between(20, 1000);
  restart.kind = EventKind::kRestart;
  restart.node = n;
  restart.incarnation = node.incarnation;
  Schedule(std::move(restart));
}

void World::OnTick(size_t n) {
  Node& node = nodes_[n];
  node.replica->Tick();
  AfterInput(n);
  if (!node.replica) return;
  Event tick;
  tick.time = now_ + options_.tick_ms;
  tick.kind = EventKind::kTick;
  tick.node = n;
  tick.incarnation = node.incarnation;
  Schedule(std::move(tick));
}

void World::OnDeliver(size_t n, const Bytes& frame) {
  FrameReader reader;
  reader.Feed(frame);
  Result<std::optional<RaftFrame>> f = reader.Next();
  if (!f.ok() || !*f) {
    Fail("a frame the simulator encoded does not decode");
    return;
  }
  if (!nodes_[n].replica->Step(std::move((*f)->message)).ok()) return;
  AfterInput(n);
}

void World::OnRequest(size_t n, size_t c, uint64_t seq, uint32_t attempt) {
  ProduceRequest req;
  req.request_id = RequestId(c, seq, attempt);
  req.producer_id = options_.unsafe_no_dedup ? 0 : clients_[c].producer;
  req.sequence = seq;
  req.records = BatchOf(c, seq);
  req.acks = options_.unsafe_acks_leader ? Acks::kLeader : Acks::kAll;
  std::optional<ProduceOutcome> now = nodes_[n].replica->Produce(std::move(req));
  if (now) Reply(c, *now);
  AfterInput(n);
}

void World::AfterInput(size_t n) {
  Node& node = nodes_[n];
  Status s = node.replica->Process();
  for (int more = 0; more < 16 && s.ok() && node.replica->HasWork(); ++more) {
    s = node.replica->Process();
  }
  if (!s.ok()) {
    if (!node.armed) return Fail("node " + std::to_string(node.id) + ": " + s.message());
    Trace("node %" PRIu64 ": power cut mid-write (%s)", node.id, s.message().c_str());
    node.replica->TakeMessages();  // never sent: the writes they promise failed
    return Crash(n);
  }
  if (node.replica->is_leader() && node.led_term != node.replica->term()) {
    node.led_term = node.replica->term();
    Trace("node %" PRIu64 " leads term %" PRIu64 " (commit %" PRIu64 ")", node.id, node.led_term,
          node.replica->commit_index());
  }
  CheckPrefix(n);
  for (const raft::Message& m : node.replica->TakeMessages()) Transmit(n, m);
  for (const ProduceOutcome& o : node.replica->TakeOutcomes()) Reply(size_t(o.request_id >> 48), o);
}

void World::Reply(size_t c, const ProduceOutcome& o) {
  if (c >= clients_.size() || Lost()) return;
  Event e;
  e.time = now_ + Delay();
  e.kind = EventKind::kReply;
  e.client = c;
  e.outcome = o;
  Schedule(std::move(e));
}

std::vector<log::Record> World::BatchOf(size_t c, uint64_t seq) const {
  uint32_t count = 1 + uint32_t((seq * 2654435761u + c) % uint64_t(options_.max_records_per_batch));
  std::vector<log::Record> out(count);
  for (uint32_t k = 0; k < count; ++k) {
    log::Record& r = out[k];
    std::string key = "p" + std::to_string(clients_[c].producer);
    r.key.assign(key.begin(), key.end());
    r.value.resize(kValueSize);
    StoreLE64(r.value.data(), clients_[c].producer);
    StoreLE64(r.value.data() + 8, seq);
    StoreLE32(r.value.data() + 16, k);
    StoreLE32(r.value.data() + 20, count);
  }
  return out;
}

void World::Issue(size_t c) {
  Client& client = clients_[c];
  client.attempt = 0;
  client.waiting = true;
  if (healed_) client.last_issued = true;
  SendAttempt(c);
}

void World::SendAttempt(size_t c) {
  Client& client = clients_[c];
  ++client.attempt;
  if (client.attempt > 1) ++result_.retries;
  size_t target = client.guess >= 1 && client.guess <= nodes_.size()
                      ? size_t(client.guess - 1)
                      : size_t(rng_.Between(0, int64_t(nodes_.size()) - 1));
  if (!Lost()) {
    Event req;
    req.time = now_ + Delay();
    req.kind = EventKind::kRequest;
    req.node = target;
    req.client = c;
    req.seq = client.seq;
    req.attempt = client.attempt;
    Schedule(std::move(req));
  }
  Event timer;
  timer.time = now_ + options_.client_timeout_ms * std::min<int64_t>(client.attempt, 2);
  timer.kind = EventKind::kClientTimer;
  timer.client = c;
  timer.seq = client.seq;
  timer.attempt = client.attempt;
  Schedule(std::move(timer));
}

void World::OnReply(size_t c, const ProduceOutcome& o) {
  Client& client = clients_[c];
  uint64_t seq = (o.request_id >> 16) & 0xffffffff;
  uint32_t attempt = uint32_t(o.request_id & 0xffff);
  if (client.done || !client.waiting || seq != (client.seq & 0xffffffff)) return;
  switch (o.code) {
    case ProduceCode::kOk:
    case ProduceCode::kDuplicate: {
      if (o.code == ProduceCode::kOk && !options_.unsafe_acks_leader &&
          (!o.base_offset || !o.last_offset)) {
        Fail("an acks=all acknowledgement without offsets");
        return;
      }
      Ack& ack = acked_[{client.producer, client.seq}];
      ack.base = o.base_offset;
      ack.last = o.last_offset;
      ack.records = uint32_t(BatchOf(c, client.seq).size());
      if (ack.base && (*ack.base >= history_.size() ||
                       !(history_[*ack.base].value == BatchOf(c, client.seq)[0].value))) {
        return Fail("producer " + std::to_string(client.producer) + " batch " +
                    std::to_string(client.seq) + " acknowledged at offset " +
                    std::to_string(*ack.base) + ", which holds something else");
      }
      ++result_.acked;
      if (o.code == ProduceCode::kDuplicate) ++result_.duplicates;
      Trace("producer %" PRIu64 " batch %" PRIu64 " acked (%s)", client.producer, client.seq,
            ProduceCodeName(o.code));
      client.waiting = false;
      if (client.last_issued) {
        client.done = true;
        return;
      }
      ++client.seq;
      Issue(c);
      return;
    }
    case ProduceCode::kNotLeader:
    case ProduceCode::kLost:
      if (attempt != client.attempt) return;
      client.guess = o.leader_hint;
      if (o.leader_hint != raft::kNoNode) SendAttempt(c);  // else the timer retries
      return;
    case ProduceCode::kBusy:
      return;  // the timer retries
    case ProduceCode::kOutOfOrder:
    case ProduceCode::kInvalid:
      Fail("producer " + std::to_string(client.producer) + " batch " + std::to_string(seq) + ": " +
           ProduceCodeName(o.code) + ": " + o.message);
      return;
  }
}

void World::OnClientTimer(size_t c, uint64_t seq, uint32_t attempt) {
  Client& client = clients_[c];
  if (client.done || !client.waiting || seq != client.seq || attempt != client.attempt) return;
  client.guess = raft::kNoNode;
  SendAttempt(c);
}

}  // namespace dlog::replica::sim
