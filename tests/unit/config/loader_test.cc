// LoadConfig: defaults, the file, the environment and flags, in that order of precedence.
#include "config/loader.h"

#include <gtest/gtest.h>

#include "config/writer.h"

namespace dlog::config {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

TEST(LoaderTest, NoFileGivesTheDefaults) {
  Result<Config> c = LoadConfig(std::nullopt, {}, {});
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(*c, Config{});
  EXPECT_EQ(c->node.data_dir, "./dlog-data");
  EXPECT_EQ(c->cluster.overlay_cidr, "10.0.0.0/24");
  EXPECT_EQ(c->network.protocol, Protocol::kWireguard);
  EXPECT_EQ(c->network.api_port, 9092);
  EXPECT_EQ(c->network.internal_port, 9093);
  EXPECT_EQ(c->network.admin_port, 8080);
  EXPECT_TRUE(c->network.wireguard.enabled);
  EXPECT_EQ(c->network.wireguard.listen_port, 51820);
  EXPECT_TRUE(c->network.wireguard.quantum_resistant);
  EXPECT_EQ(c->network.wireguard.pq_algorithm, PqAlgorithm::kKyber1024);
  EXPECT_EQ(c->network.wireguard.rekey_interval, minutes(2));
  EXPECT_FALSE(c->network.wireguard.dpi_resistance);
  EXPECT_EQ(c->network.wireguard.dpi_evasion.padding_max, 256u);
  EXPECT_EQ(c->network.wireguard.dpi_evasion.target_rate_bps, 10'000'000u);
  EXPECT_EQ(c->replication.factor, 3u);
}

TEST(LoaderTest, EmptyFileGivesTheDefaults) {
  Result<Config> c = LoadConfigText("# nothing\n", "dlog.toml");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(*c, Config{});
}

TEST(LoaderTest, DefaultsRoundTrip) {
  const std::string text = ToToml(Config{});
  Result<Config> c = LoadConfigText(text, "written.toml");
  ASSERT_TRUE(c.ok()) << c.error() << "\n" << text;
  EXPECT_EQ(*c, Config{});
}

}  // namespace
}  // namespace dlog::config
