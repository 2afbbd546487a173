#include "cluster/data_dir.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "base/rng.h"
#include "cluster/node.h"

namespace dlog::cluster {
namespace {

class DataDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dlog-cluster-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    dir_ = root_ + "/data";
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  static unsigned Mode(const std::string& p) {
    struct stat st {};
    EXPECT_EQ(stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 07777;
  }
  std::string root_, dir_;
};

TEST_F(DataDirTest, FirstStartCreatesPrivateFilesAndRestartKeepsIdentity) {
  SeededRng rng(1);
  auto d = DataDir::Open(dir_);
  ASSERT_TRUE(d.ok()) << d.error();
  EXPECT_EQ(Mode(dir_), 0700u);
  bool created = false;
  auto k1 = d->LoadOrCreateNodeKeys("", pq::Algorithm::kKyber768, rng, &created);
  ASSERT_TRUE(k1.ok()) << k1.error();
  EXPECT_TRUE(created);
  EXPECT_EQ(k1->name, DefaultNodeName(k1->wg_public));
  EXPECT_EQ(k1->name.size(), 10u);
  for (const char* f : {"node.key", "node.pq", "node.name"})
    EXPECT_EQ(Mode(d->FilePath(f)), 0600u) << f;

  const ClusterKeys ck = GenerateClusterKeys(rng);
  ASSERT_TRUE(d->SaveClusterKeys(ck).ok());
  EXPECT_EQ(Mode(d->FilePath("cluster.sign")), 0600u);
  EXPECT_EQ(Mode(d->FilePath("cluster.secret")), 0600u);

  // Restart: everything loads unchanged.
  auto d2 = DataDir::Open(dir_);
  ASSERT_TRUE(d2.ok());
  auto k2 = d2->LoadOrCreateNodeKeys("", pq::Algorithm::kKyber768, rng, &created);
  ASSERT_TRUE(k2.ok()) << k2.error();
  EXPECT_FALSE(created);
  EXPECT_EQ(k2->wg_public, k1->wg_public);
  EXPECT_TRUE(k2->wg_private == k1->wg_private);
  EXPECT_EQ(k2->pq.public_key, k1->pq.public_key);
  EXPECT_EQ(k2->name, k1->name);
  auto ck2 = d2->LoadClusterKeys();
  ASSERT_TRUE(ck2.ok() && *ck2);
  EXPECT_EQ((*ck2)->public_key, ck.public_key);
  EXPECT_TRUE((*ck2)->secret == ck.secret);
  EXPECT_EQ(FormatPin(PinOf((*ck2)->public_key)), FormatPin(PinOf(ck.public_key)));

  // A configured name wins and is stored.
  auto k3 = d2->LoadOrCreateNodeKeys("node-c", pq::Algorithm::kKyber768, rng, &created);
  ASSERT_TRUE(k3.ok());
  EXPECT_EQ(k3->name, "node-c");
  EXPECT_EQ(d2->LoadOrCreateNodeKeys("", pq::Algorithm::kKyber768, rng, &created)->name, "node-c");
}

TEST_F(DataDirTest, RefusesLooserPermissionsWithAFix) {
  SeededRng rng(2);
  ASSERT_EQ(mkdir(dir_.c_str(), 0755), 0);
  auto d = DataDir::Open(dir_);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().find("chmod 700"), std::string::npos) << d.error();
  ASSERT_EQ(chmod(dir_.c_str(), 0700), 0);
  auto d2 = DataDir::Open(dir_);
  ASSERT_TRUE(d2.ok());
  bool created;
  ASSERT_TRUE(d2->LoadOrCreateNodeKeys("", pq::Algorithm::kKyber768, rng, &created).ok());
  ASSERT_EQ(chmod(d2->FilePath("node.key").c_str(), 0644), 0);
  auto k = d2->LoadOrCreateNodeKeys("", pq::Algorithm::kKyber768, rng, &created);
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.error().find("chmod 600"), std::string::npos) << k.error();
  EXPECT_NE(k.error().find("node.key"), std::string::npos);
}

TEST_F(DataDirTest, RefusesAFileInPlaceOfTheDirectory) {
  std::FILE* f = std::fopen(dir_.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  EXPECT_FALSE(DataDir::Open(dir_).ok());
}

TEST_F(DataDirTest, StateRoundTripsAndDamageIsRefused) {
  SeededRng rng(3);
  auto d = DataDir::Open(dir_);
  ASSERT_TRUE(d.ok());
  NodeKeys keys = GenerateNodeKeys(pq::Algorithm::kKyber768, rng, "node-a");
  Node node(keys.Clone(), NodeOptions{}, std::nullopt, rng);
  const Now now{TimePoint(std::chrono::seconds(1)), WallTime{1'750'000'000'000'000'000}};
  const ClusterKeys ck = GenerateClusterKeys(rng);
  ASSERT_TRUE(node.Bootstrap(ck, now).ok());
  ASSERT_TRUE(node.CreateToken(Role::kNode, now.UnixSeconds() + 60, 1, now).ok());
  ASSERT_TRUE(d->SaveState(EncodeState(node.ExportState())).ok());
  EXPECT_EQ(Mode(d->FilePath("cluster.state")), 0600u);
  auto bytes = d->LoadState();
  ASSERT_TRUE(bytes.ok() && *bytes);
  auto st = DecodeState(**bytes);
  ASSERT_TRUE(st.ok()) << st.error();
  Node again(keys.Clone(), NodeOptions{}, *st, rng);
  EXPECT_TRUE(again.joined());
  EXPECT_EQ(again.overlay_address(), node.overlay_address());
  EXPECT_EQ(again.cluster_pin(), node.cluster_pin());
  EXPECT_EQ(again.ListTokens().size(), 1u);
  ASSERT_NE(again.cluster_secret(), nullptr);
  EXPECT_TRUE(*again.cluster_secret() == ck.secret);
  Bytes damaged = **bytes;
  damaged[damaged.size() / 2] ^= 1;
  EXPECT_FALSE(DecodeState(damaged).ok());
  EXPECT_FALSE(DecodeState(ByteSpan(damaged.data(), 20)).ok());
}

}  // namespace
}  // namespace dlog::cluster
