#include "config/validate.h"

#include "base/hex.h"
#include "config/value.h"

namespace dlog::config {
namespace {

// Reports `what` about `path`, at the place `path` was set (or `other`'s, if `path` kept its
// default), so that the message points at a line the user wrote.
void Report(const Origins& origins, Diagnostics& errors, const std::string& path,
            const std::string& other, const std::string& what) {
  auto it = origins.find(path);
  const std::string* where = it != origins.end() ? &it->second : nullptr;
  std::string subject = path;
  if (!where) {
    auto o = origins.find(other);
    if (o != origins.end()) where = &o->second;
    subject = other;
  }
  const std::string place = where ? *where + ": " : "";
  errors.AddRaw(3, place + subject + ": " + what);
}

void CheckPorts(const Config& c, const Origins& origins, Diagnostics& errors) {
  const std::pair<const char*, uint16_t> ports[] = {
      {"network.api_port", c.network.api_port},
      {"network.internal_port", c.network.internal_port},
      {"network.admin_port", c.network.admin_port}};
  for (size_t i = 0; i < 3; ++i)
    for (size_t j = i + 1; j < 3; ++j)
      if (ports[i].second == ports[j].second) {
        const bool i_set = origins.count(ports[i].first);
        const char* a = i_set ? ports[i].first : ports[j].first;
        const char* b = i_set ? ports[j].first : ports[i].first;
        Report(
            origins, errors, a, b,
            std::to_string(ports[i].second) + " is also " + b + "; the service ports must differ");
      }
}

void CheckDiscovery(const Config& c, const Origins& origins, Diagnostics& errors) {
  if (c.cluster.discovery == Discovery::kDns && c.cluster.dns_name.empty())
    Report(origins, errors, "cluster.discovery", "cluster.dns_name",
           "\"dns\" needs cluster.dns_name, a DNS name whose address records list members");
  if (c.cluster.discovery == Discovery::kStatic && c.cluster.seeds.empty())
    Report(origins, errors, "cluster.discovery", "cluster.seeds",
           "\"static\" needs cluster.seeds, like [\"192.0.2.10:51820\"]");
}

void CheckProtocol(const Config& c, const Origins& origins, Diagnostics& errors) {
  if (!c.network.wireguard.enabled && c.network.protocol == Protocol::kWireguard)
    Report(origins, errors, "network.wireguard.enabled", "network.protocol",
           "false needs network.protocol = \"tls\" or \"plain\" (it is \"wireguard\")");
}

void CheckPeers(const Config& c, const Origins& origins, Diagnostics& errors) {
  const auto& peers = c.replication.peers;
  for (size_t j = 0; j < peers.size(); ++j)
    for (size_t i = 0; i < j; ++i) {
      const std::string pi = "replication.peers[" + std::to_string(i) + "]";
      const std::string pj = "replication.peers[" + std::to_string(j) + "]";
      if (peers[i].region == peers[j].region)
        Report(origins, errors, pj + ".region", "replication.peers",
               QuoteToml(peers[j].region) + " is also " + pi + "'s region");
      if (peers[i].wireguard_public_key == peers[j].wireguard_public_key)
        Report(origins, errors, pj + ".wireguard_public_key", "replication.peers",
               "the same key as " + pi + "'s; each peer has its own key");
    }
}

}  // namespace

void CheckCrossKeys(const Config& c, const Origins& origins, Diagnostics& errors) {
  CheckPorts(c, origins, errors);
  CheckDiscovery(c, origins, errors);
  CheckProtocol(c, origins, errors);
  CheckPeers(c, origins, errors);
}

}  // namespace dlog::config
