// The simulator's world (internal to sim_*.cc): event queue, network, nodes, clients.
//
// Events run in (time, sequence) order; everything random comes from one SimRng, so a
// seed replays exactly. A node's events carry its incarnation: those of an earlier life
// (before a crash) are dropped.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <vector>

#include "raft/memory_storage.h"
#include "raft/raft.h"
#include "raft/sim.h"
#include "raft/sim_checker.h"
#include "raft/sim_rng.h"

namespace dlog::raft::sim {

enum class EventKind : uint8_t {
  kTick,            // node
  kDeliver,         // node, payload: a wire message
  kDiskDone,        // node: the outstanding Ready is written and synced
  kClientRequest,   // node, client, seq
  kClientAck,       // client, seq
  kClientRedirect,  // client, seq, hint
  kClientTick,      // client
  kFault,           // chaos
};

struct Event {
  int64_t time = 0;
  uint64_t order = 0;  // tie-break: scheduling order
  EventKind kind = EventKind::kTick;
  size_t node = 0;  // index into nodes_
  uint64_t incarnation = 0;
  size_t client = 0;  // index into clients_
  uint64_t seq = 0;
  NodeId hint = kNoNode;
  Bytes payload;
};

inline Event At(int64_t time, EventKind kind) {
  Event e;
  e.time = time;
  e.kind = kind;
  return e;
}

struct SimNode {
  NodeId id = kNoNode;
  std::unique_ptr<MemoryStorage> storage;  // survives crashes (its synced part)
  std::unique_ptr<SimRng> rng;
  std::unique_ptr<Raft> raft;  // null while down
  uint64_t incarnation = 0;
  bool disk_busy = false;
  Ready ready;  // being written while disk_busy
  uint64_t conflicts_seen = 0;
  Role last_role = Role::kFollower;
  Term last_term = 0;
  // The state machine, rebuilt from the log after each restart: per-client sessions
  // deduplicate retried records (§6.3).
  std::map<uint64_t, uint64_t> next_seq;  // client → next sequence number to apply
  std::vector<RecordId> records;
  struct Proposal {
    RecordId record;
    Term term;
  };
  std::map<Index, Proposal> proposals;  // accepted here, awaiting apply (volatile)
};

struct SimClient {
  struct Request {
    int64_t resend_at = 0;
    int attempts = 0;  // backs the timeout off
  };
  uint64_t id = 0;
  uint64_t next_seq = 1;
  NodeId leader_guess = kNoNode;
  std::map<uint64_t, Request> outstanding;  // by seq; size <= window
  bool last_sent = false;                   // the post-heal record was issued
};

class World {
 public:
  explicit World(const SimOptions& options);
  SimResult Run();

 private:
  // Event queue and network (sim_world.cc)
  void Schedule(Event e);
  void Dispatch(Event& e);
  void Transmit(size_t from, const Message& m);
  int64_t Delay() { return rng_.Between(options_.min_delay_ms, options_.max_delay_ms); }
  int64_t ArrivalTime(size_t from, size_t to);
  bool LinkUp(size_t from, size_t to) const { return !blocked_.contains({from, to}); }
  void Mix(uint64_t v);

  // Faults (sim_world.cc)
  void Fault();
  void Partition();
  void Heal();
  void ChangeMembership();
  bool Done() const;
  std::string Stuck() const;
  void Finish();

  // Nodes (sim_node.cc)
  void StartNode(size_t n);
  void Crash(size_t n);
  void Restart(size_t n);
  void OnTick(size_t n);
  void OnDeliver(size_t n, const Bytes& wire);
  void OnDiskDone(size_t n);
  void OnClientRequest(size_t n, size_t client, uint64_t seq);
  void AfterInput(size_t n);
  void SendAll(size_t n, const std::vector<Message>& messages);
  void Apply(size_t n, const Entry& e);
  void Reply(size_t n, EventKind kind, size_t client, uint64_t seq, NodeId hint);
  Config NodeConfig(const SimNode& node) const;
  std::vector<size_t> UpNodes() const;
  std::vector<size_t> DownNodes() const;
  SimNode* Leader();

  // Clients (sim_client.cc)
  void OnClientTick(size_t c);
  void SendRequest(size_t c, uint64_t seq);
  void RequestTo(size_t c, uint64_t seq, size_t target);
  void OnClientAck(size_t c, uint64_t seq);
  void OnClientRedirect(size_t c, uint64_t seq, NodeId hint);

  void Trace(const char* fmt, ...) __attribute__((format(printf, 2, 3)));

  SimOptions options_;
  SimRng rng_;
  SimChecker checker_;
  SimResult result_;
  int64_t now_ = 0;
  bool healed_ = false;
  double loss_;
  uint64_t order_ = 0;
  std::vector<Event> queue_;                     // a heap on (time, order)
  std::set<std::pair<size_t, size_t>> blocked_;  // directed links that drop everything
  std::vector<int64_t> link_tail_;  // [from * n + to]: latest in-order arrival scheduled
  std::vector<SimNode> nodes_;
  std::vector<SimClient> clients_;
};

}  // namespace dlog::raft::sim
