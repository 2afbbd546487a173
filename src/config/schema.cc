#include "config/schema.h"

#include <algorithm>
#include <utility>

#include "base/hex.h"
#include "config/key_builders.h"
#include "config/net_forms.h"

namespace dlog::config {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using namespace keys;  // NOLINT: the builders, throughout this table

constexpr size_t kMaxPath = 4096;
constexpr size_t kMaxToken = 1024;

bool IsPath(std::string_view s) {
  return !s.empty() && s.size() <= kMaxPath && s.find('\0') == std::string_view::npos &&
         s.find('\n') == std::string_view::npos;
}

bool IsToken(std::string_view s) {
  return s.size() <= kMaxToken &&
         std::all_of(s.begin(), s.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

const char kNameForm[] =
    "a name of 1 to 63 letters, digits, '-', '_' or '.', starting with a letter or digit";

std::vector<Key> NodeKeys() {
  return {
      TextKey<Config>(
          "node.name",
          "This node's name in the cluster, as `dlog status` shows it. Empty: the host name.",
          [](auto& c) -> auto& { return c.node.name; },
          [](std::string_view s) { return s.empty() || IsName(s); },
          std::string(kNameForm) + ", or \"\" for the host name"),
      TextKey<Config>(
          "node.data_dir",
          "Where the node keeps its keys (files 0600), the cluster's identity and its logs; "
          "created with mode 0700. A restart with the same directory keeps the node's identity.",
          [](auto& c) -> auto& { return c.node.data_dir; }, IsPath, "a non-empty path"),
  };
}

std::vector<Key> ClusterKeys() {
  auto join_token = TextKey<Config>(
      "cluster.join_token",
      "A token (printed by `dlog-server --bootstrap` or `dlog admin token`) that lets this node "
      "join an existing cluster on its "
      "first start; it pins the cluster's identity. A credential: prefer the environment to a "
      "file.",
      [](auto& c) -> auto& { return c.cluster.join_token; }, IsToken,
      "a join token as `dlog admin token` prints it (at most 1024 printable characters, no "
      "spaces)");
  join_token.secret = true;
  return {
      TextKey<Config>(
          "cluster.name", "The cluster's name, announced by discovery; every member's must match.",
          [](auto& c) -> auto& { return c.cluster.name; }, IsName, kNameForm),
      BoolKey<Config>(
          "cluster.bootstrap",
          "Create a new cluster on the first start (`dlog-server --bootstrap`): generates the "
          "cluster's identity and prints a join token. No effect once the data directory holds "
          "a cluster.",
          [](auto& c) -> auto& { return c.cluster.bootstrap; }),
      join_token,
      CidrKey(
          "cluster.overlay_cidr",
          "IPv4 prefix of the overlay network; members get stable addresses inside it.",
          [](auto& c) -> auto& { return c.cluster.overlay_cidr; }, Family::kIpv4, 8, 30, false),
      CidrKey(
          "cluster.overlay_cidr6",
          "IPv6 prefix of the overlay network, besides the IPv4 one. Empty: IPv4 only.",
          [](auto& c) -> auto& { return c.cluster.overlay_cidr6; }, Family::kIpv6, 16, 124, true),
      EnumKey<Config, Discovery>(
          "cluster.discovery",
          "How members find each other: `mdns` (`_dlog._udp.local` on the LAN, RFC 6762/6763), "
          "`dns` (the addresses of `dns_name`), `static` (`seeds` only), or `auto` (mDNS plus "
          "any `seeds` and `dns_name`). Discovery only suggests addresses: a host becomes a "
          "member by proving it holds a join token.",
          [](auto& c) -> auto& { return c.cluster.discovery; },
          {{"auto", Discovery::kAuto},
           {"mdns", Discovery::kMdns},
           {"dns", Discovery::kDns},
           {"static", Discovery::kStatic}},
          4),
      ListKey<Config>(
          "cluster.seeds",
          "WireGuard endpoints of members to contact first, where multicast does "
          "not reach. Needed by discovery = \"static\".",
          [](auto& c) -> auto& { return c.cluster.seeds; }, IsHostPort,
          "an array of \"host:port\" strings, like [\"192.0.2.10:51820\", "
          "\"node-a.example:51820\"]"),
      TextKey<Config>(
          "cluster.dns_name",
          "A DNS name whose address records list members (a Kubernetes headless Service, "
          "say). Needed by discovery = \"dns\". Empty: none.",
          [](auto& c) -> auto& { return c.cluster.dns_name; },
          [](std::string_view s) { return s.empty() || IsHostname(s); },
          "a DNS name like \"dlog.example.com\", or \"\" for none"),
  };
}

std::vector<Key> NetworkKeys() {
  return {
      EnumKey<Config, Protocol>(
          "network.protocol",
          "What carries traffic between parties: `wireguard` (the default, and the only one "
          "recommended); `tls` (TLS 1.3) and `plain` (refused without `--insecure`) exist to "
          "measure against.",
          [](auto& c) -> auto& { return c.network.protocol; },
          {{"wireguard", Protocol::kWireguard},
           {"tls", Protocol::kTls},
           {"plain", Protocol::kPlain}},
          3),
      EnumKey<Config, Stack>(
          "network.stack",
          "The network stack behind the tunnels: `tun` (a kernel TUN device, needs "
          "CAP_NET_ADMIN), `userspace` (lwIP in the process, no privileges), or `auto` (`tun` "
          "where permitted).",
          [](auto& c) -> auto& { return c.network.stack; },
          {{"auto", Stack::kAuto}, {"tun", Stack::kTun}, {"userspace", Stack::kUserspace}}, 3),
      PortKey<Config>(
          "network.api_port", "TCP port of the client API, on the overlay address.",
          [](auto& c) -> auto& { return c.network.api_port; }),
      PortKey<Config>(
          "network.internal_port",
          "TCP port of replication and consensus between members, on the overlay "
          "address.",
          [](auto& c) -> auto& { return c.network.internal_port; }),
      PortKey<Config>(
          "network.admin_port",
          "TCP port of the admin HTTP service (dashboard, JSON, Prometheus "
          "metrics), on the overlay address.",
          [](auto& c) -> auto& { return c.network.admin_port; }),
  };
}

std::vector<Key> WireguardKeys() {
  auto enabled = BoolKey<Config>(
      "network.wireguard.enabled",
      "Run the WireGuard mesh. false needs network.protocol = \"tls\" or \"plain\".",
      [](auto& c) -> auto& { return c.network.wireguard.enabled; });
  enabled.aliases = {"WIREGUARD_ENABLED"};
  auto quantum = BoolKey<Config>(
      "network.wireguard.quantum_resistant",
      "Put a post-quantum PSK (a Rosenpass-style ML-KEM exchange) into every tunnel; a tunnel "
      "carries no data before its peer has one. The default for every peer.",
      [](auto& c) -> auto& { return c.network.wireguard.quantum_resistant; });
  quantum.aliases = {"QUANTUM_RESISTANT"};
  return {
      enabled,
      PortKey<Config>(
          "network.wireguard.listen_port",
          "UDP port of WireGuard and of the post-quantum exchange: the only port "
          "DLog opens on the underlay network.",
          [](auto& c) -> auto& { return c.network.wireguard.listen_port; }),
      quantum,
      EnumKey<Config, PqAlgorithm>(
          "network.wireguard.pq_algorithm",
          "The KEM of the post-quantum exchange: ML-KEM-1024 (`kyber1024`) or the lighter "
          "ML-KEM-768 (`kyber768`), FIPS 203. Every member must agree.",
          [](auto& c) -> auto& { return c.network.wireguard.pq_algorithm; },
          {{"kyber1024", PqAlgorithm::kKyber1024},
           {"kyber768", PqAlgorithm::kKyber768},
           {"ml-kem-1024", PqAlgorithm::kKyber1024},
           {"ml-kem-768", PqAlgorithm::kKyber768}},
          2),
      DurationKey<Config>(
          "network.wireguard.rekey_interval",
          "How often the post-quantum exchange renews each tunnel's PSK.",
          [](auto& c) -> auto& { return c.network.wireguard.rekey_interval; }, seconds(5), days(1)),
      BoolKey<Config>(
          "network.wireguard.dpi_resistance",
          "Disguise every datagram against deep packet inspection, with the options "
          "of [network.wireguard.dpi_evasion]. false: stock WireGuard on the wire.",
          [](auto& c) -> auto& { return c.network.wireguard.dpi_resistance; }),
  };
}

std::vector<Key> DpiEvasionKeys() {
  return {
      BoolKey<Config>(
          "network.wireguard.dpi_evasion.random_padding",
          "Pad every datagram by a random length within padding_range.",
          [](auto& c) -> auto& { return c.network.wireguard.dpi_evasion.random_padding; }),
      PairKey<Config>(
          "network.wireguard.dpi_evasion.padding_range", "Bytes of padding per datagram.",
          [](auto& c) -> auto& { return c.network.wireguard.dpi_evasion.padding_min; },
          [](auto& c) -> auto& { return c.network.wireguard.dpi_evasion.padding_max; }, 0, 1400,
          "[0, 256]"),
      BoolKey<Config>(
          "network.wireguard.dpi_evasion.traffic_shaping",
          "Send at the constant target_rate to each peer, filling gaps with cover "
          "datagrams.",
          [](auto& c) -> auto& { return c.network.wireguard.dpi_evasion.traffic_shaping; }),
      RateKey<Config>(
          "network.wireguard.dpi_evasion.target_rate",
          "The constant rate of traffic shaping, per peer.",
          [](auto& c) -> auto& { return c.network.wireguard.dpi_evasion.target_rate_bps; }, 1'000,
          100'000'000'000),
      BoolKey<Config>(
          "network.wireguard.dpi_evasion.port_hopping",
          "Move the WireGuard port within port_range every hop_interval, on a "
          "schedule both ends derive from the cluster's secret.",
          [](auto& c) -> auto& { return c.network.wireguard.dpi_evasion.port_hopping; }),
      PairKey<Config>(
          "network.wireguard.dpi_evasion.port_range", "UDP ports that port hopping uses.",
          [](auto& c) -> auto& { return c.network.wireguard.dpi_evasion.port_min; },
          [](auto& c) -> auto& { return c.network.wireguard.dpi_evasion.port_max; }, 1, 65535,
          "[10000, 60000]"),
      DurationKey<Config>(
          "network.wireguard.dpi_evasion.hop_interval", "Time between port hops.",
          [](auto& c) -> auto& { return c.network.wireguard.dpi_evasion.hop_interval; }, seconds(1),
          days(1)),
      BoolKey<Config>(
          "network.wireguard.dpi_evasion.decoy_traffic",
          "Send decoy datagrams, alike on the wire to real ones, that the receiver "
          "discards.",
          [](auto& c) -> auto& { return c.network.wireguard.dpi_evasion.decoy_traffic; }),
      FloatKey<Config>(
          "network.wireguard.dpi_evasion.decoy_ratio", "Decoy datagrams per real datagram.",
          [](auto& c) -> auto& { return c.network.wireguard.dpi_evasion.decoy_ratio; }, 0.0, 1.0),
      IntKey<Config>(
          "network.wireguard.dpi_evasion.max_datagram",
          "Padding never grows a UDP payload past this many bytes.",
          [](auto& c) -> auto& { return c.network.wireguard.dpi_evasion.max_datagram; }, 576,
          65507),
      ListKey<Config>(
          "network.wireguard.dpi_evasion.stock_peers",
          "Peers that speak stock WireGuard (admins' apps, say): datagrams to and from them stay "
          "undisguised.",
          [](auto& c) -> auto& { return c.network.wireguard.dpi_evasion.stock_peers; }, IsStockPeer,
          "an array of addresses or prefixes, with an optional port, like [\"192.0.2.0/24\", "
          "\"192.0.2.7:51820\", \"[2001:db8::7]:51820\"]"),
      BoolKey<Config>(
          "network.wireguard.dpi_evasion.stock_roaming",
          "Answer any sender of stock WireGuard in stock form, wherever it comes "
          "from.",
          [](auto& c) -> auto& { return c.network.wireguard.dpi_evasion.stock_roaming; }),
      DurationKey<Config>(
          "network.wireguard.dpi_evasion.shaping_idle",
          "Cover traffic stops this long after the last real datagram.",
          [](auto& c) -> auto& { return c.network.wireguard.dpi_evasion.shaping_idle; }, seconds(1),
          days(1)),
      DurationKey<Config>(
          "network.wireguard.dpi_evasion.decoy_max_delay",
          "Decoys leave at a random delay up to this long after the datagram that triggered "
          "them.",
          [](auto& c) -> auto& { return c.network.wireguard.dpi_evasion.decoy_max_delay; },
          milliseconds(1), seconds(10), "\"20ms\", \"1s\" or \"1s500ms\""),
  };
}

std::vector<Key> ReplicationKeys() {
  auto peers = Spec<Config>(
      "replication.peers", Kind::kPeers, "array of tables",
      "an array of tables with region, endpoint, wireguard_public_key and optionally "
      "quantum_resistant",
      "Gateways of other regions that this cluster replicates to, one [[replication.peers]] "
      "table each (keys below).");
  peers.get = [](const Config&) -> std::optional<std::string> { return std::nullopt; };
  return {
      EnumKey<Config, ReplicationMode>(
          "replication.mode",
          "Replication to the peers' regions: `async` (a write is acknowledged once this "
          "cluster has it; regions catch up in the background) or `sync` (once every peer "
          "region has it too).",
          [](auto& c) -> auto& { return c.replication.mode; },
          {{"async", ReplicationMode::kAsync}, {"sync", ReplicationMode::kSync}}, 2),
      IntKey<Config>(
          "replication.factor",
          "Copies of each partition within this cluster (fewer while the cluster "
          "has fewer members).",
          [](auto& c) -> auto& { return c.replication.factor; }, 1, 7),
      EnumKey<Config, FsyncPolicy>(
          "replication.fsync",
          "When appended records reach the disk: `always` (before a write is acknowledged), "
          "`interval` (every fsync_interval), `never` (when the system flushes).",
          [](auto& c) -> auto& { return c.replication.fsync; },
          {{"always", FsyncPolicy::kAlways},
           {"interval", FsyncPolicy::kInterval},
           {"never", FsyncPolicy::kNever}},
          3),
      DurationKey<Config>(
          "replication.fsync_interval", "The period of fsync = \"interval\".",
          [](auto& c) -> auto& { return c.replication.fsync_interval; }, milliseconds(1),
          minutes(1), "\"100ms\", \"1s\" or \"1s500ms\""),
      peers,
  };
}

std::vector<Key> MakeSchema() {
  std::vector<Key> all;
  for (auto part : {NodeKeys(), ClusterKeys(), NetworkKeys(), WireguardKeys(), DpiEvasionKeys(),
                    ReplicationKeys()})
    for (Key& k : part) all.push_back(std::move(k));
  return all;
}

std::vector<PeerKey> MakePeerSchema() {
  auto region = TextKey<ReplicationPeer>(
      "region", "The peer's region, unique among the peers.",
      [](auto& p) -> auto& { return p.region; }, IsName, kNameForm);
  auto endpoint = TextKey<ReplicationPeer>(
      "endpoint", "Where the peer's WireGuard listens.",
      [](auto& p) -> auto& { return p.endpoint; }, IsHostPort,
      "\"host:port\", like \"gw.eu.example:51820\" or \"[2001:db8::7]:51820\"");
  auto key = Spec<ReplicationPeer>(
      "wireguard_public_key", Kind::kString, "string",
      "a WireGuard public key: 44 characters of base64 for 32 bytes, as `wg pubkey` prints it",
      "The peer's WireGuard public key, unique among the peers.");
  key.set = [](ReplicationPeer& p, const Value& v) {
    if (v.type != Type::kString) return Check::Bad();
    std::optional<ByteArray<32>> k = ParseWireguardKey(v.string);
    if (!k) {
      std::optional<Bytes> raw = FromBase64(v.string);
      return Check::Bad(raw && raw->size() != 32
                            ? "it decodes to " + std::to_string(raw->size()) + " bytes"
                            : "");
    }
    p.wireguard_public_key = *k;
    return Check::Ok();
  };
  key.get = [](const ReplicationPeer& p) -> std::optional<std::string> {
    return QuoteToml(ToBase64(p.wireguard_public_key));
  };
  auto quantum =
      Spec<ReplicationPeer>("quantum_resistant", Kind::kBool, "boolean", "true or false",
                            "Whether the tunnel to this peer needs a post-quantum PSK. Unset: "
                            "network.wireguard.quantum_resistant.");
  quantum.set = [](ReplicationPeer& p, const Value& v) {
    if (v.type != Type::kBool) return Check::Bad();
    p.quantum_resistant = v.boolean;
    return Check::Ok();
  };
  quantum.get = [](const ReplicationPeer& p) -> std::optional<std::string> {
    if (!p.quantum_resistant) return std::nullopt;
    return *p.quantum_resistant ? "true" : "false";
  };
  region.required = endpoint.required = key.required = true;
  return {region, endpoint, key, quantum};
}

std::string TableOf(std::string_view path) {
  const size_t dot = path.rfind('.');
  return std::string(dot == std::string_view::npos ? "" : path.substr(0, dot));
}

std::vector<std::string> MakeTables() {
  std::vector<std::string> tables;
  for (const Key& k : Schema()) {
    std::string t = TableOf(k.path);
    for (size_t dot = t.find('.'); dot != std::string::npos; dot = t.find('.', dot + 1))
      if (std::find(tables.begin(), tables.end(), t.substr(0, dot)) == tables.end())
        tables.push_back(t.substr(0, dot));
    if (!t.empty() && std::find(tables.begin(), tables.end(), t) == tables.end())
      tables.push_back(t);
  }
  return tables;
}

}  // namespace

const std::vector<Key>& Schema() {
  static const std::vector<Key> schema = MakeSchema();
  return schema;
}

const std::vector<PeerKey>& PeerSchema() {
  static const std::vector<PeerKey> schema = MakePeerSchema();
  return schema;
}

const Key* FindKey(std::string_view path) {
  for (const Key& k : Schema())
    if (k.path == path) return &k;
  return nullptr;
}

const PeerKey* FindPeerKey(std::string_view name) {
  for (const PeerKey& k : PeerSchema())
    if (k.path == name) return &k;
  return nullptr;
}

const std::vector<std::string>& Tables() {
  static const std::vector<std::string> tables = MakeTables();
  return tables;
}

bool IsTable(std::string_view path) {
  const std::vector<std::string>& tables = Tables();
  return std::find(tables.begin(), tables.end(), path) != tables.end();
}

std::vector<std::string> ChildrenOf(std::string_view prefix) {
  std::vector<std::string> names;
  const std::string start = prefix.empty() ? "" : std::string(prefix) + ".";
  for (const Key& k : Schema()) {
    if (!k.path.starts_with(start)) continue;
    const std::string_view rest = std::string_view(k.path).substr(start.size());
    std::string name(rest.substr(0, rest.find('.')));
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return names;
}

std::string EnvName(std::string_view path) {
  std::string out = "DLOG_";
  for (char c : path) out += c == '.' ? '_' : (c >= 'a' && c <= 'z') ? char(c - 'a' + 'A') : c;
  return out;
}

}  // namespace dlog::config
