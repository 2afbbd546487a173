// The replica simulator's event loop, network and fault injection.
#include "replica/sim_world.h"

#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>

#include "replica/wire.h"

namespace dlog::replica {

std::string ReplicaSimResult::Summary() const {
  char buf[640];
  std::snprintf(
      buf, sizeof buf,
      "%s: %" PRIu64 " events to t=%" PRId64 "ms, %" PRIu64 " messages, %" PRIu64
      " crashes (%" PRIu64 " torn tails cut, %" PRIu64 " resumed from a checkpoint), %" PRIu64
      " partitions, %" PRIu64 " batches acked (%" PRIu64 " as duplicates), %" PRIu64
      " retries, %" PRIu64 " records committed, digest %016" PRIx64 "%s%s",
      ok ? "ok" : "VIOLATION", events, end_ms, messages, crashes, torn_tails, resumes, partitions,
      acked, duplicates, retries, records, digest, ok ? "" : ": ", violation.c_str());
  return buf;
}

ReplicaSimResult RunReplicaSimulation(const ReplicaSimOptions& options) {
  return sim::World(options).Run();
}

namespace sim {
namespace {

bool Later(const Event& a, const Event& b) {
  return a.time != b.time ? a.time > b.time : a.order > b.order;
}

constexpr GroupId kGroup = 1;

}  // namespace

World::World(const ReplicaSimOptions& options)
    : options_(options), rng_(options.seed), loss_(options.loss) {
  nodes_.resize(size_t(std::max(1, options_.nodes)));
  clients_.resize(size_t(std::max(0, options_.clients)));
  for (size_t c = 0; c < clients_.size(); ++c) clients_[c].producer = 1000 + c;
}

void World::Schedule(Event e) {
  e.order = order_++;
  queue_.push_back(std::move(e));
  std::push_heap(queue_.begin(), queue_.end(), Later);
}

void World::Mix(uint64_t v) { result_.digest = (result_.digest ^ v) * 0x100000001b3ull; }

void World::Fail(const std::string& what) {
  if (failed_) return;
  failed_ = true;
  result_.violation = "t=" + std::to_string(now_) + "ms: " + what;
}

void World::Trace(const char* fmt, ...) {
  if (!options_.trace) return;
  std::fprintf(stderr, "[%6" PRId64 "ms] ", now_);
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(stderr, fmt, ap);
  va_end(ap);
  std::fputc('\n', stderr);
}

ReplicaSimResult World::Run() {
  for (size_t n = 0; n < nodes_.size(); ++n) {
    nodes_[n].id = n + 1;
    nodes_[n].env = std::make_unique<log::MemEnv>();
    nodes_[n].rng = std::make_unique<raft::SimRng>(rng_.Fork());
    Start(n);
  }
  for (size_t c = 0; c < clients_.size(); ++c) Issue(c);
  Event fault;
  fault.time = rng_.Between(0, 2 * options_.mean_fault_gap_ms);
  fault.kind = EventKind::kFault;
  Schedule(std::move(fault));
  int64_t deadline = options_.chaos_ms + options_.heal_deadline_ms;
  while (!queue_.empty() && !failed_) {
    std::pop_heap(queue_.begin(), queue_.end(), Later);
    Event e = std::move(queue_.back());
    queue_.pop_back();
    if (e.time > now_) clock_.Advance(std::chrono::milliseconds(e.time - now_));
    now_ = e.time;
    if (now_ > deadline) {
      Fail("liveness: not done " + std::to_string(options_.heal_deadline_ms) +
           "ms after the heal: " + Stuck());
      break;
    }
    if (++result_.events > options_.max_events) {
      Fail("event budget exhausted: " + Stuck());
      break;
    }
    if (!healed_ && now_ >= options_.chaos_ms) Heal();
    Mix(uint64_t(now_) << 16 | uint64_t(e.kind) << 8 | e.node);
    Dispatch(e);
    if (healed_ && !failed_ && Done()) {
      CheckFinal();
      break;
    }
  }
  if (!failed_ && queue_.empty()) Fail("event queue ran dry: " + Stuck());
  result_.ok = !failed_;
  result_.end_ms = now_;
  return result_;
}

void World::Dispatch(Event& e) {
  Node* node = e.node < nodes_.size() ? &nodes_[e.node] : nullptr;
  bool up = node && node->replica;
  switch (e.kind) {
    case EventKind::kTick:
      if (up && e.incarnation == node->incarnation) OnTick(e.node);
      break;
    case EventKind::kDeliver:
      if (up) OnDeliver(e.node, e.payload);
      break;
    case EventKind::kRequest:
      if (up) OnRequest(e.node, e.client, e.seq, e.attempt);
      break;
    case EventKind::kReply:
      OnReply(e.client, e.outcome);
      break;
    case EventKind::kClientTimer:
      OnClientTimer(e.client, e.seq, e.attempt);
      break;
    case EventKind::kRestart:
      if (!up && e.incarnation == node->incarnation) Start(e.node);
      break;
    case EventKind::kFault:
      if (healed_) break;
      Fault();
      Event next;
      next.time = now_ + rng_.Between(1, 2 * options_.mean_fault_gap_ms);
      next.kind = EventKind::kFault;
      Schedule(std::move(next));
      break;
  }
}

int64_t World::Delay() { return rng_.Between(options_.min_delay_ms, options_.max_delay_ms); }

bool World::Lost() { return !healed_ && rng_.Chance(loss_); }

void World::Transmit(size_t from, const raft::Message& m) {
  size_t to = size_t(m.to - 1);
  if (to >= nodes_.size() || !LinkUp(from, to) || Lost()) return;
  Bytes frame = EncodeRaftFrame(kGroup, m);
  int copies = !healed_ && rng_.Chance(options_.duplicate) ? 2 : 1;
  // Reordering: most messages share a base delay per send round; a few take their own.
  for (int k = 0; k < copies; ++k) {
    Event e;
    e.time = now_ + (healed_ || !rng_.Chance(options_.reorder) ? options_.min_delay_ms : Delay());
    e.kind = EventKind::kDeliver;
    e.node = to;
    e.payload = frame;
    Schedule(std::move(e));
    ++result_.messages;
  }
}

void World::Fault() {
  std::vector<size_t> up, down;
  for (size_t n = 0; n < nodes_.size(); ++n) (nodes_[n].replica ? up : down).push_back(n);
  switch (rng_.Between(0, 6)) {
    case 6:  // a power cut in the middle of the next writes: they tear, the node crashes
      if (options_.crashes && !up.empty()) {
        size_t n = up[size_t(rng_.Between(0, int64_t(up.size()) - 1))];
        nodes_[n].armed = true;
        nodes_[n].env->FailWritesAfter(uint64_t(rng_.Between(0, 3)));
      }
      break;
    case 0:
    case 1:
      if (options_.crashes && !up.empty())
        Crash(up[size_t(rng_.Between(0, int64_t(up.size()) - 1))]);
      break;
    case 2:
      if (!down.empty()) Start(down[size_t(rng_.Between(0, int64_t(down.size()) - 1))]);
      break;
    case 3:
      if (options_.partitions) Partition();
      break;
    case 4:
      blocked_.clear();
      Trace("links healed");
      break;
    case 5:
      loss_ = double(rng_.Between(0, 100)) / 100.0 * options_.max_loss;
      break;
  }
}

void World::Partition() {
  blocked_.clear();
  size_t n = nodes_.size();
  size_t a = size_t(rng_.Between(0, int64_t(n) - 1));
  if (rng_.Chance(0.3)) {  // one-way: a hears nobody, or nobody hears a
    bool in = rng_.Chance(0.5);
    for (size_t b = 0; b < n; ++b) {
      if (b != a) blocked_.insert(in ? std::pair{b, a} : std::pair{a, b});
    }
  } else {  // a alone on one side
    for (size_t b = 0; b < n; ++b) {
      if (b != a) {
        blocked_.insert({a, b});
        blocked_.insert({b, a});
      }
    }
  }
  ++result_.partitions;
  Trace("partition around node %zu", a + 1);
}

void World::Heal() {
  healed_ = true;
  blocked_.clear();
  loss_ = 0;
  for (size_t n = 0; n < nodes_.size(); ++n) {
    if (nodes_[n].replica && nodes_[n].armed) Crash(n);
  }
  for (size_t n = 0; n < nodes_.size(); ++n) {
    if (!nodes_[n].replica) Start(n);
  }
  Trace("heal");
  // Clients that are idle (between batches) issue their last one now.
  for (size_t c = 0; c < clients_.size(); ++c) {
    if (!clients_[c].waiting && !clients_[c].done) Issue(c);
  }
}

bool World::Done() const {
  for (const Client& c : clients_) {
    if (!c.done) return false;
  }
  const ReplicatedPartition* leader = nullptr;
  for (const Node& n : nodes_) {
    if (!n.replica) return false;
    if (n.replica->is_leader()) leader = n.replica.get();
  }
  if (!leader) return false;
  for (const Node& n : nodes_) {
    if (n.replica->applied_index() != leader->commit_index() ||
        n.replica->end_offset() != leader->end_offset()) {
      return false;
    }
  }
  return true;
}

std::string World::Stuck() const {
  std::string s;
  for (const Node& n : nodes_) {
    s += "node " + std::to_string(n.id) + ": ";
    if (!n.replica) {
      s += "down; ";
      continue;
    }
    s += std::string(
             raft::RoleName(n.replica->is_leader() ? raft::Role::kLeader : raft::Role::kFollower)) +
         " term " + std::to_string(n.replica->term()) + " commit " +
         std::to_string(n.replica->commit_index()) + " applied " +
         std::to_string(n.replica->applied_index()) + " end " +
         std::to_string(n.replica->end_offset()) + "; ";
  }
  for (const Client& c : clients_) {
    s += "producer " + std::to_string(c.producer) + (c.done ? " done" : " at batch ") +
         (c.done ? "" : std::to_string(c.seq)) + "; ";
  }
  return s;
}

}  // namespace sim
}  // namespace dlog::replica
