// Settings: what a daemon needs to turn the disguise on, read from its environment.
//
//   <PREFIX>SECRET_FILE=PATH   the cluster secret file (keys.h); unset: disguise off
//   <PREFIX>CONFIG=PATH        optional TOML file with [network.wireguard] dpi_resistance
//                              and [network.wireguard.dpi_evasion] (options.h)
//   <PREFIX>OPTIONS="k=v;..."  optional, the same keys inline, applied after the file
//
// dlog-wg uses the prefix "DLOG_WG_OBFS_", dlog-pq "DLOG_PQ_OBFS_". Errors name the
// variable or file at fault.
#pragma once

#include <optional>
#include <string>

#include "base/result.h"
#include "obfs/keys.h"
#include "obfs/options.h"

namespace dlog::obfs {

struct Settings {
  ClusterSecret secret;
  Options options;
};

// nullopt when <PREFIX>SECRET_FILE is unset or empty, or dpi_resistance is false.
Result<std::optional<Settings>> SettingsFromEnvironment(const std::string& prefix);

}  // namespace dlog::obfs
