// dlog.toml from arbitrary bytes: LoadConfigText must return a value or an error, never
// crash, hang or read out of bounds; and a configuration it accepts must survive a write
// and a reload unchanged. The first byte also picks a few variables and flags to layer on
// top, so the text forms of the environment and --set are fuzzed with the same input.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "config/loader.h"
#include "config/writer.h"

namespace {

using dlog::config::Config;
using dlog::config::Environment;
using dlog::config::Override;

// Splits off a short value for the variables and flags (up to the first newline of the
// input's tail), leaving the rest as the file.
void Layers(uint8_t selector, std::string_view tail, Environment& env,
            std::vector<Override>& flags) {
  const std::string value(tail.substr(0, std::min<size_t>(tail.find('\n'), 64)));
  if (selector & 1) env.emplace_back("DLOG_NETWORK_WIREGUARD_DPI_EVASION_PADDING_RANGE", value);
  if (selector & 2) env.emplace_back("QUANTUM_RESISTANT", value);
  if (selector & 4) env.emplace_back("DLOG_REPLICATION_PEERS", value);
  if (selector & 8) env.emplace_back("DLOG_" + value, "1");
  if (selector & 16) flags.push_back(Override{"cluster.seeds", value, "--set"});
  if (selector & 32) flags.push_back(Override{"network.wireguard.rekey_interval", value, "--set"});
  if (selector & 64) flags.push_back(Override{value, "1", "--set"});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  Environment env;
  std::vector<Override> flags;
  if (data[0] & 0x80) Layers(data[0], text, env, flags);
  dlog::Result<Config> c = dlog::config::LoadConfigText(text, "fuzz.toml", env, flags);
  if (!c.ok()) {
    if (c.error().empty()) std::abort();
    return 0;
  }
  const std::string written = dlog::config::ToToml(*c);
  dlog::Result<Config> again = dlog::config::LoadConfigText(written, "written.toml");
  if (!again.ok() || !(*again == *c) || dlog::config::ToToml(*again) != written) std::abort();
  return 0;
}
