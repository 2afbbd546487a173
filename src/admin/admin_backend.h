// AdminBackend: what the admin API (admin_routes.h) asks of a running node. The node
// layer implements it over its cluster core and WireGuard device; tests use a fake.
//
// THREADS: every method may be called from several admin worker threads at once;
// implementations serialise as they need.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "cluster/identity.h"
#include "stack/address.h"

namespace dlog::admin {

// Who sent a request: a member reached through the mesh (its overlay address maps to
// one WireGuard key by cryptokey routing), or the node's own operator on the local
// socket in the data directory (0600).
struct Caller {
  bool local = false;
  std::string name;  // the member's name; "local" for the socket
  cluster::Role role = cluster::Role::kClient;
};

class AdminBackend {
 public:
  virtual ~AdminBackend() = default;

  // The member behind an overlay address; nullopt: not a member (refused).
  virtual std::optional<Caller> Identify(const stack::IpAddress& remote) = 0;

  // The node's status, as src/node/status.h describes it: {"node", "overlay", "cluster",
  // "stack", "listen_port", "members": [{name, role, overlay, self, endpoint,
  // last_handshake, rx_bytes, tx_bytes, pq, pq_epoch}...]}
  virtual nlohmann::json Status() = 0;
  virtual std::string Metrics() = 0;  // Prometheus text exposition format
  virtual nlohmann::json Members() = 0;
  virtual nlohmann::json Tokens() = 0;  // never the secrets: id, role, expiry, uses, revoked

  virtual Result<std::string> CreateToken(cluster::Role role, int64_t ttl_seconds,
                                          uint32_t max_uses) = 0;
  virtual dlog::Status RevokeToken(std::string_view token_id) = 0;
  virtual dlog::Status RemoveMember(std::string_view name_or_key) = 0;
  // A member that runs stock WireGuard (an admin's laptop, a client): its key pair is
  // made here, the member added, and the wg-quick configuration returned (a secret).
  virtual Result<std::string> Invite(cluster::Role role, std::string_view name) = 0;
  // Starts a rotation of this node's WireGuard key (docs/CLUSTER.md, "Key rotation
  // without an outage"); the answer is the new public key (base64).
  virtual Result<std::string> RotateKeys() = 0;
};

}  // namespace dlog::admin
