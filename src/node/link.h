// Kernel interface configuration for the `tun` stack: the overlay address and prefix on
// the node's TUN interface, its MTU, and the link up (ioctl SIOCSIF*, no shelling out).
// Needs CAP_NET_ADMIN in the network namespace of the caller. The kernel adds the
// connected route of the prefix (10.0.0.0/24 dev dlog0) when the link comes up.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "node/overlay_udp.h"

namespace dlog::node {

// Sets `addr`/`prefix_len` (replacing the interface's primary IPv4 address), the MTU,
// and IFF_UP on interface `name`.
Status ConfigureInterface(const std::string& name, const Ipv4& addr, uint8_t prefix_len,
                          size_t mtu);

// IPv4 addresses of this host's interfaces that are up, not loopback (getifaddrs), for
// publishing as underlay endpoints; `exclude` (the TUN) is skipped.
std::vector<Ipv4> LocalIpv4Addresses(const std::string& exclude);

}  // namespace dlog::node
