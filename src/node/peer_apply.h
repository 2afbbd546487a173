// The cluster core's desired-peer changes (cluster::PeerChange) as WireGuard device
// updates: one peer per member, allowed IP = the member's overlay address /32 (replacing
// whatever it had), its endpoint when known, a persistent keepalive (25 s) so NAT
// mappings stay open and the mesh notices a dead peer.
#pragma once

#include <cstdint>

#include "cluster/node.h"
#include "node/overlay_udp.h"
#include "wg/device.h"

namespace dlog::node {

wg::PeerUpdate ToPeerUpdate(const cluster::PeerChange& change);

// Host byte order (cluster records) ↔ the network-order bytes of an IPv4 address.
Ipv4 Ipv4FromHost(uint32_t host_order);
uint32_t Ipv4ToHost(const Ipv4& ip);

}  // namespace dlog::node
