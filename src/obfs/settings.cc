#include "obfs/settings.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace dlog::obfs {
namespace {

const char* Env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  return v && *v ? v : nullptr;
}

}  // namespace

Result<std::optional<Settings>> SettingsFromEnvironment(const std::string& prefix) {
  const char* secret_file = Env(prefix + "SECRET_FILE");
  if (!secret_file) return std::optional<Settings>();
  Options o;
  if (const char* path = Env(prefix + "CONFIG")) {
    std::ifstream in(path);
    if (!in) return Status::Error(prefix + "CONFIG: cannot read " + path);
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = ParseOptions(text.str(), path, o);
    if (!parsed.ok()) return parsed.status();
    o = *parsed;
  }
  if (const char* inline_options = Env(prefix + "OPTIONS")) {
    auto parsed = ParseOptions(inline_options, prefix + "OPTIONS", o);
    if (!parsed.ok()) return parsed.status();
    o = *parsed;
  }
  if (!o.dpi_resistance) return std::optional<Settings>();
  auto secret = LoadClusterSecret(secret_file);
  if (!secret.ok()) return Status::Error(prefix + "SECRET_FILE: " + secret.error());
  return std::optional<Settings>(Settings{*secret, o});
}

}  // namespace dlog::obfs
