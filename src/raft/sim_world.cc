// The simulator's event loop, network and fault injection.
#include "raft/sim_world.h"

#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>

namespace dlog::raft {

std::string SimResult::Summary() const {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "%s: %" PRIu64 " events to t=%" PRId64 "ms, %" PRIu64 " messages, %" PRIu64
                " crashes, %" PRIu64 " partitions, %" PRIu64
                " membership changes, %zu leaders, %zu entries committed, %zu records acked,"
                " digest %016" PRIx64 "%s%s",
                ok ? "ok" : "VIOLATION", events, end_ms, messages, crashes, partitions,
                membership_changes, leaders, committed, acked, digest, ok ? "" : ": ",
                violation.c_str());
  return buf;
}

SimResult RunSimulation(const SimOptions& options) { return sim::World(options).Run(); }

namespace sim {
namespace {

bool Later(const Event& a, const Event& b) {
  return a.time != b.time ? a.time > b.time : a.order > b.order;
}

}  // namespace

World::World(const SimOptions& options)
    : options_(options), rng_(options.seed), loss_(options.loss) {
  if (options_.voters <= 0 || options_.voters > options_.nodes) options_.voters = options_.nodes;
  nodes_.resize(size_t(options_.nodes));
  link_tail_.assign(nodes_.size() * nodes_.size(), 0);
  clients_.resize(size_t(options_.clients));
  for (size_t c = 0; c < clients_.size(); ++c) clients_[c].id = c + 1;
}

void World::Schedule(Event e) {
  e.order = order_++;
  queue_.push_back(std::move(e));
  std::push_heap(queue_.begin(), queue_.end(), Later);
}

void World::Mix(uint64_t v) {
  result_.digest = (result_.digest ^ v) * 0x100000001b3ull;  // FNV-1a over 64-bit words
}

SimResult World::Run() {
  for (size_t n = 0; n < nodes_.size(); ++n) StartNode(n);
  for (size_t c = 0; c < clients_.size(); ++c) {
    Event tick = At(rng_.Between(0, 20), EventKind::kClientTick);
    tick.client = c;
    Schedule(std::move(tick));
  }
  Schedule(At(rng_.Between(0, 2 * options_.mean_fault_gap_ms), EventKind::kFault));
  int64_t deadline = options_.chaos_ms + options_.heal_deadline_ms;
  while (!queue_.empty() && checker_.ok()) {
    std::pop_heap(queue_.begin(), queue_.end(), Later);
    Event e = std::move(queue_.back());
    queue_.pop_back();
    now_ = e.time;
    if (now_ > deadline) {
      checker_.Fail(now_, "liveness: no progress after the heal: " + Stuck());
      break;
    }
    if (++result_.events > options_.max_events) {
      checker_.Fail(now_, "sim: event budget exhausted: " + Stuck());
      break;
    }
    if (!healed_ && now_ >= options_.chaos_ms) Heal();
    Mix(uint64_t(now_) << 16 | uint64_t(e.kind) << 8 | e.node);
    Dispatch(e);
    if (healed_ && checker_.ok() && Done()) {
      Finish();
      break;
    }
  }
  result_.ok = checker_.ok();
  result_.violation = checker_.violation();
  result_.leaders = checker_.leaders();
  result_.committed = checker_.committed();
  result_.acked = checker_.acked();
  result_.end_ms = now_;
  return result_;
}

void World::Dispatch(Event& e) {
  SimNode* node = e.node < nodes_.size() ? &nodes_[e.node] : nullptr;
  bool up = node && node->raft;
  bool current = up && e.incarnation == node->incarnation;
  switch (e.kind) {
    case EventKind::kTick:
      if (current) OnTick(e.node);
      break;
    case EventKind::kDeliver:
      if (up) OnDeliver(e.node, e.payload);
      break;
    case EventKind::kDiskDone:
      if (current) OnDiskDone(e.node);
      break;
    case EventKind::kClientRequest:
      if (up) OnClientRequest(e.node, e.client, e.seq);
      break;
    case EventKind::kClientAck:
      OnClientAck(e.client, e.seq);
      break;
    case EventKind::kClientRedirect:
      OnClientRedirect(e.client, e.seq, e.hint);
      break;
    case EventKind::kClientTick:
      OnClientTick(e.client);
      break;
    case EventKind::kFault:
      if (healed_) break;
      Fault();
      Schedule(At(now_ + rng_.Between(1, 2 * options_.mean_fault_gap_ms), EventKind::kFault));
      break;
  }
}

void World::Transmit(size_t from, const Message& m) {
  Bytes wire = EncodeMessage(m);
  ++result_.messages;
  size_t to = size_t(m.to - 1);
  if (to >= nodes_.size() || !LinkUp(from, to) || rng_.Chance(loss_)) return;
  int copies = !healed_ && rng_.Chance(options_.duplicate) ? 2 : 1;
  for (int k = 0; k < copies; ++k) {
    Event e = At(ArrivalTime(from, to), EventKind::kDeliver);
    e.node = to;
    e.payload = wire;
    Schedule(std::move(e));
  }
}

int64_t World::ArrivalTime(size_t from, size_t to) {
  int64_t at = now_ + Delay();
  if (!healed_ && rng_.Chance(options_.reorder)) return at;
  int64_t& tail = link_tail_[from * nodes_.size() + to];
  tail = std::max(tail, at);
  return tail;
}

void World::Fault() {
  int64_t r = rng_.Between(0, 99);
  std::vector<size_t> up = UpNodes(), down = DownNodes();
  SimNode* leader = Leader();
  if (r < 20 && options_.crashes && !up.empty()) {  // the leader half of the time
    Crash(leader && rng_.Chance(0.5) ? size_t(leader->id - 1)
                                     : up[size_t(rng_.Between(0, int64_t(up.size()) - 1))]);
  } else if (r < 50 && !down.empty()) {
    Restart(down[size_t(rng_.Between(0, int64_t(down.size()) - 1))]);
  } else if (r < 70 && options_.partitions) {
    Partition();
  } else if (r < 88) {
    blocked_.clear();
    Trace("links healed");
  } else if (r < 94) {
    loss_ = double(rng_.Between(0, 100)) / 100 * options_.max_loss;
    Trace("loss %.2f", loss_);
  } else if (options_.membership_changes) {
    ChangeMembership();
  }
}

void World::Partition() {
  size_t n = nodes_.size();
  SimNode* leader = Leader();
  auto pick = [&] {  // the leader half of the time
    if (leader && rng_.Chance(0.5)) return size_t(leader->id - 1);
    return size_t(rng_.Between(0, int64_t(n) - 1));
  };
  ++result_.partitions;
  switch (rng_.Between(0, 4)) {
    case 0: {  // symmetric: one node alone
      blocked_.clear();
      size_t a = pick();
      for (size_t b = 0; b < n; ++b) {
        if (b != a) blocked_.insert({a, b}), blocked_.insert({b, a});
      }
      Trace("partition: node %zu isolated", a + 1);
      break;
    }
    case 1: {  // symmetric: two sides
      blocked_.clear();
      uint64_t side = uint64_t(rng_.Between(1, (int64_t(1) << n) - 2));
      for (size_t a = 0; a < n; ++a) {
        for (size_t b = 0; b < n; ++b) {
          if ((side >> a & 1) != (side >> b & 1)) blocked_.insert({a, b});
        }
      }
      Trace("partition: side mask %" PRIx64, side);
      break;
    }
    case 2: {  // asymmetric: a node that hears but is not heard
      size_t a = pick();
      for (size_t b = 0; b < n; ++b) blocked_.insert({a, b});
      Trace("partition: node %zu mute", a + 1);
      break;
    }
    case 3: {  // asymmetric: a node that is heard but hears nothing
      size_t a = pick();
      for (size_t b = 0; b < n; ++b) blocked_.insert({b, a});
      Trace("partition: node %zu deaf", a + 1);
      break;
    }
    default: {
      size_t a = pick(), b = pick();
      blocked_.insert({a, b});
      Trace("partition: link %zu->%zu", a + 1, b + 1);
      break;
    }
  }
}

void World::Heal() {
  healed_ = true;
  blocked_.clear();
  loss_ = 0;
  for (size_t n : DownNodes()) Restart(n);
  Trace("heal: all nodes up, all links up, no loss");
}

void World::ChangeMembership() {
  SimNode* leader = Leader();
  if (!leader) return;
  const Membership& voters = leader->raft->membership();
  std::vector<NodeId> others;
  for (const SimNode& node : nodes_) {
    if (!voters.Contains(node.id)) others.push_back(node.id);
  }
  MembershipChange change;
  if (voters.size() > 2 && (others.empty() || rng_.Chance(0.5))) {
    change = {MembershipChange::Kind::kRemove,
              voters.voters()[size_t(rng_.Between(0, int64_t(voters.size()) - 1))]};
  } else if (!others.empty()) {
    change = {MembershipChange::Kind::kAdd,
              others[size_t(rng_.Between(0, int64_t(others.size()) - 1))]};
  } else {
    return;
  }
  ProposeResult r = leader->raft->ProposeMembership(change);
  Trace("membership: %s node %" PRIu64 " via leader %" PRIu64 ": %s",
        change.kind == MembershipChange::Kind::kAdd ? "add" : "remove", change.node, leader->id,
        r.ok() ? "proposed" : r.reason.c_str());
  if (r.ok()) ++result_.membership_changes;
  AfterInput(size_t(leader->id - 1));
}

// Liveness: a leader, every record acknowledged, every voter caught up.
bool World::Done() const {
  for (const SimClient& c : clients_) {
    if (!c.last_sent || !c.outstanding.empty()) return false;
  }
  const SimNode* leader = const_cast<World*>(this)->Leader();
  if (!leader) return false;
  const Raft& l = *leader->raft;
  if (l.commit_index() != l.last_index()) return false;
  for (NodeId v : l.membership().voters()) {
    const SimNode& node = nodes_[v - 1];
    if (!node.raft || node.raft->applied_index() != l.commit_index()) return false;
  }
  return true;
}

void World::Finish() {
  const Membership& voters = Leader()->raft->membership();
  for (const SimNode& node : nodes_) {  // non-voters may lag, but not disorder
    checker_.CheckRecords(now_, node.id, node.records, voters.Contains(node.id));
  }
  Trace("done: all records acknowledged, voters converged at %" PRIu64,
        Leader()->raft->commit_index());
}

std::string World::Stuck() const {
  std::string s;
  char buf[160];
  for (const SimNode& node : nodes_) {
    if (!node.raft) {
      std::snprintf(buf, sizeof buf, "[n%" PRIu64 " down]", node.id);
    } else {
      const Raft& r = *node.raft;
      std::snprintf(buf, sizeof buf,
                    "[n%" PRIu64 " %s t%" PRIu64 " last %" PRIu64 " commit %" PRIu64
                    " applied %" PRIu64 " voters %zu]",
                    node.id, RoleName(r.role()), r.term(), r.last_index(), r.commit_index(),
                    r.applied_index(), r.membership().size());
    }
    s += buf;
  }
  for (const SimClient& c : clients_) {
    std::snprintf(buf, sizeof buf, "[c%" PRIu64 " outstanding %zu]", c.id, c.outstanding.size());
    s += buf;
  }
  return s;
}

void World::Trace(const char* fmt, ...) {
  if (!options_.trace) return;
  std::fprintf(stderr, "%7" PRId64 "ms  ", now_);
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(stderr, fmt, ap);
  va_end(ap);
  std::fputc('\n', stderr);
}

}  // namespace sim
}  // namespace dlog::raft
