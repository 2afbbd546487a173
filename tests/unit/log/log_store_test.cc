#include "log/log_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log/mem_env.h"
#include "log/posix_env.h"
#include "test_util.h"

namespace dlog::log {
namespace {

using testing::MakeRecords;
using testing::Take;

LogName N(const std::string& s) { return Take(LogName::Parse(s)); }

class LogStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(env_.CreateDir("/srv").ok());
    ASSERT_TRUE(env_.SyncDir("/").ok());
    options_.clock = &clock_;
    options_.segment_bytes = 1024;
  }
  std::unique_ptr<LogStore> Open() { return Take(LogStore::Open(&env_, dir_, options_)); }

  MemEnv env_;
  FakeClock clock_;
  std::string dir_ = "/srv/dlog-data";
  PartitionOptions options_;
};

TEST_F(LogStoreTest, CreateListDescribeAndUsePartitions) {
  auto store = Open();
  EXPECT_TRUE(store->ListLogs().empty());
  LogInfo info = Take(store->CreateLog(N("shop/orders"), {.partitions = 3}));
  EXPECT_EQ(info.config.partitions, 3u);
  EXPECT_EQ(info.created_unix_ms, clock_.WallNow().unix_nanos / 1'000'000);
  Take(store->CreateLog(N("shop/carts"), {.partitions = 1, .retention = {.max_bytes = 1 << 20}}));
  Take(store->CreateLog(N("audit/events"), {}));
  std::vector<LogInfo> logs = store->ListLogs();
  ASSERT_EQ(logs.size(), 3u);
  EXPECT_EQ(logs[0].name.ToString(), "audit/events");
  EXPECT_EQ(logs[1].name.ToString(), "shop/carts");
  EXPECT_EQ(logs[1].config.retention.max_bytes, 1 << 20);
  EXPECT_EQ(logs[2].name.ToString(), "shop/orders");

  auto p2 = Take(store->GetPartition(N("shop/orders"), 2));
  Take(p2->Append(MakeRecords(4, "o")));
  EXPECT_EQ(p2->LogEndOffset(), 4u);
  EXPECT_EQ(Take(store->GetPartition(N("shop/orders"), 0))->LogEndOffset(), 0u);
  EXPECT_TRUE(env_.FileExists(dir_ + "/logs/shop/orders/meta"));
  EXPECT_TRUE(env_.FileExists(dir_ + "/logs/shop/orders/2/00000000000000000000.log"));
}

TEST_F(LogStoreTest, ErrorsAUserCanActOn) {
  auto store = Open();
  Take(store->CreateLog(N("a/b"), {.partitions = 2}));
  Result<LogInfo> dup = store->CreateLog(N("a/b"), {});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error(), "log a/b already exists");
  Result<std::shared_ptr<Partition>> unknown = store->GetPartition(N("a/c"), 0);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error(), "log a/c does not exist");
  Result<std::shared_ptr<Partition>> part = store->GetPartition(N("a/b"), 2);
  ASSERT_FALSE(part.ok());
  EXPECT_EQ(part.error(), "log a/b has partitions 0..1, not 2");
  EXPECT_FALSE(store->CreateLog(N("a/z"), {.partitions = 0}).ok());
  EXPECT_FALSE(store->CreateLog(N("a/z"), {.partitions = kMaxPartitions + 1}).ok());
  EXPECT_EQ(store->DeleteLog(N("x/y")).message(), "log x/y does not exist");
}

TEST_F(LogStoreTest, ReopenRecoversLogsAndData) {
  {
    auto store = Open();
    Take(store->CreateLog(N("a/b"), {.partitions = 2, .retention = {.max_age_ms = 60000}}));
    auto p = Take(store->GetPartition(N("a/b"), 1));
    for (int i = 0; i < 20; ++i) Take(p->Append(MakeRecords(3, "r")));
  }
  env_.Crash();
  auto store = Open();
  ASSERT_EQ(store->ListLogs().size(), 1u);
  EXPECT_EQ(Take(store->DescribeLog(N("a/b"))).config.retention.max_age_ms, 60000);
  EXPECT_EQ(Take(store->GetPartition(N("a/b"), 1))->LogEndOffset(), 60u);
}

