// Precedence (defaults < file < environment < flags), variables and flags, and the
// messages that name them.
#include <gtest/gtest.h>

#include "base/hex.h"
#include "config/loader.h"
#include "config/schema.h"

namespace dlog::config {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

constexpr char kFile[] = R"([network.wireguard]
listen_port = 51821
quantum_resistant = false
rekey_interval = "5m"
)";

constexpr char kKeyA[] = "uDDwCvWdsbXaAnyK1LNFMl1eZ+1O0+qO/VxqBkgbtlU=";

TEST(LayeringTest, FileOverDefaults) {
  Result<Config> c = LoadConfigText(kFile, "dlog.toml");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->network.wireguard.listen_port, 51821);
  EXPECT_FALSE(c->network.wireguard.quantum_resistant);
  EXPECT_EQ(c->network.wireguard.rekey_interval, minutes(5));
  EXPECT_EQ(c->network.api_port, 9092);  // untouched: the default
}

TEST(LayeringTest, EnvironmentOverFileAndFlagsOverBoth) {
  const Environment env = {{"DLOG_NETWORK_WIREGUARD_LISTEN_PORT", "51822"},
                           {"DLOG_NETWORK_WIREGUARD_REKEY_INTERVAL", "90s"}};
  const std::vector<Override> flags = {{"network.wireguard.listen_port", "51823", "--set"}};
  Result<Config> c = LoadConfigText(kFile, "dlog.toml", env, flags);
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->network.wireguard.listen_port, 51823);                     // flag
  EXPECT_EQ(c->network.wireguard.rekey_interval, seconds(90));            // environment
  EXPECT_FALSE(c->network.wireguard.quantum_resistant);                   // file
  EXPECT_EQ(c->network.wireguard.pq_algorithm, PqAlgorithm::kKyber1024);  // default
}

TEST(LayeringTest, TheSeedsVariables) {
  Result<Config> c =
      LoadConfigText(kFile, "dlog.toml", {{"QUANTUM_RESISTANT", "yes"}, {"WIREGUARD_ENABLED", "0"}},
                     {{"network.protocol", "tls", "--set"}});
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_TRUE(c->network.wireguard.quantum_resistant);
  EXPECT_FALSE(c->network.wireguard.enabled);
  for (const char* v : {"true", "TRUE", "1", "yes", "false", "0", "no", "No"})
    EXPECT_TRUE(LoadConfig(std::nullopt, {{"QUANTUM_RESISTANT", v}}).ok()) << v;
}

TEST(LayeringTest, ABadBooleanVariableIsNamed) {
  Result<Config> c = LoadConfig(std::nullopt, {{"QUANTUM_RESISTANT", "maybe"}});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error(),
            "environment variable QUANTUM_RESISTANT: network.wireguard.quantum_resistant: "
            "expected true or false (or 1, 0, yes, no), got \"maybe\"");
  c = LoadConfig(std::nullopt, {{"WIREGUARD_ENABLED", "on"}});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error(),
            "environment variable WIREGUARD_ENABLED: network.wireguard.enabled: expected true or "
            "false (or 1, 0, yes, no), got \"on\"");
}

TEST(LayeringTest, AnAliasAndItsDlogVariableMustAgree) {
  EXPECT_TRUE(LoadConfig(std::nullopt, {{"QUANTUM_RESISTANT", "no"},
                                        {"DLOG_NETWORK_WIREGUARD_QUANTUM_RESISTANT", "false"}})
                  .ok());
  Result<Config> c = LoadConfig(std::nullopt, {{"QUANTUM_RESISTANT", "no"},
                                               {"DLOG_NETWORK_WIREGUARD_QUANTUM_RESISTANT", "1"}});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error(),
            "environment variable DLOG_NETWORK_WIREGUARD_QUANTUM_RESISTANT: "
            "network.wireguard.quantum_resistant: disagrees with environment variable "
            "QUANTUM_RESISTANT; unset one of them");
}

TEST(LayeringTest, EveryKeyHasADlogVariable) {
  // Each key's variable reaches the key: set it to the value the key has in a written
  // default config, and nothing complains.
  for (const Key& k : Schema()) {
    if (k.kind == Kind::kPeers) continue;
    const std::string value = k.get(Config{}).value_or("");
    Result<Config> c = LoadConfig(std::nullopt, {{EnvName(k.path), value}});
    EXPECT_TRUE(c.ok()) << EnvName(k.path) << "=" << value << ": " << c.error();
  }
}

