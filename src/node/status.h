// What `dlog status` shows: this node and every member with its tunnel's state, as JSON
// (the answer of the admin socket's "status" command).
//
//   {"node":"node-c","public_key":"<base64>","overlay":"10.0.0.3","cluster":"<pin>",
//    "stack":"tun","listen_port":51820,"joined":true,
//    "members":[{"name":"node-a","public_key":"<base64>","role":"node",
//                "overlay":"10.0.0.1","self":false,"endpoint":"192.168.1.10:51820",
//                "last_handshake":1764082800,"rx_bytes":1234,"tx_bytes":5678,
//                "pq":"active","pq_epoch":3}, ...],
//    "counters":{"join_admitted":2,"join_unknown_token":1,...}}
// "endpoint" is null when unknown; "last_handshake" 0 when none; "pq" is "off" (no PQ
// exchange with this peer), "pending" (random PSK: no data can flow yet) or "active".
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace dlog::node {

struct MemberStatus {
  std::string name;
  std::string public_key;  // base64
  std::string role;
  std::string overlay;
  bool self = false;
  std::optional<std::string> endpoint;
  int64_t last_handshake = 0;  // unix seconds
  uint64_t rx_bytes = 0;
  uint64_t tx_bytes = 0;
  std::string pq = "off";
  uint64_t pq_epoch = 0;
};

struct NodeStatus {
  std::string name;
  std::string public_key;
  std::string overlay;  // "" before joining
  std::string cluster;  // the cluster pin
  std::string stack;
  uint16_t listen_port = 0;
  bool joined = false;
  std::vector<MemberStatus> members;
  std::map<std::string, uint64_t> counters;  // the cluster core's drops and admissions
};

nlohmann::json ToJson(const NodeStatus& s);

}  // namespace dlog::node
