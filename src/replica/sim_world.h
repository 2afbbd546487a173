// The replica simulator's world (internal to sim_*.cc): events, network, replicas,
// clients. Events run in (time, order) order and all randomness comes from one SimRng,
// so a seed replays exactly. Events for a replica carry its incarnation: those of an
// earlier life are dropped.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/clock.h"
#include "log/mem_env.h"
#include "raft/sim_rng.h"
#include "replica/replicated_partition.h"
#include "replica/sim.h"

namespace dlog::replica::sim {

enum class EventKind : uint8_t {
  kTick,         // node
  kDeliver,      // node, payload: one 9093 frame
  kRequest,      // node, client, seq, attempt
  kReply,        // client, outcome
  kClientTimer,  // client, seq, attempt
  kRestart,      // node
  kFault,
};

struct Event {
  int64_t time = 0;
  uint64_t order = 0;
  EventKind kind = EventKind::kTick;
  size_t node = 0;
  uint64_t incarnation = 0;
  size_t client = 0;
  uint64_t seq = 0;
  uint32_t attempt = 0;
  Bytes payload;
  ProduceOutcome outcome;
};

struct Node {
  raft::NodeId id = 0;
  std::unique_ptr<log::MemEnv> env;  // survives crashes (its durable part)
  std::unique_ptr<raft::SimRng> rng;
  std::unique_ptr<ReplicatedPartition> replica;  // null while down
  uint64_t incarnation = 0;
  log::Offset checked_end = 0;  // records up to here compared with World::history_
  bool armed = false;           // writes fail after a countdown: a power cut mid-write
  raft::Term led_term = 0;      // last term this node was seen leading (trace)
};

// An acknowledged batch, as the client learnt it.
struct Ack {
  std::optional<log::Offset> base;
  std::optional<log::Offset> last;
  uint32_t records = 0;
};

struct Client {
  uint64_t producer = 0;
  uint64_t seq = 0;  // batch in flight (or next)
  uint32_t attempt = 0;
  uint32_t batch_records = 1;
  bool waiting = false;
  bool last_issued = false;  // the post-heal batch was issued
  bool done = false;
  raft::NodeId guess = raft::kNoNode;
};

class World {
 public:
  explicit World(const ReplicaSimOptions& options);
  ReplicaSimResult Run();

 private:
  // sim_world.cc: queue, network, faults, phases
  void Schedule(Event e);
  void Dispatch(Event& e);
  void Transmit(size_t from, const raft::Message& m);
  bool LinkUp(size_t from, size_t to) const { return !blocked_.contains({from, to}); }
  int64_t Delay();
  bool Lost();
  void Mix(uint64_t v);
  void Fault();
  void Partition();
  void Heal();
  bool Done() const;
  std::string Stuck() const;
  void Fail(const std::string& what);
  void Trace(const char* fmt, ...) __attribute__((format(printf, 2, 3)));

  // sim_node.cc: replicas and clients
  ReplicaOptions NodeOptions(const Node& node) const;
  void Start(size_t n);
  void Crash(size_t n);
  void OnTick(size_t n);
  void OnDeliver(size_t n, const Bytes& frame);
  void OnRequest(size_t n, size_t c, uint64_t seq, uint32_t attempt);
  void AfterInput(size_t n);
  void Reply(size_t c, const ProduceOutcome& o);
  void Issue(size_t c);
  void SendAttempt(size_t c);
  void OnReply(size_t c, const ProduceOutcome& o);
  void OnClientTimer(size_t c, uint64_t seq, uint32_t attempt);
  std::vector<log::Record> BatchOf(size_t c, uint64_t seq) const;

  // sim_check.cc: the final check
  void CheckFinal();
  void CheckPrefix(size_t n);

  ReplicaSimOptions options_;
  raft::SimRng rng_;
  FakeClock clock_;
  ReplicaSimResult result_;
  int64_t now_ = 0;
  bool healed_ = false;
  bool failed_ = false;
  double loss_;
  uint64_t order_ = 0;
  std::vector<Event> queue_;  // a heap on (time, order)
  std::set<std::pair<size_t, size_t>> blocked_;
  std::vector<Node> nodes_;
  std::vector<Client> clients_;
  std::map<std::pair<uint64_t, uint64_t>, Ack> acked_;  // (producer, seq) → ack
  // Every record any replica ever applied, by offset: no replica may disagree with it,
  // at any time (committed records never change).
  std::vector<log::Record> history_;
};

}  // namespace dlog::replica::sim
