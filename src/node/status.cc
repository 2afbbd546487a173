#include "node/status.h"

namespace dlog::node {
namespace {

nlohmann::json MemberJson(const MemberStatus& m) {
  return {{"name", m.name},
          {"public_key", m.public_key},
          {"role", m.role},
          {"overlay", m.overlay},
          {"self", m.self},
          {"endpoint", m.endpoint ? nlohmann::json(*m.endpoint) : nlohmann::json(nullptr)},
          {"last_handshake", m.last_handshake},
          {"rx_bytes", m.rx_bytes},
          {"tx_bytes", m.tx_bytes},
          {"pq", m.pq},
          {"pq_epoch", m.pq_epoch}};
}

}  // namespace

nlohmann::json ToJson(const NodeStatus& s) {
  nlohmann::json members = nlohmann::json::array();
  for (const MemberStatus& m : s.members) members.push_back(MemberJson(m));
  return {{"node", s.name},        {"public_key", s.public_key},
          {"overlay", s.overlay},  {"cluster", s.cluster},
          {"stack", s.stack},      {"listen_port", s.listen_port},
          {"joined", s.joined},    {"members", std::move(members)},
          {"counters", s.counters}};
}

}  // namespace dlog::node
