// The shared configuration flags: --config/-c and --set.
#include "config/flags.h"

#include <gtest/gtest.h>

namespace dlog::config {
namespace {

TEST(FlagsTest, TakesConfigAndSetAndLeavesTheRest) {
  Result<ConfigFlags> f = ExtractConfigFlags(
      {"--bootstrap", "-c", "/etc/dlog.toml", "--set", "network.api_port=9000",
       "--set=network.wireguard.dpi_evasion.padding_range=0,128", "-v", "--", "--set", "x=y"});
  ASSERT_TRUE(f.ok()) << f.error();
  EXPECT_EQ(f->config_path, "/etc/dlog.toml");
  ASSERT_EQ(f->overrides.size(), 2u);
  EXPECT_EQ(f->overrides[0].key, "network.api_port");
  EXPECT_EQ(f->overrides[0].value, "9000");
  EXPECT_EQ(f->overrides[0].source, "--set");
  EXPECT_EQ(f->overrides[1].key, "network.wireguard.dpi_evasion.padding_range");
  EXPECT_EQ(f->overrides[1].value, "0,128");
  EXPECT_EQ(f->rest, (std::vector<std::string>{"--bootstrap", "-v", "--", "--set", "x=y"}));
}

TEST(FlagsTest, ValuesMayHoldEqualsSigns) {
  Result<ConfigFlags> f = ExtractConfigFlags({"--set", "cluster.join_token=abc==", "--config=a=b"});
  ASSERT_TRUE(f.ok()) << f.error();
  EXPECT_EQ(f->overrides[0].value, "abc==");
  EXPECT_EQ(f->config_path, "a=b");
}

TEST(FlagsTest, Errors) {
  EXPECT_EQ(ExtractConfigFlags({"--set"}).error(), "--set: expected KEY=VALUE");
  EXPECT_EQ(ExtractConfigFlags({"-c"}).error(), "-c: expected a file name");
  EXPECT_EQ(ExtractConfigFlags({"--config="}).error(), "--config: expected a file name");
  EXPECT_EQ(ExtractConfigFlags({"--set", "network.api_port"}).error(),
            "--set network.api_port: expected KEY=VALUE, like --set network.api_port=9092");
  EXPECT_EQ(ExtractConfigFlags({"--set==1"}).error(),
            "--set =1: expected KEY=VALUE, like --set network.api_port=9092");
}

TEST(FlagsTest, TheLastSetOfAKeyWins) {
  Result<ConfigFlags> f =
      ExtractConfigFlags({"--set", "network.api_port=9000", "--set", "network.api_port=9001"});
  ASSERT_TRUE(f.ok());
  Result<Config> c = LoadConfig(std::nullopt, {}, f->overrides);
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->network.api_port, 9001);
}

TEST(FlagsTest, ResolvesTheFile) {
  EXPECT_EQ(ResolveConfigPath("a.toml", {{"DLOG_CONFIG", "b.toml"}}, true), "a.toml");
  EXPECT_EQ(ResolveConfigPath(std::nullopt, {{"DLOG_CONFIG", "b.toml"}}, true), "b.toml");
  EXPECT_EQ(ResolveConfigPath(std::nullopt, {{"DLOG_CONFIG", ""}}, true), "dlog.toml");
  EXPECT_EQ(ResolveConfigPath(std::nullopt, {}, true), "dlog.toml");
  EXPECT_EQ(ResolveConfigPath(std::nullopt, {}, false), std::nullopt);
}

TEST(FlagsTest, LoadConfigFromArgsLayersEverything) {
  const std::string file =
      std::string(DLOG_TESTDATA_DIR) + "/config/good/minimal.toml";  // node.name = "node-c"
  std::vector<std::string> rest;
  Result<Config> c = LoadConfigFromArgs(
      {"--bootstrap", "--config", file, "--set", "network.api_port=9000"},
      {{"DLOG_NETWORK_API_PORT", "9001"}, {"DLOG_NETWORK_ADMIN_PORT", "9002"}}, &rest);
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->node.name, "node-c");
  EXPECT_EQ(c->network.api_port, 9000);
  EXPECT_EQ(c->network.admin_port, 9002);
  EXPECT_EQ(rest, std::vector<std::string>{"--bootstrap"});
  c = LoadConfigFromArgs({}, {{"DLOG_CONFIG", file}}, nullptr);
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->node.name, "node-c");
  c = LoadConfigFromArgs({"--set"}, {}, nullptr);
  EXPECT_EQ(c.error(), "--set: expected KEY=VALUE");
  c = LoadConfigFromArgs({"-c", "/nonexistent.toml"}, {}, nullptr);
  EXPECT_EQ(c.error(), "/nonexistent.toml: cannot open: No such file or directory");
}

}  // namespace
}  // namespace dlog::config
