// Good files load with the values they say, and every Config written by ToToml loads back
// as itself.
#include <gtest/gtest.h>

#include <filesystem>

#include "base/hex.h"
#include "config/loader.h"
#include "config/schema.h"
#include "config/writer.h"

namespace dlog::config {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

const fs::path kGoodDir = fs::path(DLOG_TESTDATA_DIR) / "config" / "good";

Config Load(const std::string& name) {
  Result<Config> c = LoadConfig((kGoodDir / name).string());
  EXPECT_TRUE(c.ok()) << c.error();
  return c.ok() ? *c : Config{};
}

TEST(GoodFilesTest, TheSeedsFile) {
  const Config c = Load("seed.toml");
  const auto& wg = c.network.wireguard;
  EXPECT_EQ(c.network.protocol, Protocol::kWireguard);
  EXPECT_EQ(wg.listen_port, 51820);
  EXPECT_TRUE(wg.quantum_resistant);
  EXPECT_EQ(wg.pq_algorithm, PqAlgorithm::kKyber1024);
  EXPECT_EQ(wg.rekey_interval, minutes(2));
  EXPECT_TRUE(wg.dpi_resistance);
  EXPECT_TRUE(wg.dpi_evasion.random_padding);
  EXPECT_EQ(wg.dpi_evasion.padding_min, 0u);
  EXPECT_EQ(wg.dpi_evasion.padding_max, 256u);
  EXPECT_TRUE(wg.dpi_evasion.traffic_shaping);
  EXPECT_EQ(wg.dpi_evasion.target_rate_bps, 10'000'000u);
  EXPECT_TRUE(wg.dpi_evasion.port_hopping);
  EXPECT_EQ(wg.dpi_evasion.port_min, 10000);
  EXPECT_EQ(wg.dpi_evasion.port_max, 60000);
  EXPECT_EQ(wg.dpi_evasion.hop_interval, minutes(5));
  EXPECT_TRUE(wg.dpi_evasion.decoy_traffic);
  EXPECT_DOUBLE_EQ(wg.dpi_evasion.decoy_ratio, 0.2);
  EXPECT_EQ(c.replication.mode, ReplicationMode::kAsync);
  ASSERT_EQ(c.replication.peers.size(), 2u);
  const ReplicationPeer& us = c.replication.peers[0];
  EXPECT_EQ(us.region, "us-west");
  EXPECT_EQ(us.endpoint, "gw.us-west.example.com:51820");
  EXPECT_EQ(ToBase64(us.wireguard_public_key), "uDDwCvWdsbXaAnyK1LNFMl1eZ+1O0+qO/VxqBkgbtlU=");
  EXPECT_EQ(us.quantum_resistant, true);
  const ReplicationPeer& eu = c.replication.peers[1];
  EXPECT_EQ(eu.endpoint, "[2001:db8::7]:51820");
  EXPECT_FALSE(eu.quantum_resistant.has_value());
  EXPECT_TRUE(QuantumResistant(c, eu));  // inherits network.wireguard.quantum_resistant
}

TEST(GoodFilesTest, EverythingTomlSetsEveryKeyAwayFromItsDefault) {
  const Config c = Load("everything.toml");
  const Config d;
  for (const Key& k : Schema()) {
    if (k.kind != Kind::kPeers) {
      EXPECT_NE(k.get(c), k.get(d)) << k.path;
    }
  }
  EXPECT_EQ(c.node.name, "node-a");
  EXPECT_EQ(c.node.data_dir, "/var/lib/dlog");
  EXPECT_EQ(c.cluster.name, "prod.eu");
  EXPECT_TRUE(c.cluster.bootstrap);
  EXPECT_EQ(c.cluster.join_token, "dlog1.example-token");
  EXPECT_EQ(c.cluster.overlay_cidr, "10.42.0.0/16");
  EXPECT_EQ(c.cluster.overlay_cidr6, "fd00:d10::/64");
  EXPECT_EQ(c.cluster.discovery, Discovery::kStatic);
  EXPECT_EQ(c.cluster.seeds.size(), 3u);
  EXPECT_EQ(c.network.protocol, Protocol::kTls);
  EXPECT_EQ(c.network.stack, Stack::kUserspace);
  EXPECT_EQ(c.network.api_port, 19092);
  EXPECT_FALSE(c.network.wireguard.enabled);
  EXPECT_EQ(c.network.wireguard.pq_algorithm, PqAlgorithm::kKyber768);  // "ml-kem-768"
  EXPECT_EQ(c.network.wireguard.rekey_interval, minutes(90));
  const DpiEvasionConfig& e = c.network.wireguard.dpi_evasion;
  EXPECT_EQ(e.padding_min, 16u);
  EXPECT_EQ(e.padding_max, 1400u);
  EXPECT_EQ(e.target_rate_bps, 12'000'000u);  // "1.5mb": bytes
  EXPECT_EQ(e.hop_interval, seconds(90));
  EXPECT_DOUBLE_EQ(e.decoy_ratio, 1.0);  // an integer where a number is taken
  EXPECT_EQ(e.max_datagram, 1280u);
  EXPECT_EQ(e.stock_peers.size(), 4u);
  EXPECT_EQ(e.decoy_max_delay, milliseconds(1500));
  EXPECT_EQ(c.replication.mode, ReplicationMode::kSync);
  EXPECT_EQ(c.replication.factor, 5u);
  EXPECT_EQ(c.replication.fsync, FsyncPolicy::kInterval);
  EXPECT_EQ(c.replication.fsync_interval, milliseconds(250));
  ASSERT_EQ(c.replication.peers.size(), 1u);
  EXPECT_FALSE(QuantumResistant(c, c.replication.peers[0]));
}

TEST(GoodFilesTest, OtherTomlSpellings) {
  const Config c = Load("inline_forms.toml");
  EXPECT_EQ(c.node.name, "node-b");
  EXPECT_EQ(c.network.wireguard.listen_port, 51830);
  EXPECT_EQ(c.network.wireguard.rekey_interval, seconds(90));
  EXPECT_EQ(c.network.wireguard.dpi_evasion.padding_max, 128u);
  ASSERT_EQ(c.replication.peers.size(), 1u);
  EXPECT_EQ(c.replication.peers[0].region, "ap-south");
}

TEST(GoodFilesTest, EveryGoodFileRoundTrips) {
  for (const auto& e : fs::directory_iterator(kGoodDir)) {
    SCOPED_TRACE(e.path().filename().string());
    const Config c = Load(e.path().filename().string());
    const std::string written = ToToml(c);
    Result<Config> again = LoadConfigText(written, "written.toml");
    ASSERT_TRUE(again.ok()) << again.error() << "\n" << written;
    EXPECT_EQ(*again, c) << written;
    EXPECT_EQ(ToToml(*again), written);
  }
}

TEST(GoodFilesTest, RedactedOutputHidesTheToken) {
  const Config c = Load("everything.toml");
  const std::string shown = ToToml(c, /*redact_secrets=*/true);
  EXPECT_EQ(shown.find("example-token"), std::string::npos);
  EXPECT_NE(shown.find("join_token = \"<redacted>\""), std::string::npos);
  EXPECT_NE(ToToml(c).find("example-token"), std::string::npos);
}

}  // namespace
}  // namespace dlog::config
