// Options of the DPI disguise: the keys of dlog.toml's [network.wireguard.dpi_evasion]
// (and `dpi_resistance` of [network.wireguard]), each option on its own switch.
//
//   [network.wireguard]
//   dpi_resistance = true              # false: stock WireGuard on the wire
//   [network.wireguard.dpi_evasion]
//   random_padding = true              # padding_range = [0, 256]   (bytes per datagram)
//   traffic_shaping = true             # target_rate = "10mbit"     (constant, per peer)
//   port_hopping = true                # port_range = [10000, 60000], hop_interval = "5m"
//   decoy_traffic = true               # decoy_ratio = 0.2          (decoys per real datagram)
//   # DLog's additions:
//   max_datagram = 1472                # padding never grows a datagram past this
//   stock_peers = ["192.0.2.0/24", "[2001:db8::7]:51820"]  # peers that speak stock WireGuard
//   stock_roaming = false              # answer any stock-WireGuard sender in stock form
//   shaping_idle = "2m"                # cover traffic stops this long after the last real datagram
//   decoy_max_delay = "20ms"           # decoys leave up to this long after their trigger
//
// ParseOptions reads that TOML subset: `key = value` lines, `#` comments, the two section
// headers above (other sections belong to other layers and are skipped; keys before any
// header are dpi_evasion keys), booleans, integers, decimals, "strings" or bare words,
// and one-line arrays. ';' separates entries like a newline, so the same parser takes
// DLOG_WG_OBFS_OPTIONS="random_padding=true;padding_range=[0,256]". Errors name the
// source, the line, the key and the expected form.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "obfs/constants.h"
#include "wg/allowed_ips.h"

namespace dlog::obfs {

// Addresses of peers that speak stock WireGuard: a prefix and, optionally, one port.
struct StockPeer {
  wg::IpPrefix prefix;
  uint16_t port = 0;  // 0: any port
};

struct Options {
  bool dpi_resistance = true;
  bool random_padding = false;
  uint32_t padding_min = kDefaultPaddingMin;
  uint32_t padding_max = kDefaultPaddingMax;
  bool traffic_shaping = false;
  uint64_t target_rate_bps = kDefaultTargetRateBps;  // UDP payload bits per second
  bool port_hopping = false;
  uint16_t port_min = kDefaultPortMin;
  uint16_t port_max = kDefaultPortMax;
  Duration hop_interval = kDefaultHopInterval;
  bool decoy_traffic = false;
  double decoy_ratio = kDefaultDecoyRatio;
  size_t max_datagram = kDefaultMaxDatagram;
  std::vector<StockPeer> stock_peers;
  bool stock_roaming = false;
  Duration shaping_idle = kDefaultShapingIdle;
  Duration decoy_max_delay = kDefaultDecoyMaxDelay;
};

// "10mbit", "512kbit", "1gbit", "2500000" (bits per second; "bit", "/s", "ps" suffixes
// allowed: "10mbps", "10mbit/s"). Positive.
std::optional<uint64_t> ParseRate(std::string_view s);
// "192.0.2.0/24", "192.0.2.7", "192.0.2.7:51820", "fd00::/64", "[2001:db8::7]:51820".
std::optional<StockPeer> ParseStockPeer(std::string_view s);

// Parses `text` on top of `base`; `source` names it in messages.
Result<Options> ParseOptions(std::string_view text, const std::string& source, Options base = {});
// Sets one dpi_evasion key (value as written, quotes allowed); `where` prefixes errors.
Status SetOption(Options& o, const std::string& key, const std::string& value,
                 const std::string& where);
// Cross-field checks: ranges ordered, padding_max ≤ 65535, hop_interval ≥ 1 s, ...
Status ValidateOptions(const Options& o);

}  // namespace dlog::obfs