TEST(LayeringTest, VariableForms) {
  const Environment env = {
      {"DLOG_NETWORK_WIREGUARD_LISTEN_PORT", "51821"},
      {"DLOG_NETWORK_WIREGUARD_DPI_EVASION_PADDING_RANGE", "0,128"},
      {"DLOG_NETWORK_WIREGUARD_DPI_EVASION_PORT_RANGE", "[20000, 20010]"},
      {"DLOG_NETWORK_WIREGUARD_DPI_EVASION_DECOY_RATIO", "0.5"},
      {"DLOG_NETWORK_WIREGUARD_DPI_EVASION_TARGET_RATE", "\"2mbit\""},
      {"DLOG_CLUSTER_SEEDS", "192.0.2.1:51820, node-b.example:51820"},
      {"DLOG_CLUSTER_DISCOVERY", "static"},
      {"DLOG_NODE_DATA_DIR", "/srv/dlog data"},
      {"DLOG_NETWORK_WIREGUARD_PQ_ALGORITHM", "ml-kem-768"},
  };
  Result<Config> c = LoadConfig(std::nullopt, env);
  ASSERT_TRUE(c.ok()) << c.error();
  const DpiEvasionConfig& e = c->network.wireguard.dpi_evasion;
  EXPECT_EQ(c->network.wireguard.listen_port, 51821);
  EXPECT_EQ(e.padding_min, 0u);
  EXPECT_EQ(e.padding_max, 128u);
  EXPECT_EQ(e.port_min, 20000);
  EXPECT_EQ(e.port_max, 20010);
  EXPECT_DOUBLE_EQ(e.decoy_ratio, 0.5);
  EXPECT_EQ(e.target_rate_bps, 2'000'000u);
  EXPECT_EQ(c->cluster.seeds,
            (std::vector<std::string>{"192.0.2.1:51820", "node-b.example:51820"}));
  EXPECT_EQ(c->node.data_dir, "/srv/dlog data");
  EXPECT_EQ(c->network.wireguard.pq_algorithm, PqAlgorithm::kKyber768);
}

TEST(LayeringTest, AnEmptyListVariableClearsTheFilesList) {
  Result<Config> c = LoadConfigText("[cluster]\nseeds = [\"192.0.2.1:51820\"]\n", "dlog.toml",
                                    {{"DLOG_CLUSTER_SEEDS", ""}});
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_TRUE(c->cluster.seeds.empty());
}

TEST(LayeringTest, PeersFromAVariableReplaceTheFiles) {
  const std::string file =
      std::string("[[replication.peers]]\nregion = \"a\"\nendpoint = \"a:1\"\n") +
      "wireguard_public_key = \"" + kKeyA + "\"\n";
  const std::string peers = std::string("[{ region = \"b\", endpoint = \"b.example:51820\", ") +
                            "wireguard_public_key = \"" + kKeyA +
                            "\", quantum_resistant = false }]";
  Result<Config> c = LoadConfigText(file, "dlog.toml", {{"DLOG_REPLICATION_PEERS", peers}});
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_EQ(c->replication.peers.size(), 1u);
  EXPECT_EQ(c->replication.peers[0].region, "b");
  EXPECT_EQ(c->replication.peers[0].quantum_resistant, false);
  EXPECT_EQ(ToBase64(c->replication.peers[0].wireguard_public_key), kKeyA);
}

