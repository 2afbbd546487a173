// obfs keys: the cluster secret's file forms and the derived keys.
#include "obfs/keys.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "base/hex.h"

namespace dlog::obfs {
namespace {

ClusterSecret SecretOf(uint8_t fill) {
  ClusterSecret s;
  std::memset(s.data(), fill, s.size());
  return s;
}

TEST(KeysTest, ParsesBase64AndHex) {
  ClusterSecret s = SecretOf(0x42);
  auto a = ParseClusterSecret(ToBase64(s.span()) + "\n");
  ASSERT_TRUE(a.ok()) << a.error();
  EXPECT_TRUE(*a == s);
  auto b = ParseClusterSecret("  " + ToHex(s.span()) + "  ");
  ASSERT_TRUE(b.ok()) << b.error();
  EXPECT_TRUE(*b == s);
}

TEST(KeysTest, RefusesWrongLengthGarbageAndZero) {
  EXPECT_FALSE(ParseClusterSecret("").ok());
  EXPECT_FALSE(ParseClusterSecret("not a key").ok());
  EXPECT_FALSE(ParseClusterSecret(ToBase64(Bytes(31, 1))).ok());
  EXPECT_FALSE(ParseClusterSecret(ToHex(Bytes(33, 1))).ok());
  auto zero = ParseClusterSecret(ToBase64(Bytes(32, 0)));
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.error().find("all zeros"), std::string::npos);
}

TEST(KeysTest, DerivedKeysAreDistinctAndDependOnTheSecret) {
  DisguiseKeys a = DeriveKeys(SecretOf(1)), a2 = DeriveKeys(SecretOf(1)),
               b = DeriveKeys(SecretOf(2));
  EXPECT_TRUE(a.mask == a2.mask && a.tag == a2.tag && a.hop == a2.hop && a.head == a2.head);
  EXPECT_FALSE(a.head == b.head);
  EXPECT_FALSE(a.head == a.tag);
  EXPECT_FALSE(a.mask == b.mask);
  EXPECT_FALSE(a.tag == b.tag);
  EXPECT_FALSE(a.hop == b.hop);
  EXPECT_FALSE(a.mask == a.hop);
  EXPECT_NE(std::memcmp(a.mask.data(), a.tag.data(), 16), 0);
}

class KeyFileTest : public ::testing::Test {
 protected:
  std::string path = "/tmp/obfs-keys-test-" + std::to_string(getpid());
  void Write(const std::string& text, mode_t mode) {
    std::ofstream(path) << text;
    ASSERT_EQ(chmod(path.c_str(), mode), 0);
  }
  void TearDown() override { std::remove(path.c_str()); }
};

TEST_F(KeyFileTest, LoadsA0600File) {
  Write(ToBase64(SecretOf(7).span()) + "\n", 0600);
  auto s = LoadClusterSecret(path);
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_TRUE(*s == SecretOf(7));
}

TEST_F(KeyFileTest, RefusesAFileOthersCanRead) {
  Write(ToBase64(SecretOf(7).span()) + "\n", 0644);
  auto s = LoadClusterSecret(path);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("chmod 600 " + path), std::string::npos) << s.error();
}

TEST_F(KeyFileTest, NamesTheFileOnBadContent) {
  Write("hello\n", 0600);
  auto s = LoadClusterSecret(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().rfind(path + ": expected a 32-byte cluster secret", 0), 0u) << s.error();
  EXPECT_FALSE(LoadClusterSecret(path + ".missing").ok());
}

}  // namespace
}  // namespace dlog::obfs
