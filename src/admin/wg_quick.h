// WgQuickConfig: the wg-quick(8) configuration that puts a stock WireGuard client (an
// admin's laptop or phone) into the mesh, and its text form.
//
// The text is what `wg-quick up` and the WireGuard apps import:
//
//   [Interface]
//   PrivateKey = <base64>
//   Address = 10.0.0.7/32
//
//   [Peer]                      # one per cluster member, with its name as a comment
//   PublicKey = <base64>
//   Endpoint = 192.168.1.10:51820
//   AllowedIPs = 10.0.0.1/32
//   PersistentKeepalive = 25
//
// The private key is a secret: the rendered text is too. Callers print it once, to the
// terminal or a 0600 file, and never log it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/secret.h"

namespace dlog::admin {

struct WgQuickPeer {
  std::string comment;                       // e.g. the member's name; one line, no newlines
  std::string public_key;                    // base64, 44 characters
  std::optional<std::string> preshared_key;  // base64; a secret
  std::string endpoint;                      // host:port or [v6]:port; empty: none
  std::vector<std::string> allowed_ips;      // CIDR prefixes
  int persistent_keepalive = 0;              // seconds; 0: off
};

struct WgQuickConfig {
  std::string private_key;             // base64; a secret
  std::vector<std::string> addresses;  // CIDR, e.g. 10.0.0.7/32
  std::optional<int> listen_port;
  std::optional<int> mtu;
  std::vector<WgQuickPeer> peers;
};

// The configuration as text, or an error naming the field that cannot be written
// (a key that is not 32 bytes of base64, a prefix that does not parse, a newline in
// a comment, a keepalive out of 0..65535).
Result<std::string> RenderWgQuick(const WgQuickConfig& config);

}  // namespace dlog::admin
