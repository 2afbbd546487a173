// Three ReplicaNodes in one process over KernelStack on 127.0.0.1/2/3: Raft traffic in
// 9093 frames over real TCP; the leader is killed mid-way and a new one takes over
// without losing or duplicating an acknowledged batch; the killed node restarts and
// catches up.
#include "service/replica_node.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <thread>

#include "log/log_store.h"
#include "log/posix_env.h"
#include "service/client.h"
#include "service/data_server.h"
#include "service/replicated_logs.h"
#include "stack/kernel_stack.h"

namespace dlog::service {
namespace {

using replica::ProduceCode;
using namespace std::chrono_literals;

class ReplicaNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dlog-svc-replica-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    for (int i = 0; i < 3; ++i) {
      stacks_.push_back(
          std::make_unique<stack::KernelStack>(stack::IpAddress::V4(127, 0, 0, uint8_t(i + 1))));
      auto l = stacks_[i]->Listen(0);
      ASSERT_TRUE(l.ok()) << l.error();
      ports_.push_back((*l)->port());
      listeners_.push_back(std::move(*l));
      rngs_.push_back(std::make_unique<SeededRng>(100 + i));
    }
    nodes_.resize(3);
    for (int i = 0; i < 3; ++i) StartNode(i);
  }
  void TearDown() override {
    nodes_.clear();
    std::filesystem::remove_all(dir_);
  }

  void StartNode(int i) {
    if (listeners_[i] == nullptr) {
      auto l = stacks_[i]->Listen(ports_[i]);  // a restart listens on its old port
      ASSERT_TRUE(l.ok()) << l.error();
      listeners_[i] = std::move(*l);
    }
    ReplicaNodeOptions o;
    o.replica.id = raft::NodeId(i + 1);
    o.replica.voters = {1, 2, 3};
    o.tick = 30ms;
    for (int j = 0; j < 3; ++j) {
      if (j != i) o.peers.push_back({raft::NodeId(j + 1), {stacks_[j]->address(), ports_[j]}});
    }
    std::string dir = dir_ + "/n" + std::to_string(i + 1);
    std::filesystem::create_directories(dir);
    auto n = ReplicaNode::Start(stacks_[i].get(), std::move(listeners_[i]), log::PosixEnvironment(),
                                dir, o, rngs_[i].get(), &clock_);
    ASSERT_TRUE(n.ok()) << n.error();
    nodes_[i] = std::move(*n);
  }

  // The index of the node all live nodes agree leads, waiting up to 15 s.
  int WaitLeader() {
    for (int t = 0; t < 300; ++t) {
      for (int i = 0; i < 3; ++i) {
        if (nodes_[i] && nodes_[i]->is_leader()) return i;
      }
      std::this_thread::sleep_for(50ms);
    }
    return -1;
  }

  std::string dir_;
  SystemClock clock_;
  std::vector<std::unique_ptr<stack::KernelStack>> stacks_;
  std::vector<std::unique_ptr<stack::Listener>> listeners_;
  std::vector<uint16_t> ports_;
  std::vector<std::unique_ptr<SeededRng>> rngs_;
  std::vector<std::unique_ptr<ReplicaNode>> nodes_;
};

log::Record Rec(int batch, int i) {
  std::string v = "{\"b\":" + std::to_string(batch) + ",\"i\":" + std::to_string(i) + "}";
  log::Record r;
  r.value.assign(v.begin(), v.end());
  r.timestamp_ms = 1;
  return r;
}

