#include "node/admin_backend.h"

#include "node/server.h"

namespace dlog::node {

std::optional<admin::Caller> NodeAdminBackend::Identify(const stack::IpAddress& remote) {
  return server_.IdentifyCaller(remote);
}

nlohmann::json NodeAdminBackend::Status() { return ToJson(server_.GetStatus()); }

// Prometheus text exposition: per-member gauges and the core's counters.
std::string NodeAdminBackend::Metrics() {
  NodeStatus s = server_.GetStatus();
  std::string o;
  o += "# TYPE dlog_members gauge\ndlog_members " + std::to_string(s.members.size()) + "\n";
  o += "# TYPE dlog_peer_rx_bytes counter\n# TYPE dlog_peer_tx_bytes counter\n";
  o += "# TYPE dlog_peer_last_handshake_seconds gauge\n# TYPE dlog_peer_pq_active gauge\n";
  for (const MemberStatus& m : s.members) {
    if (m.self) continue;
    const std::string l = "{member=\"" + m.name + "\"}";  // names are [A-Za-z0-9._-]
    o += "dlog_peer_rx_bytes" + l + " " + std::to_string(m.rx_bytes) + "\n";
    o += "dlog_peer_tx_bytes" + l + " " + std::to_string(m.tx_bytes) + "\n";
    o += "dlog_peer_last_handshake_seconds" + l + " " + std::to_string(m.last_handshake) + "\n";
    o += "dlog_peer_pq_active" + l + " " + (m.pq == "active" ? "1" : "0") + "\n";
  }
  for (const auto& [name, value] : s.counters) {
    o += "# TYPE dlog_cluster_" + name + "_total counter\n";
    o += "dlog_cluster_" + name + "_total " + std::to_string(value) + "\n";
  }
  return o;
}

nlohmann::json NodeAdminBackend::Members() { return Status()["members"]; }

nlohmann::json NodeAdminBackend::Tokens() { return server_.TokensJson(); }

Result<std::string> NodeAdminBackend::CreateToken(cluster::Role role, int64_t ttl_seconds,
                                                  uint32_t max_uses) {
  return server_.CreateToken(role, ttl_seconds, max_uses);
}

dlog::Status NodeAdminBackend::RevokeToken(std::string_view token_id) {
  return server_.RevokeToken(token_id);
}

dlog::Status NodeAdminBackend::RemoveMember(std::string_view name_or_key) {
  return server_.RemoveMember(name_or_key);
}

Result<std::string> NodeAdminBackend::Invite(cluster::Role role, std::string_view name) {
  return server_.Invite(role, name);
}

Result<std::string> NodeAdminBackend::RotateKeys() { return server_.RotateKeys(); }

}  // namespace dlog::node
