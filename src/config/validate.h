// The rules that involve more than one key, checked once all layers are applied.
#pragma once

#include "config/config.h"
#include "config/diagnostics.h"

namespace dlog::config {

// Adds an error per broken rule, placed where the offending key was set (`origins`):
//  - network.api_port, internal_port and admin_port differ;
//  - cluster.discovery = "dns" needs cluster.dns_name, "static" needs cluster.seeds;
//  - network.wireguard.enabled = false needs network.protocol other than "wireguard";
//  - replication.peers have distinct regions and distinct public keys.
void CheckCrossKeys(const Config& c, const Origins& origins, Diagnostics& errors);

}  // namespace dlog::config