TEST_F(LogStoreTest, DeleteRemovesEverythingAndStopsHeldPartitions) {
  auto store = Open();
  Take(store->CreateLog(N("a/b"), {.partitions = 2}));
  Take(store->CreateLog(N("a/c"), {}));
  auto held = Take(store->GetPartition(N("a/b"), 0));
  ASSERT_TRUE(store->DeleteLog(N("a/b")).ok());
  EXPECT_FALSE(env_.DirExists(dir_ + "/logs/a/b"));
  EXPECT_FALSE(held->Append(MakeRecords(1, "x")).ok());
  EXPECT_FALSE(store->GetPartition(N("a/b"), 0).ok());
  ASSERT_TRUE(store->DeleteLog(N("a/c")).ok());
  EXPECT_FALSE(env_.DirExists(dir_ + "/logs/a"));  // empty namespace removed
  // The name is free again, with fresh data.
  Take(store->CreateLog(N("a/b"), {}));
  EXPECT_EQ(Take(store->GetPartition(N("a/b"), 0))->LogEndOffset(), 0u);
  env_.Crash();
  auto reopened = Open();
  ASSERT_EQ(reopened->ListLogs().size(), 1u);
}

TEST_F(LogStoreTest, CrashAtAnyPointOfCreateLeavesTheLogAllOrNothing) {
  for (uint64_t calls = 0; calls < 40; ++calls) {
    SCOPED_TRACE("power cut after " + std::to_string(calls) + " writes");
    MemEnv env;
    ASSERT_TRUE(env.CreateDir("/srv").ok());
    ASSERT_TRUE(env.SyncDir("/").ok());
    {
      auto store = Take(LogStore::Open(&env, dir_, options_));
      Take(store->CreateLog(N("keep/me"), {}));
      env.FailWritesAfter(calls);
      (void)store->CreateLog(N("new/log"), {.partitions = 3});
    }
    env.Crash([](const std::string&, size_t n) { return n / 2; });
    auto store = Take(LogStore::Open(&env, dir_, options_));
    std::vector<LogInfo> logs = store->ListLogs();
    ASSERT_GE(logs.size(), 1u);
    EXPECT_EQ(logs.back().name.ToString(), logs.size() == 2 ? "new/log" : "keep/me");
    if (logs.size() == 2) {
      for (uint32_t p = 0; p < 3; ++p) EXPECT_TRUE(store->GetPartition(N("new/log"), p).ok());
    } else {
      EXPECT_FALSE(env.DirExists(dir_ + "/logs/new/log"));
      EXPECT_FALSE(env.DirExists(dir_ + "/logs/new"));
    }
  }
}

TEST_F(LogStoreTest, CrashAtAnyPointOfDeleteLeavesTheLogAllOrNothing) {
  for (uint64_t calls = 0; calls < 30; ++calls) {
    SCOPED_TRACE("power cut after " + std::to_string(calls) + " writes");
    MemEnv env;
    ASSERT_TRUE(env.CreateDir("/srv").ok());
    ASSERT_TRUE(env.SyncDir("/").ok());
    {
      auto store = Take(LogStore::Open(&env, dir_, options_));
      Take(store->CreateLog(N("gone/soon"), {.partitions = 2}));
      Take(Take(store->GetPartition(N("gone/soon"), 1))->Append(MakeRecords(5, "d")));
      env.FailWritesAfter(calls);
      (void)store->DeleteLog(N("gone/soon"));
    }
    env.Crash();
    auto store = Take(LogStore::Open(&env, dir_, options_));
    if (store->ListLogs().empty()) {
      EXPECT_FALSE(env.DirExists(dir_ + "/logs/gone"));
    } else {
      EXPECT_EQ(Take(store->GetPartition(N("gone/soon"), 1))->LogEndOffset(), 5u);
    }
  }
}

