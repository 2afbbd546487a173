// DLog's configuration: what dlog.toml, the environment and flags can set (docs/CONFIG.md).
//
// Every field has a default, so a node runs with no file at all. A Config that came out of
// LoadConfig (config/loader.h) has passed every check of the schema (config/schema.h):
// ranges, enums, address forms and the cross-key rules. Plain value type, no invariants
// beyond those; copy freely.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"

namespace dlog::config {

enum class Discovery { kAuto, kMdns, kDns, kStatic };
enum class Protocol { kWireguard, kTls, kPlain };
enum class Stack { kAuto, kTun, kUserspace };
enum class PqAlgorithm { kKyber1024, kKyber768 };  // ML-KEM-1024 / ML-KEM-768 (FIPS 203)
enum class ReplicationMode { kAsync, kSync };
enum class FsyncPolicy { kAlways, kInterval, kNever };

// [node]
struct NodeConfig {
  std::string name;  // empty: the host name
  std::string data_dir = "./dlog-data";
  bool operator==(const NodeConfig&) const = default;
};

// [cluster]
struct ClusterConfig {
  std::string name = "dlog";
  bool bootstrap = false;  // create a new cluster on first start
  std::string join_token;  // a credential: never logged or echoed in errors
  std::string overlay_cidr = "10.0.0.0/24";
  std::string overlay_cidr6;  // empty: no IPv6 overlay
  Discovery discovery = Discovery::kAuto;
  std::vector<std::string> seeds;  // "host:port"
  std::string dns_name;            // empty: none
  bool operator==(const ClusterConfig&) const = default;
};

// [network.wireguard.dpi_evasion]; the seed's four switches and DLog's additions.
struct DpiEvasionConfig {
  bool random_padding = false;
  uint32_t padding_min = 0;
  uint32_t padding_max = 256;
  bool traffic_shaping = false;
  uint64_t target_rate_bps = 10'000'000;  // "10mbit"
  bool port_hopping = false;
  uint16_t port_min = 10000;
  uint16_t port_max = 60000;
  Duration hop_interval = std::chrono::minutes(5);
  bool decoy_traffic = false;
  double decoy_ratio = 0.2;
  uint32_t max_datagram = 1472;
  std::vector<std::string> stock_peers;  // "192.0.2.0/24", "[2001:db8::7]:51820", ...
  bool stock_roaming = false;
  Duration shaping_idle = std::chrono::minutes(2);
  Duration decoy_max_delay = std::chrono::milliseconds(20);
  bool operator==(const DpiEvasionConfig&) const = default;
};

// [network.wireguard]
struct WireguardConfig {
  bool enabled = true;
  uint16_t listen_port = 51820;
  bool quantum_resistant = true;
  PqAlgorithm pq_algorithm = PqAlgorithm::kKyber1024;
  Duration rekey_interval = std::chrono::minutes(2);
  bool dpi_resistance = false;
  DpiEvasionConfig dpi_evasion;
  bool operator==(const WireguardConfig&) const = default;
};

// [network]
struct NetworkConfig {
  Protocol protocol = Protocol::kWireguard;
  Stack stack = Stack::kAuto;
  uint16_t api_port = 9092;
  uint16_t internal_port = 9093;
  uint16_t admin_port = 8080;
  WireguardConfig wireguard;
  bool operator==(const NetworkConfig&) const = default;
};

// [[replication.peers]]: the gateway of another region.
struct ReplicationPeer {
  std::string region;
  std::string endpoint;  // "host:port" of its WireGuard UDP socket
  ByteArray<32> wireguard_public_key{};
  std::optional<bool> quantum_resistant;  // unset: network.wireguard.quantum_resistant
  bool operator==(const ReplicationPeer&) const = default;
};

// [replication]
struct ReplicationConfig {
  ReplicationMode mode = ReplicationMode::kAsync;  // towards the peers' regions
  uint32_t factor = 3;                             // copies of each partition in this cluster
  FsyncPolicy fsync = FsyncPolicy::kAlways;
  Duration fsync_interval = std::chrono::milliseconds(100);
  std::vector<ReplicationPeer> peers;
  bool operator==(const ReplicationConfig&) const = default;
};

struct Config {
  NodeConfig node;
  ClusterConfig cluster;
  NetworkConfig network;
  ReplicationConfig replication;
  bool operator==(const Config&) const = default;
};

// Whether the tunnel to `peer` needs a post-quantum PSK.
bool QuantumResistant(const Config& c, const ReplicationPeer& peer);

// The names dlog.toml uses for the enums ("wireguard", "kyber1024", ...).
std::string_view Name(Discovery v);
std::string_view Name(Protocol v);
std::string_view Name(Stack v);
std::string_view Name(PqAlgorithm v);
std::string_view Name(ReplicationMode v);
std::string_view Name(FsyncPolicy v);

}  // namespace dlog::config