TEST_F(ReplicaNodeTest, LeaderKillLosesAndDuplicatesNothing) {
  constexpr int kBatches = 40, kPerBatch = 25, kKillAt = 20;
  int leader = WaitLeader();
  ASSERT_GE(leader, 0) << "no leader elected";
  int killed = -1;
  std::map<int, std::pair<uint64_t, uint64_t>> acked;  // batch → offsets
  for (int b = 0; b < kBatches; ++b) {
    if (b == kKillAt) {
      killed = leader;
      nodes_[killed]->Stop();
      nodes_[killed].reset();
    }
    bool done = false;
    // Retry the same sequence until acknowledged (deduplication makes it safe).
    for (int attempt = 0; attempt < 200 && !done; ++attempt) {
      leader = WaitLeader();
      ASSERT_GE(leader, 0) << "no leader after the kill";
      replica::ProduceRequest r;
      r.request_id = uint64_t(b);
      r.producer_id = 7;
      r.sequence = uint64_t(b);
      for (int i = 0; i < kPerBatch; ++i) r.records.push_back(Rec(b, i));
      r.acks = replica::Acks::kAll;
      replica::ProduceOutcome o = nodes_[leader]->Produce(r, 3s);
      if (o.code == ProduceCode::kOk || o.code == ProduceCode::kDuplicate) {
        if (o.base_offset && o.last_offset) acked[b] = {*o.base_offset, *o.last_offset};
        done = true;
      } else {
        ASSERT_NE(o.code, ProduceCode::kInvalid) << o.message;
        ASSERT_NE(o.code, ProduceCode::kOutOfOrder) << o.message;
        std::this_thread::sleep_for(50ms);
      }
    }
    ASSERT_TRUE(done) << "batch " << b << " never acknowledged";
  }
  ASSERT_GE(killed, 0);
  EXPECT_NE(leader, killed);                      // a new leader took over by itself
  EXPECT_GE(acked.size(), size_t(kBatches - 1));  // a retried duplicate may lack offsets

  auto check = [&](int node) {
    std::vector<log::Record> all;
    for (int t = 0; t < 200; ++t) {
      all.clear();
      uint64_t from = 0;
      for (int k = 0; k < 100; ++k) {
        auto r = nodes_[node]->Read(from, 1000);
        if (!r.ok() || r->empty()) break;
        from = r->back().offset + 1;
        for (auto& rec : *r) all.push_back(std::move(rec));
      }
      if (all.size() >= size_t(kBatches * kPerBatch)) break;
      std::this_thread::sleep_for(50ms);
    }
    ASSERT_EQ(all.size(), size_t(kBatches * kPerBatch)) << "node " << node + 1;
    for (int b = 0; b < kBatches; ++b) {
      for (int i = 0; i < kPerBatch; ++i) {
        const log::Record& r = all[size_t(b * kPerBatch + i)];
        ASSERT_EQ(r.offset, uint64_t(b * kPerBatch + i));
        ASSERT_EQ(r.value, Rec(b, i).value) << "node " << node + 1 << " offset " << r.offset;
      }
    }
    for (auto& [b, offsets] : acked) {
      EXPECT_EQ(offsets.first, uint64_t(b * kPerBatch));
      EXPECT_EQ(offsets.second, uint64_t(b * kPerBatch + kPerBatch - 1));
    }
  };
  for (int i = 0; i < 3; ++i) {
    if (nodes_[i]) check(i);
  }
  // The killed node restarts from its directory and catches up.
  StartNode(killed);
  check(killed);
  auto c = nodes_[leader]->counters();
  EXPECT_GT(c.frames_out, 0u);
  EXPECT_EQ(c.bad_streams, 0u);
}

