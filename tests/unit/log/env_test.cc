#include "log/env.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <functional>

#include "log/mem_env.h"
#include "log/posix_env.h"
#include "test_util.h"

namespace dlog::log {
namespace {

using testing::B;
using testing::Take;

Bytes ReadAll(Env* env, const std::string& path) {
  Result<Bytes> r = ReadFileToBytes(env, path, 1 << 20);
  EXPECT_TRUE(r.ok()) << r.error();
  return r.ok() ? *r : Bytes{};
}

std::vector<std::string> Sorted(Result<std::vector<std::string>> names) {
  EXPECT_TRUE(names.ok()) << names.error();
  std::vector<std::string> v = names.ok() ? *names : std::vector<std::string>{};
  std::sort(v.begin(), v.end());
  return v;
}

// The Env contract, run against both implementations.
class EnvContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "posix") {
      char tmpl[] = "/tmp/dlog-env-test-XXXXXX";
      ASSERT_NE(::mkdtemp(tmpl), nullptr);
      root_ = tmpl;
      env_ = PosixEnvironment();
    } else {
      mem_ = std::make_unique<MemEnv>();
      env_ = mem_.get();
      root_ = "/t";
      ASSERT_TRUE(env_->CreateDir(root_).ok());
    }
  }
  void TearDown() override {
    if (GetParam() == "posix") {
      EXPECT_TRUE(RemoveTree(env_, root_).ok());
    }
  }
  std::string P(const std::string& name) const { return JoinPath(root_, name); }

  std::unique_ptr<MemEnv> mem_;
  Env* env_ = nullptr;
  std::string root_;
};

TEST_P(EnvContract, AppendReadAndSize) {
  Result<std::unique_ptr<WritableFile>> w = env_->NewWritableFile(P("f"));
  ASSERT_TRUE(w.ok()) << w.error();
  ASSERT_TRUE((*w)->Append(B("hello ")).ok());
  Result<std::unique_ptr<RandomAccessFile>> r = env_->NewRandomAccessFile(P("f"));
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE((*w)->Append(B("world")).ok());  // visible to an open reader at once
  ASSERT_TRUE((*w)->Sync().ok());
  EXPECT_EQ(*env_->GetFileSize(P("f")), 11u);
  uint8_t buf[16];
  Result<ByteSpan> got = (*r)->Read(6, 16, buf);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(Bytes(got->begin(), got->end()), B("world"));  // short read at end of file
  got = (*r)->Read(100, 4, buf);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->empty());
  EXPECT_TRUE(env_->FileExists(P("f")));
  EXPECT_FALSE(env_->DirExists(P("f")));
}

TEST_P(EnvContract, AppendableFileKeepsContentsAndWritableFileEmptiesThem) {
  { ASSERT_TRUE((*env_->NewWritableFile(P("f")))->Append(B("abc")).ok()); }
  { ASSERT_TRUE((*env_->NewAppendableFile(P("f")))->Append(B("def")).ok()); }
  EXPECT_EQ(ReadAll(env_, P("f")), B("abcdef"));
  { ASSERT_TRUE((*env_->NewWritableFile(P("f")))->Append(B("x")).ok()); }
  EXPECT_EQ(ReadAll(env_, P("f")), B("x"));
  { ASSERT_TRUE((*env_->NewAppendableFile(P("new")))->Append(B("n")).ok()); }
  EXPECT_EQ(ReadAll(env_, P("new")), B("n"));
}

TEST_P(EnvContract, TruncateThenAppendContinuesAtTheNewEnd) {
  Result<std::unique_ptr<WritableFile>> w = env_->NewWritableFile(P("f"));
  ASSERT_TRUE((*w)->Append(B("0123456789")).ok());
  ASSERT_TRUE(env_->TruncateFile(P("f"), 4).ok());
  ASSERT_TRUE((*w)->Append(B("ab")).ok());
  EXPECT_EQ(ReadAll(env_, P("f")), B("0123ab"));
}

