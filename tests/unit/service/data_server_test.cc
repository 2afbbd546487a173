// DataServer + Client over KernelStack on 127.0.0.1 against a LogStore in a temp dir.
#include "service/data_server.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <thread>

#include "api/frame.h"
#include "base/bytes.h"
#include "log/posix_env.h"
#include "service/client.h"
#include "stack/kernel_stack.h"

namespace dlog::service {
namespace {

using api::ErrorCode;

log::Record Json(const std::string& key, const std::string& value) {
  log::Record r;
  r.key.assign(key.begin(), key.end());
  r.value.assign(value.begin(), value.end());
  return r;
}

std::string Str(const Bytes& b) { return std::string(b.begin(), b.end()); }

class DataServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dlog-service-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    server_.reset();
    handler_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void StartServer(HandlerOptions hopts = {}, ServerOptions sopts = {}) {
    log::PartitionOptions popts;
    popts.fsync_policy = log::FsyncPolicy::kAlways;
    popts.segment_bytes = 256 * 1024;  // several segments in the 10k test
    auto store = log::LogStore::Open(log::PosixEnvironment(), dir_ + "/data", popts);
    ASSERT_TRUE(store.ok()) << store.error();
    store_ = std::move(*store);
    handler_ = std::make_unique<DataHandler>(store_.get(), &clock_, hopts);
    server_ = std::make_unique<DataServer>(handler_.get(), sopts);
    auto listener = stack_.Listen(0);
    ASSERT_TRUE(listener.ok()) << listener.error();
    ASSERT_TRUE(server_->Start(std::move(*listener)).ok());
  }

  stack::SocketAddress Addr() const { return {stack_.address(), server_->port()}; }

  std::unique_ptr<Client> Connect(ClientOptions options = {}) {
    auto c = Client::Connect(&stack_, Addr(), options);
    EXPECT_TRUE(c.ok()) << c.error().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }

  std::string dir_;
  SystemClock clock_;
  stack::KernelStack stack_{stack::IpAddress::V4(127, 0, 0, 1)};
  std::unique_ptr<log::LogStore> store_;
  std::unique_ptr<DataHandler> handler_;
  std::unique_ptr<DataServer> server_;
};

TEST_F(DataServerTest, ProducesConsumesAndQueriesTenThousandRecords) {
  StartServer();
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  auto created = c->CreateLog("app/events", 2);
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  EXPECT_EQ(created->name, "app/events");
  EXPECT_EQ(created->partitions, 2u);
  EXPECT_EQ(created->replication_factor, 1);

  constexpr int kRecords = 10000, kBatch = 500;
  std::vector<log::Record> sent;
  for (int b = 0; b < kRecords / kBatch; ++b) {
    std::vector<log::Record> batch;
    for (int i = b * kBatch; i < (b + 1) * kBatch; ++i) {
      log::Record r =
          Json("k" + std::to_string(i),
               "{\"i\":" + std::to_string(i) + ",\"even\":" + (i % 2 ? "false" : "true") + "}");
      r.headers.push_back({"h", Bytes{uint8_t(i)}});
      r.timestamp_ms = 1700000000000 + i;
      batch.push_back(r);
    }
    auto p = c->Produce("app/events", 1, batch, b % 2 ? api::Acks::kAll : api::Acks::kLeader);
    ASSERT_TRUE(p.ok()) << p.error().ToString();
    EXPECT_EQ(p->partition, 1u);
    EXPECT_EQ(p->base_offset, uint64_t(b * kBatch));
    EXPECT_EQ(p->last_offset, uint64_t((b + 1) * kBatch - 1));
    for (auto& r : batch) {
      r.offset = sent.size();
      sent.push_back(std::move(r));
    }
  }

  std::vector<log::Record> got;
  uint64_t from = 0;
  for (int i = 0; i < 100 && from < kRecords; ++i) {
    auto r = c->Consume("app/events", 1, from, 777);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_EQ(r->high_watermark, uint64_t(kRecords));
    EXPECT_EQ(r->log_start_offset, 0u);
    ASSERT_FALSE(r->records.empty());
    EXPECT_LE(r->records.size(), 777u);
    from = r->records.back().offset + 1;
    for (auto& rec : r->records) got.push_back(std::move(rec));
  }
  ASSERT_EQ(got.size(), sent.size());
  for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], sent[i]) << "offset " << i;
  // At the high watermark: nothing, no error. Partition 0 is empty.
  auto end = c->Consume("app/events", 1, kRecords);
  ASSERT_TRUE(end.ok());
  EXPECT_TRUE(end->records.empty());
  auto empty = c->Consume("app/events", 0, 0);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->high_watermark, 0u);

  auto q = c->Query("SELECT i FROM app/events WHERE i >= 9990 AND even = true LIMIT 3");
  ASSERT_TRUE(q.ok()) << q.error().ToString();
  ASSERT_EQ(q->rows.size(), 3u);
  EXPECT_EQ(q->rows[0], "{\"i\":9990}");
  EXPECT_EQ(q->rows[2], "{\"i\":9994}");
  auto all = c->Query("SELECT _offset, _key FROM app/events WHERE _offset = 4242");
  ASSERT_TRUE(all.ok()) << all.error().ToString();
  ASSERT_EQ(all->rows.size(), 1u);
  EXPECT_EQ(all->rows[0], "{\"_offset\":4242,\"_key\":\"k4242\"}");
  auto limit = c->Query("SELECT * FROM app/events LIMIT 7");
  ASSERT_TRUE(limit.ok());
  EXPECT_EQ(limit->rows.size(), 7u);
  EXPECT_EQ(handler_->counters().records_appended, uint64_t(kRecords));
}

