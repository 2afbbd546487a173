// The configuration flags every DLog program shares, parsed out of its command line:
//
//   -c, --config PATH        the configuration file (else $DLOG_CONFIG, else ./dlog.toml
//                            if it exists, else none: defaults)
//   --set KEY=VALUE          set any key, over the file and the environment; repeatable:
//                            --set network.wireguard.listen_port=51821
//                            --set network.wireguard.dpi_evasion.padding_range=0,128
//
// Programs map their own flags onto keys with Override (dlog-server's --bootstrap is
// {"cluster.bootstrap", "true", "--bootstrap"}).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "config/loader.h"

namespace dlog::config {

inline constexpr char kDefaultConfigFile[] = "dlog.toml";

struct ConfigFlags {
  std::optional<std::string> config_path;  // --config, as given
  std::vector<Override> overrides;         // --set, in order
  std::vector<std::string> rest;           // every other argument, in order
};

// Takes --config/-c and --set (also as --config=PATH, --set=KEY=VALUE) out of `args`
// (without argv[0]). "--" ends the flags: everything after it is left in `rest`.
Result<ConfigFlags> ExtractConfigFlags(const std::vector<std::string>& args);

// The file to read: `flag`, else $DLOG_CONFIG, else kDefaultConfigFile if
// `default_exists` (the caller looks in the working directory).
std::optional<std::string> ResolveConfigPath(const std::optional<std::string>& flag,
                                             const Environment& env, bool default_exists);

// All of the above for a program's main():
//   std::vector<std::string> rest;
//   auto config = config::LoadConfigFromArgs({argv + 1, argv + argc},
//                                            config::ProcessEnvironment(), &rest);
// `rest` gets the arguments that are not configuration flags. Looks for ./dlog.toml.
Result<Config> LoadConfigFromArgs(const std::vector<std::string>& args, const Environment& env,
                                  std::vector<std::string>* rest);

}  // namespace dlog::config
