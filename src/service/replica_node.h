// ReplicaNode: one replica::ReplicatedPartition run on a node, with its Raft traffic
// carried as 9093 frames (replica/wire.h) over stack streams (docs/SERVICE.md,
// "Replication").
//
// Threads:
//  - the driver: owns the ReplicatedPartition; steps inbound messages, proposes
//    queued produce requests, ticks every `tick`, runs Process, hands outbound messages
//    to the peer senders and answers produce callers;
//  - one sender per peer: dials the peer's 9093 address and writes its frames; on an
//    error it closes, drops what it held (Raft retransmits) and redials after a pause;
//  - the accept thread and one reader per inbound connection: decode frames and queue
//    the messages for the driver.
// Each node dials each peer for its own outbound traffic, so a pair of nodes uses two
// TCP connections (one per direction); at most max_peers inbound connections.
// Bounds: every queue (driver inbox, produce queue, each peer's outbound queue) holds at
// most `max_queue` items; a message that does not fit is dropped and counted (Raft
// tolerates loss), a produce that does not fit is answered kBusy.
//
// Thread-safety: Produce/Read/leader/Stop from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <list>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "replica/replicated_partition.h"
#include "replica/wire.h"
#include "stack/stack.h"

namespace dlog::service {

struct ReplicaPeer {
  raft::NodeId id = raft::kNoNode;
  stack::SocketAddress address;  // its internal (9093) listener
};

struct ReplicaNodeOptions {
  replica::ReplicaOptions replica;  // id and voters of the group
  replica::GroupId group = 1;
  std::vector<ReplicaPeer> peers;  // the other voters
  std::chrono::milliseconds tick{20};
  size_t max_queue = 4096;
  size_t max_peers = 16;
  stack::Timeout connect_timeout = std::chrono::seconds(1);
  std::chrono::milliseconds redial_pause{100};
};

struct ReplicaNodeCounters {
  uint64_t frames_in = 0;
  uint64_t frames_out = 0;
  uint64_t dropped_inbox = 0;     // inbound messages over the driver's bound
  uint64_t dropped_outbound = 0;  // over a peer queue's bound, or lost with a connection
  uint64_t bad_streams = 0;       // inbound streams closed on undecodable framing
};

class ReplicaNode {
 public:
  // Opens the replica in `dir` and starts its threads, listening on `listener`.
  // `stack`, `env`, `rng` and `clock` must outlive the node.
  static Result<std::unique_ptr<ReplicaNode>> Start(stack::Stack* stack,
                                                    std::unique_ptr<stack::Listener> listener,
                                                    log::Env* env, const std::string& dir,
                                                    ReplicaNodeOptions options, Rng* rng,
                                                    const Clock* clock);
  ~ReplicaNode();
  // Stops every thread and closes every stream (a crash, as far as peers can tell).
  void Stop();

  // Proposes the batch and waits for its outcome (kLost on timeout or stop).
  replica::ProduceOutcome Produce(replica::ProduceRequest request,
                                  std::chrono::milliseconds timeout);
  // Committed records from `from` on this replica (ReadFrom::kLocalCommitted).
  Result<std::vector<log::Record>> Read(log::Offset from, uint32_t max_records);

  // End of the committed records this replica applied (its readable end).
  log::Offset committed_end() const { return committed_end_; }
  raft::NodeId id() const { return options_.replica.id; }
  size_t voters() const { return options_.replica.voters.size(); }
  bool is_leader() const { return leader_ == options_.replica.id; }
  raft::NodeId leader() const { return leader_; }
  ReplicaNodeCounters counters() const;

 private:
  struct Peer {
    ReplicaPeer info;
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Bytes> queue;          // encoded frames; bounded by max_queue
    stack::Stream* stream = nullptr;  // the sender's connection, for Stop to close
    std::thread thread;
  };
  struct Inbound {
    std::unique_ptr<stack::Stream> stream;
    std::thread thread;
    std::atomic<bool> done{false};
  };
  struct Job {  // a produce or a read, run by the driver
    replica::ProduceRequest produce;
    bool is_read = false;
    log::Offset from = 0;
    uint32_t max_records = 0;
    std::promise<replica::ProduceOutcome> produced;
    std::promise<Result<std::vector<log::Record>>> read;
  };

  ReplicaNode(stack::Stack* stack, std::unique_ptr<stack::Listener> listener,
              ReplicaNodeOptions options);
  void DriverLoop();
  void SendLoop(Peer* peer);
  void AcceptLoop();
  void ReadLoop(Inbound* in);
  void Route(const std::vector<raft::Message>& messages);

  stack::Stack* const stack_;
  std::unique_ptr<stack::Listener> listener_;
  const ReplicaNodeOptions options_;
  std::unique_ptr<replica::ReplicatedPartition> replica_;  // driver thread only
  std::atomic<bool> stopping_{false};
  std::atomic<raft::NodeId> leader_{raft::kNoNode};
  std::atomic<log::Offset> committed_end_{0};

  mutable std::mutex mu_;  // inbox_, jobs_, inbound_, counters_
  std::condition_variable cv_;
  std::deque<raft::Message> inbox_;
  std::deque<std::shared_ptr<Job>> jobs_;
  std::list<std::unique_ptr<Inbound>> inbound_;
  ReplicaNodeCounters counters_;

  std::vector<std::unique_ptr<Peer>> peers_;
  std::thread driver_;
  std::thread acceptor_;
};

}  // namespace dlog::service