TEST(LayeringTest, ErrorsInVariablesNameTheVariable) {
  struct Case {
    std::string name, value, message;
  };
  const std::vector<Case> cases = {
      {"DLOG_NETWORK_API_PORT", "70000",
       "environment variable DLOG_NETWORK_API_PORT: network.api_port: expected an integer from 1 "
       "to 65535, got 70000"},
      {"DLOG_NETWORK_API_PORT", "http",
       "environment variable DLOG_NETWORK_API_PORT: network.api_port: expected an integer from 1 "
       "to 65535, got \"http\""},
      {"DLOG_NETWORK_WIREGUARD_DPI_EVASION_PADDING_RANGE", "128,0",
       "environment variable DLOG_NETWORK_WIREGUARD_DPI_EVASION_PADDING_RANGE: "
       "network.wireguard.dpi_evasion.padding_range: expected [min, max] with 0 ≤ min ≤ max ≤ "
       "1400, like [0, 256], got [128, 0]; min is greater than max"},
      {"DLOG_NETWORK_WIREGUARD_DPI_EVASION_PADDING_RANGE", "[0, 128",
       "environment variable DLOG_NETWORK_WIREGUARD_DPI_EVASION_PADDING_RANGE: "
       "network.wireguard.dpi_evasion.padding_range: expected [min, max] with 0 ≤ min ≤ max ≤ "
       "1400, like [0, 256]; syntax error: encountered end-of-file (in array) at column 8"},
      {"DLOG_NETWORK_WIREGUARD_REKEY_INTERVAL", "2",
       "environment variable DLOG_NETWORK_WIREGUARD_REKEY_INTERVAL: "
       "network.wireguard.rekey_interval: expected a duration like \"2m\", \"90s\" or \"1h30m\", "
       "from 5s to 1d, got \"2\""},
      {"DLOG_NETWORK_STACK", "kernel",
       "environment variable DLOG_NETWORK_STACK: network.stack: expected one of \"auto\", "
       "\"tun\" or \"userspace\", got \"kernel\""},
      {"DLOG_NETWORK_WIREGUARD_LISTN_PORT", "51821",
       "environment variable DLOG_NETWORK_WIREGUARD_LISTN_PORT: not a DLOG_ variable of the "
       "configuration; did you mean DLOG_NETWORK_WIREGUARD_LISTEN_PORT?"},
      {"DLOG_WIREGUARD_LISTEN_PORT", "51821",
       "environment variable DLOG_WIREGUARD_LISTEN_PORT: not a DLOG_ variable of the "
       "configuration; did you mean DLOG_NETWORK_WIREGUARD_LISTEN_PORT?"},
      {"DLOG_COLOUR", "blue",
       "environment variable DLOG_COLOUR: not a DLOG_ variable of the configuration (see "
       "docs/CONFIG.md)"},
      {"DLOG_CLUSTER_JOIN_TOKEN", "has a space",
       "environment variable DLOG_CLUSTER_JOIN_TOKEN: cluster.join_token: expected a join token "
       "as `dlog admin token` prints it (at most 1024 printable characters, no spaces)"},
      {"DLOG_REPLICATION_PEERS", "[{ region = \"x\" }]",
       "environment variable DLOG_REPLICATION_PEERS: replication.peers[0]: missing endpoint "
       "(\"host:port\", like \"gw.eu.example:51820\" or \"[2001:db8::7]:51820\")\n"
       "environment variable DLOG_REPLICATION_PEERS: replication.peers[0]: missing "
       "wireguard_public_key (a WireGuard public key: 44 characters of base64 for 32 bytes, as "
       "`wg pubkey` prints it)"},
  };
  for (const Case& c : cases) {
    Result<Config> r = LoadConfig(std::nullopt, {{c.name, c.value}});
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.error(), c.message);
  }
}

TEST(LayeringTest, OtherVariablesAreLeftAlone) {
  Result<Config> c = LoadConfig(std::nullopt, {{"DLOG_CONFIG", "/etc/dlog/dlog.toml"},
                                               {"DLOG_WG_DISABLE_GSO", "1"},
                                               {"HOME", "/root"},
                                               {"LISTEN_PORT", "1"}});
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(*c, Config{});
}

TEST(LayeringTest, ErrorsInFlagsNameTheFlag) {
  Result<Config> c =
      LoadConfig(std::nullopt, {}, {{"network.wireguard.listen_prot", "1", "--set"}});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error(),
            "flag --set: network.wireguard.listen_prot: unknown key; did you mean "
            "network.wireguard.listen_port?");
  c = LoadConfig(std::nullopt, {}, {{"node.data_dir", "", "--data-dir"}});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error(), "flag --data-dir: node.data_dir: expected a non-empty path, got \"\"");
}

TEST(LayeringTest, AllLayersReportTogetherInOrder) {
  Result<Config> c =
      LoadConfigText("[network]\napi_port = 0\n", "dlog.toml", {{"DLOG_NETWORK_ADMIN_PORT", "0"}},
                     {{"network.internal_port", "0", "--set"}});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error(),
            "dlog.toml:2:12: network.api_port: expected an integer from 1 to 65535, got 0\n"
            "environment variable DLOG_NETWORK_ADMIN_PORT: network.admin_port: expected an "
            "integer from 1 to 65535, got 0\n"
            "flag --set: network.internal_port: expected an integer from 1 to 65535, got 0");
}

TEST(LayeringTest, CrossKeyRulesPointAtTheLayerThatBrokeThem) {
  Result<Config> c = LoadConfigText("[network]\napi_port = 9000\n", "dlog.toml", {},
                                    {{"network.admin_port", "9000", "--set"}});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error(),
            "dlog.toml:2:12: network.api_port: 9000 is also network.admin_port; the service "
            "ports must differ");
  c = LoadConfig(std::nullopt, {{"DLOG_CLUSTER_DISCOVERY", "dns"}});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error(),
            "environment variable DLOG_CLUSTER_DISCOVERY: cluster.discovery: \"dns\" needs "
            "cluster.dns_name, a DNS name whose address records list members");
  c = LoadConfig(std::nullopt, {{"DLOG_CLUSTER_DISCOVERY", "dns"}},
                 {{"cluster.dns_name", "dlog.example.com", "--set"}});
  EXPECT_TRUE(c.ok()) << c.error();
}

}  // namespace
}  // namespace dlog::config
