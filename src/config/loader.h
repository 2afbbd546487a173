// LoadConfig: defaults < dlog.toml < environment < flags, checked against the schema
// (config/flags.h has LoadConfigFromArgs, the one call for a program's main()).
//
//   auto config = config::LoadConfig(flags.config_path, config::ProcessEnvironment(),
//                                    flags.overrides);
//   if (!config.ok()) { fprintf(stderr, "%s\n", config.error().c_str()); return 2; }
//
// Thread-safe: no state but the immutable schema; reads the file and nothing else.
//
// Every error names where the value came from and the key, and says what was expected:
//   dlog.toml:7:18: network.wireguard.rekey_interval: expected a duration like "2m", "90s"
//       or "1h30m", from 5s to 1d, got "3s"
//   environment variable DLOG_NETWORK_API_PORT: network.api_port: expected an integer from 1
//       to 65535, got 70000
// All errors are reported at once (at most kMaxErrors), one per line, file order first.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "config/config.h"

namespace dlog::config {

inline constexpr size_t kMaxErrors = 20;

// A key set from outside the file, by a flag.
struct Override {
  std::string key;     // "network.wireguard.listen_port"
  std::string value;   // as written: "51821", "0,128", "[{ region = \"eu\", ... }]"
  std::string source;  // names it in messages: "--set", "--data-dir"
};

using Environment = std::vector<std::pair<std::string, std::string>>;

// The process's variables (environ).
Environment ProcessEnvironment();

// Variables named DLOG_* that are not configuration keys: DLOG_CONFIG (the file's path, see
// config/flags.h) and dlog-wg's DLOG_WG_*. Any other unknown DLOG_* variable is an error.
bool IsForeignVariable(std::string_view name);

// Reads `path` (nullopt: no file, defaults only), then applies `env` and `flags`.
Result<Config> LoadConfig(const std::optional<std::string>& path, const Environment& env = {},
                          const std::vector<Override>& flags = {});

// As LoadConfig, with the file's text given; `source` names it in messages.
Result<Config> LoadConfigText(std::string_view text, const std::string& source,
                              const Environment& env = {}, const std::vector<Override>& flags = {});

}  // namespace dlog::config
