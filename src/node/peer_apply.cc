#include "node/peer_apply.h"

namespace dlog::node {

Ipv4 Ipv4FromHost(uint32_t a) {
  return {uint8_t(a >> 24), uint8_t(a >> 16), uint8_t(a >> 8), uint8_t(a)};
}

uint32_t Ipv4ToHost(const Ipv4& ip) {
  return uint32_t(ip[0]) << 24 | uint32_t(ip[1]) << 16 | uint32_t(ip[2]) << 8 | ip[3];
}

wg::PeerUpdate ToPeerUpdate(const cluster::PeerChange& c) {
  wg::PeerUpdate p;
  std::copy(c.key.begin(), c.key.end(), p.public_key.begin());
  if (c.kind == cluster::PeerChange::Kind::kRemove) {
    p.remove = true;
    return p;
  }
  p.endpoint = c.endpoint;
  p.persistent_keepalive_interval = c.keepalive_seconds;
  p.replace_allowed_ips = true;
  wg::IpPrefix prefix;
  const Ipv4 ip = Ipv4FromHost(c.allowed_ip);
  std::copy(ip.begin(), ip.end(), prefix.addr.begin());
  prefix.bits = 32;
  p.allowed_ips.push_back({prefix, false});
  return p;
}

}  // namespace dlog::node
