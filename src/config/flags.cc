#include "config/flags.h"

#include <unistd.h>

namespace dlog::config {
namespace {

Status AddSet(const std::string& arg, ConfigFlags& out) {
  const size_t eq = arg.find('=');
  if (eq == std::string::npos || eq == 0)
    return Status::Error("--set " + arg + ": expected KEY=VALUE, like --set network.api_port=9092");
  out.overrides.push_back(Override{arg.substr(0, eq), arg.substr(eq + 1), "--set"});
  return Status::Ok();
}

}  // namespace

Result<ConfigFlags> ExtractConfigFlags(const std::vector<std::string>& args) {
  ConfigFlags out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      out.rest.insert(out.rest.end(), args.begin() + long(i), args.end());
      break;
    }
    const bool config = a == "--config" || a == "-c", set = a == "--set";
    if ((config || set) && i + 1 == args.size())
      return Status::Error(a + ": expected " + (config ? "a file name" : "KEY=VALUE"));
    if (config) {
      out.config_path = args[++i];
    } else if (a.starts_with("--config=")) {
      out.config_path = a.substr(9);
    } else if (set || a.starts_with("--set=")) {
      if (Status s = AddSet(set ? args[++i] : a.substr(6), out); !s.ok()) return s;
    } else {
      out.rest.push_back(a);
    }
  }
  if (out.config_path && out.config_path->empty())
    return Status::Error("--config: expected a file name");
  return out;
}

std::optional<std::string> ResolveConfigPath(const std::optional<std::string>& flag,
                                             const Environment& env, bool default_exists) {
  if (flag) return flag;
  for (const auto& [name, value] : env)
    if (name == "DLOG_CONFIG" && !value.empty()) return value;
  if (default_exists) return std::string(kDefaultConfigFile);
  return std::nullopt;
}

Result<Config> LoadConfigFromArgs(const std::vector<std::string>& args, const Environment& env,
                                  std::vector<std::string>* rest) {
  Result<ConfigFlags> flags = ExtractConfigFlags(args);
  if (!flags.ok()) return flags.status();
  if (rest) *rest = flags->rest;
  const bool default_exists = access(kDefaultConfigFile, F_OK) == 0;
  return LoadConfig(ResolveConfigPath(flags->config_path, env, default_exists), env,
                    flags->overrides);
}

}  // namespace dlog::config