// The client API on all three nodes over the replicated partition: a follower answers
// NotLeader with the leader's client address, the client follows the hint, and the
// records come back by Consume and Query on the leader and (once applied) a follower.
TEST_F(ReplicaNodeTest, ClientApiFollowsTheLeaderHint) {
  struct Serving {
    std::unique_ptr<log::LogStore> store;
    ReplicatedLogs replicated;
    std::unique_ptr<DataHandler> handler;
    std::unique_ptr<DataServer> server;
  };
  std::vector<std::unique_ptr<Serving>> serving;
  std::vector<uint16_t> api_ports;
  std::vector<std::unique_ptr<stack::Listener>> api_listeners;
  for (int i = 0; i < 3; ++i) {
    auto l = stacks_[i]->Listen(0);
    ASSERT_TRUE(l.ok());
    api_ports.push_back((*l)->port());
    api_listeners.push_back(std::move(*l));
  }
  for (int i = 0; i < 3; ++i) {
    auto s = std::make_unique<Serving>();
    auto store = log::LogStore::Open(log::PosixEnvironment(), dir_ + "/store" + std::to_string(i),
                                     log::PartitionOptions{});
    ASSERT_TRUE(store.ok()) << store.error();
    s->store = std::move(*store);
    ASSERT_TRUE(s->replicated.Add("app/orders", {nodes_[i].get()}).ok());
    for (int j = 0; j < 3; ++j) {
      s->replicated.SetMember(
          raft::NodeId(j + 1),
          {"node-" + std::to_string(j + 1),
           stack::SocketAddress{stacks_[j]->address(), api_ports[j]}.ToString()});
    }
    HandlerOptions h;
    h.node_name = "node-" + std::to_string(i + 1);
    h.replicated = &s->replicated;
    s->handler = std::make_unique<DataHandler>(s->store.get(), &clock_, h);
    s->server = std::make_unique<DataServer>(s->handler.get());
    ASSERT_TRUE(s->server->Start(std::move(api_listeners[i])).ok());
    serving.push_back(std::move(s));
  }
  int leader = WaitLeader();
  ASSERT_GE(leader, 0);
  int follower = (leader + 1) % 3;
  // Wait until the follower knows the leader, so its NotLeader carries a hint.
  for (int t = 0; t < 200 && nodes_[follower]->leader() != raft::NodeId(leader + 1); ++t) {
    std::this_thread::sleep_for(20ms);
  }
  auto fc =
      Client::Connect(stacks_[follower].get(), {stacks_[follower]->address(), api_ports[follower]});
  ASSERT_TRUE(fc.ok());
  auto listed = (*fc)->ListLogs();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].replication_factor, 3);
  auto refused = (*fc)->Produce("app/orders", 0, {Rec(0, 0)});
  ASSERT_FALSE(refused.ok());
  ASSERT_TRUE(refused.error().not_leader()) << refused.error().ToString();
  auto hinted = stack::SocketAddress::Parse(refused.error().server.leader_address);
  ASSERT_TRUE(hinted.has_value()) << refused.error().ToString();
  EXPECT_EQ(hinted->port, api_ports[leader]);

  auto lc = Client::Connect(stacks_[follower].get(), *hinted);
  ASSERT_TRUE(lc.ok());
  constexpr int kBatches = 20, kPer = 50;
  for (int b = 0; b < kBatches; ++b) {
    std::vector<log::Record> batch;
    for (int i = 0; i < kPer; ++i) batch.push_back(Rec(b, i));
    auto p = (*lc)->Produce("app/orders", 0, batch, api::Acks::kAll);
    ASSERT_TRUE(p.ok()) << p.error().ToString();
    EXPECT_EQ(p->base_offset, uint64_t(b * kPer));
    EXPECT_EQ(p->last_offset, uint64_t(b * kPer + kPer - 1));
  }
  auto consume_all = [&](Client* c) {
    std::vector<log::Record> all;
    uint64_t from = 0;
    for (int k = 0; k < 100; ++k) {
      auto r = c->Consume("app/orders", 0, from, 300);
      if (!r.ok() || r->records.empty()) break;
      from = r->records.back().offset + 1;
      for (auto& rec : r->records) all.push_back(std::move(rec));
    }
    return all;
  };
  auto got = consume_all(lc->get());
  ASSERT_EQ(got.size(), size_t(kBatches * kPer));
  for (size_t k = 0; k < got.size(); ++k) {
    ASSERT_EQ(got[k].offset, k);
    ASSERT_EQ(got[k].value, Rec(int(k / kPer), int(k % kPer)).value);
  }
  auto q = (*lc)->Query("SELECT i FROM app/orders WHERE b = 7 AND i >= 48");
  ASSERT_TRUE(q.ok()) << q.error().ToString();
  ASSERT_EQ(q->rows.size(), 2u);
  EXPECT_EQ(q->rows[0], "{\"i\":48}");
  std::vector<log::Record> on_follower;
  for (int t = 0; t < 200; ++t) {
    on_follower = consume_all(fc->get());
    if (on_follower.size() == got.size()) break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(on_follower, got);
  for (auto& s : serving) s->server->Stop();
}

}  // namespace
}  // namespace dlog::service
