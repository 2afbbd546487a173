// The one WireGuard control request the PQ exchange needs: set a peer's PSK over the
// cross-platform UAPI (https://www.wireguard.com/xplatform/), as `wg set <if> peer <key>
// preshared-key <file>` does. Sans-I/O: strings in, strings out; dlog-pq owns the socket
// (/var/run/wireguard/<interface>.sock).
//
//   request:  "set=1\n" "public_key=<64 hex>\n" "update_only=true\n"
//             "preshared_key=<64 hex>\n" "\n"
//   response: "errno=0\n\n"  (non-zero: the device refused)
//
// update_only=true: a peer the interface does not have is not created.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "pq/exchange.h"

namespace dlog::pq {

// The request; it holds the PSK in hex, so the caller wipes it after sending.
std::string FormatSetPsk(const WgPublicKey& peer, const Key& psk);
// True once `buf` holds a whole response (ends with an empty line).
bool UapiResponseComplete(std::string_view buf);
// Ok for "errno=0"; otherwise an error naming the errno.
Status ParseUapiSetResponse(std::string_view response);

}  // namespace dlog::pq
