// Configuration of the standalone dlog-pq daemon: a small "key = value" file with one
// [peer] section per peer (comments start with '#'), or the same through flags.
//
//   interface = wg0                   # the WireGuard interface whose PSKs dlog-pq drives
//   listen = 0.0.0.0:51830            # UDP address of the PQ exchange ([::]:51830 for IPv6)
//   secret_key = /etc/dlog/pq.key     # from `dlog-pq genkey`; mode 0600
//   algorithm = kyber1024             # or kyber768; must match every key
//   rekey_interval = 2m               # the epoch: 120, 120s, 2m, 500ms
//   uapi_dir = /var/run/wireguard     # where <interface>.sock lives
//
//   [peer]
//   public_key = /etc/dlog/peer.pub   # the peer's PQ public key file (or the key itself)
//   wireguard_public_key = <base64>   # the peer's WireGuard public key, as `wg show` prints it
//   endpoint = 192.168.1.2:51830      # optional: where the peer's dlog-pq listens
//
// Errors name the file, the line, the key and the expected form.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "pq/exchange.h"
#include "pq/keys.h"

namespace dlog::pq {

struct DaemonPeer {
  std::string public_key;  // path, or the key text itself
  WgPublicKey wireguard_public_key{};
  std::optional<wg::Endpoint> endpoint;
};

struct DaemonConfig {
  std::string interface;
  wg::Endpoint listen;
  std::string secret_key;
  Algorithm algorithm = kDefaultAlgorithm;
  Duration rekey_interval = kDefaultRekeyInterval;
  std::string uapi_dir = "/var/run/wireguard";
  std::vector<DaemonPeer> peers;
};

// "120", "120s", "2m", "1h", "500ms" → a positive duration.
std::optional<Duration> ParseDuration(std::string_view s);

// Parses a whole file's text; `name` is used in messages. With `validate` false the
// cross-field checks are left to the caller (dlog-wg needs no interface or listen).
Result<DaemonConfig> ParseDaemonConfig(std::string_view text, const std::string& name,
                                       bool validate = true);
// Sets one top-level key (also how flags are applied); `where` prefixes errors.
Status SetDaemonKey(DaemonConfig& c, const std::string& key, const std::string& value,
                    const std::string& where);
Status SetPeerKey(DaemonPeer& p, const std::string& key, const std::string& value,
                  const std::string& where);
// Cross-field checks after parsing: interface, listen, secret_key and a peer present.
Status ValidateDaemonConfig(const DaemonConfig& c);

}  // namespace dlog::pq