TEST_P(EnvContract, DirectoriesRenameRemoveAndList) {
  ASSERT_TRUE(env_->CreateDir(P("d")).ok());
  EXPECT_FALSE(env_->CreateDir(P("d")).ok());
  EXPECT_TRUE(CreateDirIfMissing(env_, P("d")).ok());
  EXPECT_FALSE(env_->CreateDir(P("missing/child")).ok());
  EXPECT_TRUE(env_->DirExists(P("d")));
  { ASSERT_TRUE(env_->NewWritableFile(P("d/a")).ok()); }
  { ASSERT_TRUE(env_->NewWritableFile(P("d/b")).ok()); }
  EXPECT_EQ(Sorted(env_->GetChildren(P("d"))), (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(env_->RemoveDir(P("d")).ok());  // not empty
  ASSERT_TRUE(env_->RenameFile(P("d/a"), P("d/c")).ok());
  EXPECT_EQ(Sorted(env_->GetChildren(P("d"))), (std::vector<std::string>{"b", "c"}));
  ASSERT_TRUE(env_->RenameFile(P("d/b"), P("d/c")).ok());  // replaces
  EXPECT_EQ(Sorted(env_->GetChildren(P("d"))), (std::vector<std::string>{"c"}));
  ASSERT_TRUE(env_->RemoveFile(P("d/c")).ok());
  EXPECT_FALSE(env_->RemoveFile(P("d/c")).ok());
  ASSERT_TRUE(env_->RemoveDir(P("d")).ok());
  EXPECT_FALSE(env_->DirExists(P("d")));
  EXPECT_TRUE(env_->SyncDir(root_).ok());
}

TEST_P(EnvContract, WriteFileAtomicallyReplacesContents) {
  ASSERT_TRUE(WriteFileAtomically(env_, P("meta"), B("one")).ok());
  ASSERT_TRUE(WriteFileAtomically(env_, P("meta"), B("two")).ok());
  EXPECT_EQ(ReadAll(env_, P("meta")), B("two"));
  EXPECT_FALSE(env_->FileExists(P("meta.tmp")));
}

TEST_P(EnvContract, RemoveTreeRemovesEverything) {
  ASSERT_TRUE(env_->CreateDir(P("x")).ok());
  ASSERT_TRUE(env_->CreateDir(P("x/y")).ok());
  { ASSERT_TRUE(env_->NewWritableFile(P("x/y/z")).ok()); }
  { ASSERT_TRUE(env_->NewWritableFile(P("x/f")).ok()); }
  ASSERT_TRUE(RemoveTree(env_, P("x")).ok());
  EXPECT_FALSE(env_->DirExists(P("x")));
}

TEST_P(EnvContract, ErrorsNameThePath) {
  Result<std::unique_ptr<RandomAccessFile>> r = env_->NewRandomAccessFile(P("nope"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find(P("nope")), std::string::npos) << r.error();
  EXPECT_FALSE(env_->GetFileSize(P("nope")).ok());
}

INSTANTIATE_TEST_SUITE_P(Both, EnvContract, ::testing::Values("posix", "mem"),
                         [](const auto& info) { return info.param; });

TEST(PosixEnv, CreatesPrivateFilesAndDirectories) {
  Env* env = PosixEnvironment();
  char tmpl[] = "/tmp/dlog-env-mode-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string root = tmpl;
  const mode_t old = ::umask(0);  // modes must not depend on a permissive umask
  ASSERT_TRUE(env->CreateDir(root + "/d").ok());
  { ASSERT_TRUE(env->NewWritableFile(root + "/d/f").ok()); }
  ::umask(old);
  struct stat st;
  ASSERT_EQ(::stat((root + "/d").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat((root + "/d/f").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_TRUE(RemoveTree(env, root).ok());
}

// The crash model of MemEnv.
class MemEnvCrash : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(env_.CreateDir("/d").ok());
    ASSERT_TRUE(env_.SyncDir("/").ok());
  }
  MemEnv env_;
};

TEST_F(MemEnvCrash, UnsyncedBytesAreLostSyncedBytesSurvive) {
  {
    auto w = Take(env_.NewWritableFile("/d/f"));
    ASSERT_TRUE(env_.SyncDir("/d").ok());
    ASSERT_TRUE(w->Append(B("durable")).ok());
    ASSERT_TRUE(w->Sync().ok());
    ASSERT_TRUE(w->Append(B("-volatile")).ok());
  }
  env_.Crash();
  EXPECT_EQ(ReadAll(&env_, "/d/f"), B("durable"));
}

TEST_F(MemEnvCrash, TornWriteKeepsAChosenPrefixOfUnsyncedBytes) {
  {
    auto w = Take(env_.NewWritableFile("/d/f"));
    ASSERT_TRUE(env_.SyncDir("/d").ok());
    ASSERT_TRUE(w->Append(B("abc")).ok());
    ASSERT_TRUE(w->Sync().ok());
    ASSERT_TRUE(w->Append(B("defgh")).ok());
  }
  size_t seen_unsynced = 0;
  env_.Crash([&](const std::string& path, size_t unsynced) {
    EXPECT_EQ(path, "/d/f");
    seen_unsynced = unsynced;
    return 2;
  });
  EXPECT_EQ(seen_unsynced, 5u);
  EXPECT_EQ(ReadAll(&env_, "/d/f"), B("abcde"));
  env_.Crash();  // what survived a crash is on disk
  EXPECT_EQ(ReadAll(&env_, "/d/f"), B("abcde"));
}

TEST_F(MemEnvCrash, NewFileWithoutDirectorySyncVanishes) {
  {
    auto w = Take(env_.NewWritableFile("/d/f"));
    ASSERT_TRUE(w->Append(B("x")).ok());
    ASSERT_TRUE(w->Sync().ok());
  }
  env_.Crash();
  EXPECT_FALSE(env_.FileExists("/d/f"));
}

TEST_F(MemEnvCrash, UnsyncedRemoveAndRenameAreUndone) {
  ASSERT_TRUE(WriteFileAtomically(&env_, "/d/a", B("A")).ok());
  ASSERT_TRUE(WriteFileAtomically(&env_, "/d/b", B("B")).ok());
  ASSERT_TRUE(env_.RemoveFile("/d/a").ok());
  ASSERT_TRUE(env_.RenameFile("/d/b", "/d/c").ok());
  env_.Crash();
  EXPECT_EQ(ReadAll(&env_, "/d/a"), B("A"));
  EXPECT_EQ(ReadAll(&env_, "/d/b"), B("B"));
  EXPECT_FALSE(env_.FileExists("/d/c"));
}

TEST_F(MemEnvCrash, UnsyncedTruncationIsUndone) {
  {
    auto w = Take(env_.NewWritableFile("/d/f"));
    ASSERT_TRUE(env_.SyncDir("/d").ok());
    ASSERT_TRUE(w->Append(B("0123456789")).ok());
    ASSERT_TRUE(w->Sync().ok());
    ASSERT_TRUE(env_.TruncateFile("/d/f", 3).ok());
    ASSERT_TRUE(w->Append(B("xy")).ok());
  }
  env_.Crash([](const std::string&, size_t n) { return n; });
  EXPECT_EQ(ReadAll(&env_, "/d/f"), B("0123456789"));
}

TEST_F(MemEnvCrash, WriteFileAtomicallyGivesOldOrNewNeverAMix) {
  ASSERT_TRUE(WriteFileAtomically(&env_, "/d/m", B("old")).ok());
  for (size_t keep = 0; keep < 4; ++keep) {
    // A crash before the rename is synced: the old contents, whatever was torn.
    {
      auto w = Take(env_.NewWritableFile("/d/m.tmp"));
      ASSERT_TRUE(w->Append(B("new")).ok());
    }
    env_.Crash([&](const std::string&, size_t) { return keep; });
    EXPECT_EQ(ReadAll(&env_, "/d/m"), B("old")) << keep;
  }
  ASSERT_TRUE(WriteFileAtomically(&env_, "/d/m", B("new")).ok());
  env_.Crash();
  EXPECT_EQ(ReadAll(&env_, "/d/m"), B("new"));
}

TEST_F(MemEnvCrash, HandlesFromBeforeACrashFail) {
  auto w = Take(env_.NewWritableFile("/d/f"));
  auto r = Take(env_.NewRandomAccessFile("/d/f"));
  env_.Crash();
  EXPECT_FALSE(w->Append(B("x")).ok());
  uint8_t buf[1];
  EXPECT_FALSE(r->Read(0, 1, buf).ok());
}

TEST_F(MemEnvCrash, CorruptFlipsBitsInDurableData) {
  ASSERT_TRUE(WriteFileAtomically(&env_, "/d/f", B("abc")).ok());
  ASSERT_TRUE(env_.CorruptFile("/d/f", 1, 0x20).ok());
  EXPECT_EQ(ReadAll(&env_, "/d/f"), B("aBc"));
  env_.Crash();
  EXPECT_EQ(ReadAll(&env_, "/d/f"), B("aBc"));
  EXPECT_FALSE(env_.CorruptFile("/d/f", 3, 1).ok());
}

TEST_F(MemEnvCrash, InjectedWriteFailures) {
  auto w = Take(env_.NewWritableFile("/d/f"));
  env_.SetFailWrites(true);
  EXPECT_FALSE(w->Append(B("x")).ok());
  EXPECT_FALSE(w->Sync().ok());
  EXPECT_FALSE(env_.SyncDir("/d").ok());
  EXPECT_FALSE(env_.CreateDir("/d/e").ok());
  env_.SetFailWrites(false);
  EXPECT_TRUE(w->Append(B("x")).ok());
  const uint64_t syncs = env_.file_syncs();
  EXPECT_TRUE(w->Sync().ok());
  EXPECT_EQ(env_.file_syncs(), syncs + 1);
}

TEST_F(MemEnvCrash, DirectoryCreatedWithoutParentSyncVanishesWithItsFiles) {
  ASSERT_TRUE(env_.CreateDir("/d/sub").ok());
  ASSERT_TRUE(WriteFileAtomically(&env_, "/d/sub/f", B("x")).ok());  // syncs /d/sub only
  env_.Crash();
  EXPECT_FALSE(env_.DirExists("/d/sub"));
}

}  // namespace
}  // namespace dlog::log
