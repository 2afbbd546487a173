// obfs::SettingsFromEnvironment: the daemons' switch, file and inline options.
#include "obfs/settings.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "base/hex.h"

namespace dlog::obfs {
namespace {

class SettingsTest : public ::testing::Test {
 protected:
  const std::string dir = "/tmp/obfs-settings-test-" + std::to_string(getpid());
  const std::string secret = dir + "/secret", config = dir + "/dlog.toml";
  void SetUp() override {
    mkdir(dir.c_str(), 0700);
    std::ofstream(secret) << ToBase64(Bytes(32, 9)) << "\n";
    chmod(secret.c_str(), 0600);
    Clear();
  }
  void TearDown() override {
    Clear();
    std::remove(secret.c_str());
    std::remove(config.c_str());
    rmdir(dir.c_str());
  }
  static void Clear() {
    for (const char* v : {"T_OBFS_SECRET_FILE", "T_OBFS_CONFIG", "T_OBFS_OPTIONS"}) unsetenv(v);
  }
};

TEST_F(SettingsTest, OffWithoutASecretFile) {
  auto s = SettingsFromEnvironment("T_OBFS_");
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(*s);
}

TEST_F(SettingsTest, FileThenInlineOptions) {
  std::ofstream(config) << "[network.wireguard.dpi_evasion]\nrandom_padding = true\n"
                           "padding_range = [10, 20]\n";
  setenv("T_OBFS_SECRET_FILE", secret.c_str(), 1);
  setenv("T_OBFS_CONFIG", config.c_str(), 1);
  setenv("T_OBFS_OPTIONS", "padding_range=[30,40];decoy_traffic=true", 1);
  auto s = SettingsFromEnvironment("T_OBFS_");
  ASSERT_TRUE(s.ok()) << s.error();
  ASSERT_TRUE(*s);
  EXPECT_TRUE((*s)->options.random_padding);
  EXPECT_TRUE((*s)->options.decoy_traffic);
  EXPECT_EQ((*s)->options.padding_min, 30u);
  EXPECT_EQ((*s)->options.padding_max, 40u);
  EXPECT_EQ((*s)->secret.data()[0], 9);
}

TEST_F(SettingsTest, DpiResistanceFalseTurnsItOff) {
  setenv("T_OBFS_SECRET_FILE", secret.c_str(), 1);
  setenv("T_OBFS_OPTIONS", "dpi_resistance=false", 1);
  auto s = SettingsFromEnvironment("T_OBFS_");
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(*s);
}

TEST_F(SettingsTest, ErrorsNameTheVariable) {
  setenv("T_OBFS_SECRET_FILE", (dir + "/missing").c_str(), 1);
  auto s = SettingsFromEnvironment("T_OBFS_");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().rfind("T_OBFS_SECRET_FILE: ", 0), 0u) << s.error();
  setenv("T_OBFS_SECRET_FILE", secret.c_str(), 1);
  setenv("T_OBFS_OPTIONS", "decoy_ratio=lots", 1);
  s = SettingsFromEnvironment("T_OBFS_");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("T_OBFS_OPTIONS:1: decoy_ratio"), std::string::npos) << s.error();
  unsetenv("T_OBFS_OPTIONS");
  setenv("T_OBFS_CONFIG", (dir + "/nope.toml").c_str(), 1);
  s = SettingsFromEnvironment("T_OBFS_");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("T_OBFS_CONFIG: cannot read"), std::string::npos) << s.error();
}

}  // namespace
}  // namespace dlog::obfs