TEST_F(DataServerTest, KeyHashAndAcksNoneAndCatalog) {
  StartServer();
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->CreateLog("a/x", 4).ok());
  ASSERT_TRUE(c->CreateLog("b/y").ok());
  api::ProduceRequest keyed;
  keyed.log = "a/x";
  keyed.selector = api::PartitionSelector::kKeyHash;
  keyed.records = {Json("user-7", "{\"v\":1}"), Json("user-7", "{\"v\":2}")};
  auto p = c->Produce(keyed);
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  const uint32_t part = api::PartitionForKey(AsBytes("user-7"), 4);
  EXPECT_EQ(p->partition, part);

  // acks=none: no answer, but the records land; the next request on the connection
  // is served after it, so Consume sees them.
  ASSERT_TRUE(c->Produce("a/x", part, {Json("z", "{\"v\":3}")}, api::Acks::kNone).ok());
  auto r = c->Consume("a/x", part, 0);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->records.size(), 3u);
  EXPECT_EQ(Str(r->records[2].value), "{\"v\":3}");

  auto all = c->ListLogs();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "a/x");
  auto ns = c->ListLogs("b");
  ASSERT_TRUE(ns.ok());
  ASSERT_EQ(ns->size(), 1u);
  EXPECT_EQ((*ns)[0].name, "b/y");
  auto st = c->NodeStatus();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->logs, 2u);
  ASSERT_EQ(st->members.size(), 1u);
  ASSERT_TRUE(c->DeleteLog("b/y").ok());
  auto after = c->ListLogs();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->size(), 1u);
}

TEST_F(DataServerTest, EveryErrorIsTypedAndKeepsTheConnection) {
  HandlerOptions hopts;
  hopts.max_produce_bytes = 1000;
  StartServer(hopts);
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->CreateLog("app/e", 2).ok());
  ASSERT_TRUE(c->Produce("app/e", 0, {Json("", "{}"), Json("", "{}")}).ok());

  auto expect = [&](auto outcome, ErrorCode code) {
    ASSERT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.error().kind, ClientError::Kind::kServer) << outcome.error().ToString();
    EXPECT_EQ(outcome.error().server.code, code) << outcome.error().ToString();
    EXPECT_FALSE(outcome.error().server.message.empty());
  };
  expect(c->CreateLog("app/e"), ErrorCode::kLogExists);
  expect(c->CreateLog("noslash"), ErrorCode::kInvalidRequest);
  expect(c->CreateLog("app/z", 0), ErrorCode::kInvalidRequest);
  expect(c->CreateLog("app/z", 1, 3), ErrorCode::kInvalidRequest);
  expect(c->DeleteLog("app/none"), ErrorCode::kUnknownLog);
  expect(c->Produce("app/none", 0, {Json("", "{}")}), ErrorCode::kUnknownLog);
  expect(c->Produce("app/e", 2, {Json("", "{}")}), ErrorCode::kInvalidRequest);
  expect(c->Produce("app/e", 0, {Json("", std::string(1001, 'x'))}), ErrorCode::kTooLarge);
  expect(c->Consume("app/none", 0, 0), ErrorCode::kUnknownLog);
  expect(c->Consume("app/e", 5, 0), ErrorCode::kInvalidRequest);
  expect(c->Consume("app/e", 0, 3), ErrorCode::kOffsetOutOfRange);
  expect(c->Query("SELECT * FROM app/none"), ErrorCode::kUnknownLog);
  auto bad = c->Query("SELECT * FORM app/e");
  expect(bad, ErrorCode::kBadQuery);
  EXPECT_EQ(bad.error().server.position, 10u);
  EXPECT_NE(bad.error().ToString().find("column 10"), std::string::npos);
  EXPECT_FALSE(c->broken());
  // Still usable after every error.
  auto r = c->Consume("app/e", 0, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->records.size(), 2u);
  EXPECT_GE(handler_->counters().errors, 13u);
}