TEST_F(LogStoreTest, CorruptMetadataFailsOpenWithTheFileNamed) {
  { Take(Open()->CreateLog(N("a/b"), {})); }
  ASSERT_TRUE(env_.CorruptFile(dir_ + "/logs/a/b/meta", 13, 0x01).ok());
  Result<std::unique_ptr<LogStore>> store = LogStore::Open(&env_, dir_, options_);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().find("metadata of log a/b is unreadable: CRC mismatch"),
            std::string::npos)
      << store.error();
}

TEST_F(LogStoreTest, MetaLayoutIsPinned) {
  const Bytes m =
      EncodeLogMeta({.partitions = 7, .retention = {.max_bytes = 5, .max_age_ms = -1}}, 99);
  ASSERT_EQ(m.size(), kLogMetaSize);
  EXPECT_EQ(std::string(m.begin(), m.begin() + 8), "DLOGMETA");
  EXPECT_EQ(LoadLE32(&m[8]), 1u);
  EXPECT_EQ(LoadLE32(&m[12]), 7u);
  EXPECT_EQ(LoadLE64(&m[16]), 99u);
  EXPECT_EQ(LoadLE64(&m[24]), 5u);
  EXPECT_EQ(LoadLE64(&m[32]), ~uint64_t{0});
  LogInfo info = Take(DecodeLogMeta(N("a/b"), m));
  EXPECT_EQ(info.config.partitions, 7u);
  EXPECT_EQ(info.config.retention.max_age_ms, -1);
}

TEST_F(LogStoreTest, RetentionAndTickApplyToEveryPartition) {
  options_.fsync_policy = FsyncPolicy::kInterval;
  options_.fsync_interval = std::chrono::milliseconds(10);
  options_.fsync_interval_batches = 1000;
  auto store = Open();
  Take(store->CreateLog(N("a/b"), {.partitions = 2, .retention = {.max_bytes = 0}}));
  auto p = Take(store->GetPartition(N("a/b"), 0));
  for (int i = 0; i < 30; ++i) Take(p->Append(MakeRecords(3, "x")));
  EXPECT_LT(p->DurableEndOffset(), p->LogEndOffset());
  ASSERT_TRUE(store->NextSyncDeadline().has_value());
  clock_.Advance(std::chrono::milliseconds(10));
  ASSERT_TRUE(store->Tick().ok());
  EXPECT_EQ(p->DurableEndOffset(), p->LogEndOffset());
  EXPECT_FALSE(store->NextSyncDeadline().has_value());
  ASSERT_TRUE(p->SetHighWatermark(p->LogEndOffset()).ok());
  EXPECT_GT(Take(store->ApplyRetention(0)), 0u);
  EXPECT_EQ(p->SegmentCount(), 1u);
}

TEST(LogStorePosix, DirectoriesArePrivate) {
  char tmpl[] = "/tmp/dlog-store-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string root = tmpl;
  const mode_t old = ::umask(0);
  {
    auto store = Take(LogStore::Open(PosixEnvironment(), root + "/data", PartitionOptions{}));
    Take(store->CreateLog(N("ns/log"), {.partitions = 2}));
  }
  ::umask(old);
  for (const char* d : {"/data", "/data/logs", "/data/logs/ns", "/data/logs/ns/log",
                        "/data/logs/ns/log/0", "/data/logs/ns/log/1"}) {
    struct stat st;
    ASSERT_EQ(::stat((root + d).c_str(), &st), 0) << d;
    EXPECT_EQ(st.st_mode & 0777, 0700u) << d;
  }
  struct stat st;
  ASSERT_EQ(::stat((root + "/data/logs/ns/log/meta").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_TRUE(RemoveTree(PosixEnvironment(), root).ok());
}

}  // namespace
}  // namespace dlog::log
