#include "replica/raft_disk_storage.h"

#include <gtest/gtest.h>

#include "log/mem_env.h"

namespace dlog::replica {
namespace {

using raft::Entry;
using raft::EntryType;
using raft::HardState;

constexpr char kDir[] = "/raft";

raft::Membership Voters() { return *raft::Membership::Make({1, 2, 3}); }

Entry E(raft::Term t, raft::Index i, std::string data = "x") {
  return Entry{t, i, EntryType::kNormal, Bytes(data.begin(), data.end())};
}

std::unique_ptr<RaftDiskStorage> OpenOk(log::Env* env, raft::NodeId id = 1) {
  Result<std::unique_ptr<RaftDiskStorage>> s = RaftDiskStorage::Open(env, kDir, id, Voters());
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error());
  return s.ok() ? std::move(*s) : nullptr;
}

std::vector<Entry> All(const RaftDiskStorage& s) {
  if (s.LastIndex() == 0) return {};
  return *s.Entries(1, s.LastIndex() + 1, UINT64_MAX);
}

TEST(RaftDiskStorage, NewStoreIsEmptyWithBootstrapVoters) {
  log::MemEnv env;
  auto s = OpenOk(&env);
  EXPECT_EQ(s->FirstIndex(), 1u);
  EXPECT_EQ(s->LastIndex(), 0u);
  EXPECT_EQ(*s->TermAt(0), 0u);
  Result<raft::InitialState> init = s->LoadInitialState();
  ASSERT_TRUE(init.ok());
  EXPECT_EQ(init->hard_state, HardState{});
  EXPECT_EQ(init->membership, Voters());
}

TEST(RaftDiskStorage, SyncedStateSurvivesReopenAndCrash) {
  log::MemEnv env;
  {
    auto s = OpenOk(&env);
    std::vector<Entry> es = {E(1, 1, "a"), E(1, 2, ""),
                             Entry{2, 3, EntryType::kMembership, Voters().Encode()}};
    ASSERT_TRUE(s->Append(es).ok());
    ASSERT_TRUE(s->SetHardState({2, 3, 2}).ok());
    ASSERT_TRUE(s->Sync().ok());
  }
  env.Crash();
  auto s = OpenOk(&env);
  EXPECT_EQ(s->LastIndex(), 3u);
  EXPECT_EQ(s->hard_state(), (HardState{2, 3, 2}));
  std::vector<Entry> all = All(*s);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0], E(1, 1, "a"));
  EXPECT_EQ(all[1], E(1, 2, ""));
  EXPECT_EQ(all[2].type, EntryType::kMembership);
  EXPECT_EQ(*s->TermAt(3), 2u);
  EXPECT_EQ(s->recovery().cut_bytes, 0u);
}

TEST(RaftDiskStorage, UnsyncedWritesAreLostOnCrash) {
  log::MemEnv env;
  {
    auto s = OpenOk(&env);
    ASSERT_TRUE(s->Append(std::vector<Entry>{E(1, 1)}).ok());
    ASSERT_TRUE(s->SetHardState({1, 1, 0}).ok());
    ASSERT_TRUE(s->Sync().ok());
    ASSERT_TRUE(s->Append(std::vector<Entry>{E(1, 2)}).ok());
    ASSERT_TRUE(s->SetHardState({3, 2, 1}).ok());
  }
  env.Crash();  // keeps none of the unsynced bytes
  auto s = OpenOk(&env);
  EXPECT_EQ(s->LastIndex(), 1u);
  EXPECT_EQ(s->hard_state(), (HardState{1, 1, 0}));
}

TEST(RaftDiskStorage, RewrittenSuffixReplacesOldEntries) {
  log::MemEnv env;
  {
    auto s = OpenOk(&env);
    ASSERT_TRUE(s->Append(std::vector<Entry>{E(1, 1), E(1, 2, "old"), E(1, 3, "old")}).ok());
    ASSERT_TRUE(s->Append(std::vector<Entry>{E(2, 2, "new")}).ok());
    EXPECT_EQ(s->LastIndex(), 2u);
    ASSERT_TRUE(s->Sync().ok());
  }
  auto s = OpenOk(&env);
  ASSERT_EQ(s->LastIndex(), 2u);
  EXPECT_EQ(All(*s)[1], E(2, 2, "new"));
  EXPECT_FALSE(s->Append(std::vector<Entry>{E(2, 4)}).ok());  // a gap
}

// Every torn length of the last frame: the frames before it survive, the tail is cut
// durably, and the store accepts writes again.
TEST(RaftDiskStorage, TornTailIsCutAtEveryLength) {
  for (size_t keep = 0;; ++keep) {
    log::MemEnv env;
    size_t unsynced = 0;
    {
      auto s = OpenOk(&env);
      ASSERT_TRUE(s->Append(std::vector<Entry>{E(1, 1, "first")}).ok());
      ASSERT_TRUE(s->Sync().ok());
      ASSERT_TRUE(s->Append(std::vector<Entry>{E(1, 2, "second entry")}).ok());
    }
    env.Crash([&](const std::string& path, size_t n) -> size_t {
      if (path.ends_with("/wal")) unsynced = n;
      return keep;
    });
    auto s = OpenOk(&env);
    if (keep >= unsynced) {  // the whole frame survived
      EXPECT_EQ(s->LastIndex(), 2u);
      break;
    }
    EXPECT_EQ(s->LastIndex(), 1u) << keep;
    EXPECT_EQ(s->recovery().cut_bytes, keep);
    ASSERT_TRUE(s->Append(std::vector<Entry>{E(2, 2, "again")}).ok());
    ASSERT_TRUE(s->Sync().ok());
    s.reset();
    env.Crash();
    s = OpenOk(&env);
    ASSERT_EQ(s->LastIndex(), 2u);
    EXPECT_EQ(All(*s)[1], E(2, 2, "again"));
  }
}