TEST_F(DataServerTest, MalformedFrameClosesOnlyThatConnection) {
  StartServer();
  auto good = Connect();
  ASSERT_NE(good, nullptr);
  ASSERT_TRUE(good->CreateLog("app/e").ok());

  auto raw = stack_.Connect(Addr(), std::chrono::seconds(5));
  ASSERT_TRUE(raw.ok());
  // A frame header with version 9: an Error frame (correlation id 0), then EOF.
  Bytes junk = {0, 0, 0, 8, 9, 1, 0, 0, 0, 0, 0, 1};
  ASSERT_TRUE((*raw)->Write(junk).ok());
  Bytes got;
  uint8_t buf[4096];
  for (int i = 0; i < 100; ++i) {
    auto n = (*raw)->Read(MutableByteSpan(buf, sizeof buf), std::chrono::seconds(5));
    ASSERT_TRUE(n.ok()) << n.error();
    if (*n == 0) break;
    got.insert(got.end(), buf, buf + *n);
  }
  api::FrameReader reader;
  ASSERT_TRUE(reader.Feed(got).ok());
  auto frame = reader.Next();
  ASSERT_TRUE(frame.ok());
  ASSERT_TRUE(frame->has_value());
  auto response = api::DecodeResponse(**frame);
  ASSERT_TRUE(response.ok());
  ASSERT_TRUE(std::holds_alternative<api::ErrorResponse>(*response));
  EXPECT_EQ((**frame).correlation_id, 0u);

  // The other connection never noticed.
  ASSERT_TRUE(good->Produce("app/e", 0, {Json("", "{}")}).ok());
  auto r = good->Consume("app/e", 0, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->records.size(), 1u);
  EXPECT_EQ(server_->counters().closed_bad_frames, 1u);
}

TEST_F(DataServerTest, UndecodableBodyIsAnsweredAndTheConnectionStays) {
  StartServer();
  auto raw = stack_.Connect(Addr(), std::chrono::seconds(5));
  ASSERT_TRUE(raw.ok());
  // A well-framed CreateLog (type 1) whose body is 3 bytes of nothing.
  Bytes frame = {0, 0, 0, 11, 1, 1, 0, 0, 0, 0, 0, 42, 0xff, 0xff, 0xff};
  ASSERT_TRUE((*raw)->Write(frame).ok());
  api::FrameReader reader;
  uint8_t buf[4096];
  std::optional<api::Frame> got;
  for (int i = 0; i < 100 && !got; ++i) {
    auto n = (*raw)->Read(MutableByteSpan(buf, sizeof buf), std::chrono::seconds(5));
    ASSERT_TRUE(n.ok() && *n > 0);
    ASSERT_TRUE(reader.Feed(ByteSpan(buf, *n)).ok());
    auto f = reader.Next();
    ASSERT_TRUE(f.ok());
    if (f->has_value()) got = **f;
  }
  ASSERT_TRUE(got);
  EXPECT_EQ(got->correlation_id, 42u);
  auto response = api::DecodeResponse(*got);
  ASSERT_TRUE(response.ok());
  auto* e = std::get_if<api::ErrorResponse>(&*response);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->code, ErrorCode::kInvalidRequest);
  // Same connection, a valid request now.
  Client c(std::move(*raw), {});
  ASSERT_TRUE(c.CreateLog("app/ok").ok());
}

TEST_F(DataServerTest, ConnectionsBeyondTheBoundAreClosed) {
  ServerOptions sopts;
  sopts.max_connections = 2;
  StartServer({}, sopts);
  auto a = Connect();
  auto b = Connect();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(a->NodeStatus().ok());
  ASSERT_TRUE(b->NodeStatus().ok());
  auto third = Connect();
  ASSERT_NE(third, nullptr);
  auto st = third->NodeStatus();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ClientError::Kind::kTransport) << st.error().ToString();
  EXPECT_EQ(server_->counters().rejected_connections, 1u);
  // A slot frees when a client leaves.
  a->Close();
  bool served = false;
  for (int i = 0; i < 50 && !served; ++i) {
    auto d = Connect();
    served = d != nullptr && d->NodeStatus().ok();
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(served);
}

TEST_F(DataServerTest, ConcurrentClientsProduceWithoutLoss) {
  StartServer();
  {
    auto c = Connect();
    ASSERT_NE(c, nullptr);
    ASSERT_TRUE(c->CreateLog("app/c").ok());
  }
  constexpr int kThreads = 4, kPer = 50;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto c = Client::Connect(&stack_, Addr());
      if (!c.ok()) return void(++failures);
      for (int i = 0; i < kPer; ++i) {
        auto p = (*c)->Produce("app/c", 0, {Json(std::to_string(t), "{}")});
        if (!p.ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto c = Connect();
  auto r = c->Consume("app/c", 0, 0, 10000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->records.size(), size_t(kThreads * kPer));
  EXPECT_EQ(r->high_watermark, uint64_t(kThreads * kPer));
}

TEST_F(DataServerTest, IdleConnectionsAreClosed) {
  ServerOptions sopts;
  sopts.idle_timeout = std::chrono::milliseconds(200);
  StartServer({}, sopts);
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->NodeStatus().ok());
  for (int i = 0; i < 100 && server_->counters().idle_closed == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(server_->counters().idle_closed, 1u);
  auto st = c->NodeStatus();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ClientError::Kind::kTransport) << st.error().ToString();
}

}  // namespace
}  // namespace dlog::service
