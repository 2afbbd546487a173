// NodeAdminBackend: the admin API (admin/admin_backend.h, docs/ADMIN.md) over a running
// node::Server: status and roster from the cluster core and the device, tokens, removal,
// and invitations of stock WireGuard members (a wg-quick configuration with every node as a
// [Peer]). Thread-safe: every call goes through the Server, which serialises on its lock.
#pragma once

#include "admin/admin_backend.h"

namespace dlog::node {

class Server;

class NodeAdminBackend : public admin::AdminBackend {
 public:
  explicit NodeAdminBackend(Server& server) : server_(server) {}

  std::optional<admin::Caller> Identify(const stack::IpAddress& remote) override;
  nlohmann::json Status() override;
  std::string Metrics() override;
  nlohmann::json Members() override;
  nlohmann::json Tokens() override;
  Result<std::string> CreateToken(cluster::Role role, int64_t ttl_seconds,
                                  uint32_t max_uses) override;
  dlog::Status RevokeToken(std::string_view token_id) override;
  dlog::Status RemoveMember(std::string_view name_or_key) override;
  Result<std::string> Invite(cluster::Role role, std::string_view name) override;
  Result<std::string> RotateKeys() override;

 private:
  Server& server_;
};

}  // namespace dlog::node
