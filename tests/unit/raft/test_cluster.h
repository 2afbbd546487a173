// A tiny synchronous harness for Raft unit tests: nodes with MemoryStorage, a message
// queue delivered in order, links that can be cut, and the Ready contract carried out
// exactly (persist, sync, send, apply, advance).
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "raft/memory_storage.h"
#include "raft/raft.h"
#include "raft/sim_rng.h"

namespace dlog::raft::testing {

struct TestNode {
  std::unique_ptr<MemoryStorage> storage;
  std::unique_ptr<SimRng> rng;
  std::unique_ptr<Raft> raft;
  std::vector<Entry> applied;
};

class TestCluster {
 public:
  // Nodes 1..n, all voters; `tweak` adjusts each node's config.
  explicit TestCluster(int n, void (*tweak)(Config&) = nullptr) : tweak_(tweak) {
    std::vector<NodeId> ids;
    for (int i = 1; i <= n; ++i) ids.push_back(NodeId(i));
    for (NodeId id : ids) AddNode(id, *Membership::Make(ids));
  }

  void AddNode(NodeId id, Membership bootstrap) {
    TestNode& node = nodes_[id];
    node.storage = std::make_unique<MemoryStorage>(std::move(bootstrap));
    node.rng = std::make_unique<SimRng>(id * 7919);
    Start(id);
  }

  void Start(NodeId id) {
    TestNode& node = nodes_.at(id);
    Config c;
    c.id = id;
    if (tweak_) tweak_(c);
    Result<std::unique_ptr<Raft>> r = Raft::Open(c, node.storage.get(), node.rng.get());
    ASSERT_TRUE(r.ok()) << r.error();
    node.raft = std::move(*r);
    node.applied.clear();
  }

  // Drops unsynced storage and the node's volatile state; Start brings it back.
  void Crash(NodeId id) {
    nodes_.at(id).raft.reset();
    nodes_.at(id).storage->Crash();
  }

  Raft& raft(NodeId id) { return *nodes_.at(id).raft; }
  TestNode& node(NodeId id) { return nodes_.at(id); }
  void Cut(NodeId a, NodeId b) { cut_.insert({a, b}), cut_.insert({b, a}); }
  void Isolate(NodeId a) {
    for (auto& [id, n] : nodes_) {
      if (id != a) Cut(a, id);
    }
  }
  void HealAll() { cut_.clear(); }

  // Runs every node's Ready cycles and delivers messages until the cluster is quiet.
  void Settle() {
    for (int round = 0; round < 10000; ++round) {
      bool busy = false;
      for (auto& [id, node] : nodes_) busy |= Process(id);
      if (!queue_.empty()) {
        busy = true;
        Message m = std::move(queue_.front());
        queue_.pop_front();
        if (on_deliver) on_deliver(m);
        TestNode& to = nodes_.at(m.to);
        if (to.raft && !cut_.contains({m.from, m.to})) {
          ASSERT_TRUE(to.raft->Step(std::move(m)).ok());
        }
      }
      if (!busy) return;
    }
    FAIL() << "cluster did not settle";
  }

  // One Ready cycle of node `id`, if it has one. Returns whether it had.
  bool Process(NodeId id) {
    TestNode& node = nodes_.at(id);
    if (!node.raft || !node.raft->HasReady()) return false;
    Ready r = node.raft->GetReady();
    EXPECT_TRUE(node.storage->Append(r.entries).ok());
    if (r.hard_state) {
      EXPECT_TRUE(node.storage->SetHardState(*r.hard_state).ok());
    }
    EXPECT_TRUE(node.storage->Sync().ok());
    for (Message& m : r.messages) queue_.push_back(m);
    for (const Entry& e : r.committed_entries) node.applied.push_back(e);
    node.raft->Advance(r);
    return true;
  }

  void Tick(NodeId id, int times = 1) {
    for (int i = 0; i < times; ++i) nodes_.at(id).raft->Tick();
  }
  void TickAll(int times = 1) {
    for (int i = 0; i < times; ++i) {
      for (auto& [id, node] : nodes_) {
        if (node.raft) node.raft->Tick();
      }
      Settle();
    }
  }

  // Makes `id` time out (it is the only one ticking) and settles the election.
  void Elect(NodeId id) {
    Raft& r = raft(id);
    for (int i = 0; i < 100 && r.role() == Role::kFollower; ++i) r.Tick();
    Settle();
  }

  NodeId Leader() {
    NodeId leader = kNoNode;
    Term best = 0;
    for (auto& [id, node] : nodes_) {
      if (node.raft && node.raft->role() == Role::kLeader && node.raft->term() >= best) {
        leader = id;
        best = node.raft->term();
      }
    }
    return leader;
  }

  std::deque<Message>& queue() { return queue_; }
  std::function<void(const Message&)> on_deliver;  // sees each message Settle delivers

 private:
  void (*tweak_)(Config&);
  std::map<NodeId, TestNode> nodes_;
  std::deque<Message> queue_;
  std::set<std::pair<NodeId, NodeId>> cut_;
};

inline Bytes Data(const char* s) { return Bytes(s, s + std::strlen(s)); }

}  // namespace dlog::raft::testing