TEST(RaftDiskStorage, CorruptTailFrameIsCut) {
  log::MemEnv env;
  {
    auto s = OpenOk(&env);
    ASSERT_TRUE(s->Append(std::vector<Entry>{E(1, 1), E(1, 2, "tail")}).ok());
    ASSERT_TRUE(s->Sync().ok());
  }
  Result<uint64_t> size = env.GetFileSize("/raft/wal");
  ASSERT_TRUE(env.CorruptFile("/raft/wal", *size - 1, 0x40).ok());
  auto s = OpenOk(&env);
  EXPECT_EQ(s->LastIndex(), 1u);
  EXPECT_GT(s->recovery().cut_bytes, 0u);
}

TEST(RaftDiskStorage, CorruptionFollowedByValidFramesIsRefused) {
  log::MemEnv env;
  {
    auto s = OpenOk(&env);
    ASSERT_TRUE(s->Append(std::vector<Entry>{E(1, 1, "one"), E(1, 2, "two")}).ok());
    ASSERT_TRUE(s->Sync().ok());
  }
  // Byte 8 + 20 is the first entry's data: its frame fails the CRC, the next is fine.
  ASSERT_TRUE(env.CorruptFile("/raft/wal", kWalFrameHeader + kWalEntryBodyHeader, 1).ok());
  Result<std::unique_ptr<RaftDiskStorage>> s = RaftDiskStorage::Open(&env, kDir, 1, Voters());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("corrupt"), std::string::npos) << s.error();
}

TEST(RaftDiskStorage, RefusesAnotherNodesStore) {
  log::MemEnv env;
  OpenOk(&env, 1);
  Result<std::unique_ptr<RaftDiskStorage>> s = RaftDiskStorage::Open(&env, kDir, 2, Voters());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("belongs to node 1"), std::string::npos) << s.error();
}

TEST(RaftDiskStorage, SyncFsyncsUnlessPolicyIsNever) {
  log::MemEnv env;
  auto s = OpenOk(&env);
  uint64_t before = env.file_syncs();
  ASSERT_TRUE(s->Append(std::vector<Entry>{E(1, 1)}).ok());
  ASSERT_TRUE(s->Sync().ok());
  EXPECT_EQ(env.file_syncs(), before + 1);

  log::MemEnv env2;
  Result<std::unique_ptr<RaftDiskStorage>> n =
      RaftDiskStorage::Open(&env2, kDir, 1, Voters(), {RaftSyncPolicy::kNever});
  ASSERT_TRUE(n.ok());
  before = env2.file_syncs();
  ASSERT_TRUE((*n)->Append(std::vector<Entry>{E(1, 1)}).ok());
  ASSERT_TRUE((*n)->Sync().ok());
  EXPECT_EQ(env2.file_syncs(), before);
}

TEST(RaftDiskStorage, FailedWriteStopsTheStoreUntilReopened) {
  log::MemEnv env;
  auto s = OpenOk(&env);
  env.SetFailWrites(true);
  EXPECT_FALSE(s->Append(std::vector<Entry>{E(1, 1)}).ok());
  env.SetFailWrites(false);
  EXPECT_FALSE(s->Append(std::vector<Entry>{E(1, 1)}).ok());
  EXPECT_FALSE(s->Sync().ok());
  s.reset();
  s = OpenOk(&env);
  EXPECT_TRUE(s->Append(std::vector<Entry>{E(1, 1)}).ok());
}

TEST(RaftDiskStorage, EntriesRespectsMaxBytesButReturnsOne) {
  log::MemEnv env;
  auto s = OpenOk(&env);
  ASSERT_TRUE(
      s->Append(std::vector<Entry>{E(1, 1, "aaaa"), E(1, 2, "bbbb"), E(1, 3, "cccc")}).ok());
  EXPECT_EQ(s->Entries(1, 4, 1)->size(), 1u);
  EXPECT_EQ(s->Entries(1, 4, 8)->size(), 2u);
  EXPECT_EQ(s->Entries(2, 4, 100)->front(), E(1, 2, "bbbb"));
}

}  // namespace
}  // namespace dlog::replica

namespace dlog::replica {
namespace {

// A crash after the meta file but before the wal existed: the store opens empty.
TEST(RaftDiskStorage, MissingWalAfterMetaOpensEmpty) {
  log::MemEnv env;
  OpenOk(&env);
  ASSERT_TRUE(env.RemoveFile("/raft/wal").ok());
  auto s = OpenOk(&env);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->LastIndex(), 0u);
  ASSERT_TRUE(s->Append(std::vector<Entry>{E(1, 1)}).ok());
  ASSERT_TRUE(s->Sync().ok());
}

}  // namespace
}  // namespace dlog::replica
