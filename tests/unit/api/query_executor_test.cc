#include "api/query_executor.h"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "api/log_store_source.h"
#include "base/clock.h"
#include "log/log_store.h"
#include "log/mem_env.h"

namespace dlog::api {
namespace {

log::Record Rec(const std::string& value, uint64_t offset, const std::string& key = "k") {
  log::Record r;
  r.key = Bytes(key.begin(), key.end());
  r.value = Bytes(value.begin(), value.end());
  r.timestamp_ms = 1000 + int64_t(offset);
  r.offset = offset;
  return r;
}

// Partitions in memory; counts what the executor reads.
class MemorySource final : public RecordSource {
 public:
  std::map<std::string, std::vector<std::vector<log::Record>>> logs;
  uint64_t reads = 0;
  uint64_t records_returned = 0;
  std::vector<uint32_t> partitions_read;
  bool fail = false;

  std::optional<uint32_t> Partitions(const std::string& log) override {
    auto it = logs.find(log);
    if (it == logs.end()) return std::nullopt;
    return uint32_t(it->second.size());
  }
  Result<std::vector<log::Record>> Read(const std::string& log, uint32_t partition, uint64_t from,
                                        uint32_t max_records) override {
    if (fail) return Status::Error("disk on fire");
    ++reads;
    partitions_read.push_back(partition);
    std::vector<log::Record> out;
    for (const log::Record& r : logs.at(log).at(partition)) {
      if (r.offset >= from && out.size() < max_records) out.push_back(r);
    }
    records_returned += out.size();
    return out;
  }
};

// users/all: partition 0 holds ages 0..49, partition 1 ages 50..99 (offsets from 0),
// every tenth record of partition 0 is not JSON.
MemorySource Users() {
  MemorySource s;
  auto& parts = s.logs["users/all"];
  parts.resize(2);
  for (uint64_t i = 0; i < 50; ++i) {
    std::string v = i % 10 == 9 ? "not json" : R"({"age":)" + std::to_string(i) + "}";
    parts[0].push_back(Rec(v, i));
    parts[1].push_back(Rec(R"({"age":)" + std::to_string(50 + i) + "}", i));
  }
  return s;
}

QueryResponse Ok(const QueryOutcome& o) {
  if (auto* e = std::get_if<ErrorResponse>(&o)) {
    ADD_FAILURE() << ErrorCodeName(e->code) << ": " << e->message;
    return {};
  }
  return std::get<QueryResponse>(o);
}

std::vector<int> Ages(const QueryResponse& r) {
  std::vector<int> out;
  for (const std::string& row : r.rows) out.push_back(nlohmann::json::parse(row)["age"]);
  return out;
}

TEST(QueryExecutorTest, ScansPartitionsInOrderAndFilters) {
  MemorySource s = Users();
  QueryExecutor ex(&s, ExecutorOptions{.read_batch = 7});
  QueryResponse r = Ok(ex.Run("SELECT age FROM users/all WHERE age >= 45 AND age < 55"));
  EXPECT_EQ(Ages(r), (std::vector<int>{45, 46, 47, 48, 50, 51, 52, 53, 54}));
  EXPECT_EQ(r.scanned, 100u);
  EXPECT_EQ(r.not_object, 5u);
  EXPECT_FALSE(r.truncated);
}

TEST(QueryExecutorTest, LimitStopsTheScanAndIsPushedIntoReads) {
  MemorySource s = Users();
  QueryExecutor ex(&s);
  QueryResponse r = Ok(ex.Run("SELECT * FROM users/all LIMIT 3"));
  EXPECT_EQ(Ages(r), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(s.records_returned, 3u);  // asked for exactly 3
  EXPECT_FALSE(r.truncated);

  MemorySource t = Users();
  QueryExecutor ex2(&t, ExecutorOptions{.read_batch = 10});
  r = Ok(ex2.Run("SELECT * FROM users/all WHERE age > 5 LIMIT 2"));
  EXPECT_EQ(Ages(r), (std::vector<int>{6, 7}));
  EXPECT_EQ(t.reads, 1u);

  MemorySource u = Users();
  QueryExecutor ex3(&u);
  r = Ok(ex3.Run("SELECT * FROM users/all LIMIT 0"));
  EXPECT_TRUE(r.rows.empty());
  EXPECT_EQ(u.reads, 0u);
}

TEST(QueryExecutorTest, PartitionAndOffsetConditionsNarrowTheScan) {
  MemorySource s = Users();
  QueryExecutor ex(&s);
  QueryResponse r =
      Ok(ex.Run("SELECT _partition, _offset, age FROM users/all "
                "WHERE _partition = 1 AND _offset >= 47"));
  EXPECT_EQ(Ages(r), (std::vector<int>{97, 98, 99}));
  EXPECT_EQ(r.scanned, 3u);
  for (uint32_t p : s.partitions_read) EXPECT_EQ(p, 1u);
  nlohmann::json first = nlohmann::json::parse(r.rows[0]);
  EXPECT_EQ(first["_partition"], 1);
  EXPECT_EQ(first["_offset"], 47);

  MemorySource t = Users();
  QueryExecutor ex2(&t);
  r = Ok(ex2.Run("SELECT age FROM users/all WHERE _offset > 48"));
  EXPECT_EQ(Ages(r), (std::vector<int>{99}));  // offset 49 of partition 0 is not JSON
  EXPECT_EQ(r.scanned, 2u);
  EXPECT_EQ(r.not_object, 1u);

  MemorySource d = Users();
  QueryExecutor ex4(&d);
  r = Ok(ex4.Run("SELECT age FROM users/all WHERE _partition = 1.0 AND _offset >= 48.0"));
  EXPECT_EQ(Ages(r), (std::vector<int>{98, 99}));
  r = Ok(ex4.Run("SELECT age FROM users/all WHERE _partition = 0.5"));
  EXPECT_TRUE(r.rows.empty());

  MemorySource u = Users();
  QueryExecutor ex3(&u);
  r = Ok(ex3.Run("SELECT age FROM users/all WHERE _partition = 7"));
  EXPECT_TRUE(r.rows.empty());
  EXPECT_EQ(u.reads, 0u);
}

TEST(QueryExecutorTest, BoundsTruncate) {
  MemorySource s = Users();
  QueryExecutor scan_bound(&s, ExecutorOptions{.max_scanned = 20});
  QueryResponse r = Ok(scan_bound.Run("SELECT * FROM users/all WHERE age > 1000"));
  EXPECT_EQ(r.scanned, 20u);
  EXPECT_TRUE(r.truncated);

  QueryExecutor row_bound(&s, ExecutorOptions{.default_limit = 4});
  r = Ok(row_bound.Run("SELECT * FROM users/all"));
  EXPECT_EQ(r.rows.size(), 4u);
  EXPECT_TRUE(r.truncated);

  QueryExecutor byte_bound(&s, ExecutorOptions{.max_row_bytes = 30});
  r = Ok(byte_bound.Run("SELECT * FROM users/all"));
  EXPECT_EQ(r.rows.size(), 3u);  // {"age":0} is 9 bytes
  EXPECT_TRUE(r.truncated);
}

TEST(QueryExecutorTest, ErrorsAreActionable) {
  MemorySource s = Users();
  QueryExecutor ex(&s);
  QueryOutcome bad = ex.Run("SELECT * FORM users/all");
  ASSERT_TRUE(std::holds_alternative<ErrorResponse>(bad));
  EXPECT_EQ(std::get<ErrorResponse>(bad).code, ErrorCode::kBadQuery);
  EXPECT_EQ(std::get<ErrorResponse>(bad).position, 10u);

  QueryOutcome unknown = ex.Run("SELECT * FROM users/none");
  ASSERT_TRUE(std::holds_alternative<ErrorResponse>(unknown));
  EXPECT_EQ(std::get<ErrorResponse>(unknown).code, ErrorCode::kUnknownLog);
  EXPECT_NE(std::get<ErrorResponse>(unknown).message.find("users/none"), std::string::npos);

  s.fail = true;
  QueryOutcome failed = ex.Run("SELECT * FROM users/all");
  ASSERT_TRUE(std::holds_alternative<ErrorResponse>(failed));
  EXPECT_EQ(std::get<ErrorResponse>(failed).code, ErrorCode::kInternal);
  // Every error encodes into a valid Error frame.
  EXPECT_TRUE(EncodeResponseFrame(1, Response(std::get<ErrorResponse>(bad))).ok());
}

TEST(QueryExecutorTest, RunsOverTheRealLogStoreUpToTheHighWatermark) {
  log::MemEnv env;
  ASSERT_TRUE(env.CreateDir("/srv").ok());
  FakeClock clock;
  log::PartitionOptions options;
  options.clock = &clock;
  options.segment_bytes = 4096;  // several segments
  auto store = log::LogStore::Open(&env, "/srv/data", options);
  ASSERT_TRUE(store.ok()) << store.status().message();
  auto name = log::LogName::Parse("shop/orders");
  ASSERT_TRUE(name.ok());
  ASSERT_TRUE((*store)->CreateLog(*name, log::LogConfig{.partitions = 3}).ok());
  for (uint32_t p = 0; p < 3; ++p) {
    auto part = (*store)->GetPartition(*name, p);
    ASSERT_TRUE(part.ok());
    for (int batch = 0; batch < 10; ++batch) {
      std::vector<log::Record> records;
      for (int i = 0; i < 10; ++i) {
        int n = batch * 10 + i;
        records.push_back(Rec(R"({"item":"i)" + std::to_string(n) + R"(","qty":)" +
                                  std::to_string(n % 7) + R"(,"p":)" + std::to_string(p) + "}",
                              0, "c" + std::to_string(n % 3)));
      }
      ASSERT_TRUE((*part)->Append(records).ok());
    }
    // Replication would advance the high watermark; partition 2 has committed only its
    // first 50 records, and queries must not see the rest.
    ASSERT_TRUE((*part)->SetHighWatermark(p == 2 ? 50 : 100).ok());
  }
  LogStoreSource source(store->get());
  QueryExecutor ex(&source, ExecutorOptions{.read_batch = 16});
  QueryResponse r =
      Ok(ex.Run("SELECT _partition, _offset, item FROM shop/orders "
                "WHERE qty = 6 AND _key = 'c0'"));
  // n % 7 == 6 and n % 3 == 0: n = 6, 27, 48, 69, 90 in partitions 0 and 1; 6, 27, 48 in 2.
  ASSERT_EQ(r.rows.size(), 13u);
  EXPECT_EQ(r.scanned, 250u);
  nlohmann::json last = nlohmann::json::parse(r.rows.back());
  EXPECT_EQ(last["_partition"], 2);
  EXPECT_EQ(last["_offset"], 48);
  EXPECT_EQ(last["item"], "i48");

  r = Ok(ex.Run("SELECT item FROM shop/orders WHERE _partition = 1 AND _offset >= 95 LIMIT 3"));
  EXPECT_EQ(r.rows, (std::vector<std::string>{R"({"item":"i95"})", R"({"item":"i96"})",
                                              R"({"item":"i97"})"}));
  QueryOutcome unknown = ex.Run("SELECT * FROM shop/none");
  ASSERT_TRUE(std::holds_alternative<ErrorResponse>(unknown));
  EXPECT_EQ(std::get<ErrorResponse>(unknown).code, ErrorCode::kUnknownLog);
}

}  // namespace
}  // namespace dlog::api
