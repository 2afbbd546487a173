// dlog-server: a DLog cluster member with zero configuration (docs/SERVER.md).
//
//   dlog-server --bootstrap                      create a new cluster; prints a join token
//   dlog-server --join TOKEN [--seed HOST:PORT]  join one (seeds: where multicast does not reach)
//   dlog-server                                  restart a member (state in the data dir)
//
// Flags (each also a dlog.toml key, docs/CONFIG.md; flags override the environment, which
// overrides the file):
//   --bootstrap            cluster.bootstrap = true
//   --join TOKEN           cluster.join_token (prefer DLOG_CLUSTER_JOIN_TOKEN: argv is public)
//   --data-dir PATH        node.data_dir
//   --name NAME            node.name
//   --seed HOST:PORT       cluster.seeds (repeatable)
//   --stack tun|userspace|auto   network.stack
//   --interface NAME       the TUN interface (default dlog0)
//   -c/--config PATH, --set KEY=VALUE   as every DLog program
// LOG_LEVEL=debug|info (stderr; default: errors only).
//
// Exit: 0 after SIGINT/SIGTERM, 1 when start-up fails, 2 on a configuration error, 3 when
// this member was removed from the cluster.
#include <netdb.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "base/log.h"
#include "config/flags.h"
#include "config/loader.h"
#include "node/server.h"
#include "stack/choose.h"

namespace dlog {
namespace {

constexpr int kExitFailed = 1;
constexpr int kExitConfig = 2;
constexpr uint16_t kDefaultPort = 51820;

void PrintUsage() {
  fprintf(
      stderr,
      "usage: dlog-server [--bootstrap | --join TOKEN] [--seed HOST:PORT]... [--data-dir PATH]\n"
      "                   [--name NAME] [--stack tun|userspace|auto] [--interface NAME]\n"
      "                   [-c FILE] [--set KEY=VALUE]...\n");
}

std::string TomlString(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o + "\"";
}

// "host:port" or "[v6]:port" (port optional) → endpoints, resolving host names.
// Every address of a seed "host[:port]" (a Kubernetes headless Service name gives one
// per pod), at most kMaxSeedAddresses.
constexpr size_t kMaxSeedAddresses = 64;
Result<std::vector<wg::Endpoint>> ResolveSeed(const std::string& text, uint16_t default_port) {
  if (auto e = wg::Endpoint::Parse(text)) return std::vector<wg::Endpoint>{*e};
  std::string host = text, port = std::to_string(default_port);
  if (size_t colon = text.rfind(':'); colon != std::string::npos &&
                                      text.find(']') == std::string::npos &&
                                      text.find(':') == colon) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  } else if (text.size() > 2 && text.front() == '[') {
    size_t close = text.find(']');
    host = text.substr(1, close - 1);
    if (close + 1 < text.size() && text[close + 1] == ':') port = text.substr(close + 2);
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0)
    return Status::Error("seed " + text + ": " + gai_strerror(rc));
  std::vector<wg::Endpoint> out;
  for (addrinfo* a = res; a && out.size() < kMaxSeedAddresses; a = a->ai_next) {
    sockaddr_storage ss{};
    std::memcpy(&ss, a->ai_addr, a->ai_addrlen);
    char buf[INET6_ADDRSTRLEN + 16];
    if (getnameinfo(a->ai_addr, a->ai_addrlen, buf, sizeof buf, nullptr, 0, NI_NUMERICHOST) != 0)
      continue;
    std::string num = a->ai_family == AF_INET6 ? "[" + std::string(buf) + "]:" + port
                                               : std::string(buf) + ":" + port;
    if (auto e = wg::Endpoint::Parse(num)) out.push_back(*e);
  }
  freeaddrinfo(res);
  if (out.empty()) return Status::Error("seed " + text + ": no address");
  return out;
}

struct Args {
  std::vector<config::Override> overrides;
  std::vector<std::string> seeds;
  std::string interface = "dlog0";
};

// Our own flags, out of what the configuration flags left.
Result<Args> ParseArgs(const std::vector<std::string>& rest) {
  Args a;
  for (size_t i = 0; i < rest.size(); ++i) {
    const std::string& f = rest[i];
    auto value = [&]() -> Result<std::string> {
      if (i + 1 >= rest.size()) return Status::Error(f + " needs a value");
      return rest[++i];
    };
    if (f == "--bootstrap") {
      a.overrides.push_back({"cluster.bootstrap", "true", f});
      continue;
    }
    static const std::pair<const char*, const char*> kKeys[] = {{"--join", "cluster.join_token"},
                                                                {"--data-dir", "node.data_dir"},
                                                                {"--name", "node.name"},
                                                                {"--stack", "network.stack"}};
    bool matched = false;
    for (const auto& [flag, key] : kKeys) {
      if (f != flag) continue;
      auto v = value();
      if (!v.ok()) return v.status();
      a.overrides.push_back({key, TomlString(*v), f});
      matched = true;
    }
    if (matched) continue;
    if (f == "--seed" || f == "--interface") {
      auto v = value();
      if (!v.ok()) return v.status();
      if (f == "--seed") {
        a.seeds.push_back(*v);
      } else {
        a.interface = *v;
      }
      continue;
    }
    return Status::Error("unknown argument " + f);
  }
  if (!a.seeds.empty()) {
    std::string list = "[";
    for (size_t i = 0; i < a.seeds.size(); ++i) list += (i ? "," : "") + TomlString(a.seeds[i]);
    a.overrides.push_back({"cluster.seeds", list + "]", "--seed"});
  }
  return a;
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  for (const std::string& a : args) {
    if (a == "-h" || a == "--help") {
      PrintUsage();
      return 0;
    }
  }
  auto flags = config::ExtractConfigFlags(args);
  if (!flags.ok()) {
    fprintf(stderr, "dlog-server: %s\n", flags.error().c_str());
    return kExitConfig;
  }
  auto ours = ParseArgs(flags->rest);
  if (!ours.ok()) {
    fprintf(stderr, "dlog-server: %s\n", ours.error().c_str());
    PrintUsage();
    return kExitConfig;
  }
  config::Environment env = config::ProcessEnvironment();
  std::vector<config::Override> overrides = flags->overrides;
  overrides.insert(overrides.end(), ours->overrides.begin(), ours->overrides.end());
  auto path = config::ResolveConfigPath(flags->config_path, env,
                                        access(config::kDefaultConfigFile, F_OK) == 0);
  auto cfg = config::LoadConfig(path, env, overrides);
  if (!cfg.ok()) {
    fprintf(stderr, "%s\n", cfg.error().c_str());
    return kExitConfig;
  }
  if (cfg->network.protocol != config::Protocol::kWireguard || !cfg->network.wireguard.enabled) {
    fprintf(stderr, "dlog-server: only network.protocol = \"wireguard\" is implemented\n");
    return kExitConfig;
  }
  // Settings this version does not carry out yet stop start-up rather than being ignored.
  if (!cfg->cluster.overlay_cidr6.empty()) {
    fprintf(stderr,
            "dlog-server: cluster.overlay_cidr6 is not applied yet (IPv4 overlay only); "
            "refusing to start\n");
    return kExitConfig;
  }
  if (!cfg->replication.peers.empty()) {
    fprintf(stderr,
            "dlog-server: [[replication.peers]] (replication between regions) is not "
            "implemented yet; refusing to start\n");
    return kExitConfig;
  }
  if (cfg->network.wireguard.dpi_resistance) {
    // Refused rather than ignored: an operator who asked for disguised traffic must not
    // get stock WireGuard on the wire without knowing it.
    fprintf(stderr,
            "dlog-server: network.wireguard.dpi_resistance = true is not applied by dlog-server "
            "yet (the disguise runs in dlog-wg and dlog-pq: docs/DPI.md); refusing to start\n");
    return kExitConfig;
  }
  const char* level = getenv("LOG_LEVEL");
  SetLogLevel(level && strcmp(level, "debug") == 0  ? LogLevel::kDebug
              : level && strcmp(level, "info") == 0 ? LogLevel::kInfo
                                                    : LogLevel::kError);

  node::ServerOptions so;
  so.config = *cfg;
  so.interface = ours->interface;
  for (const std::string& s : cfg->cluster.seeds) {
    auto eps = ResolveSeed(s, kDefaultPort);
    if (!eps.ok()) {
      fprintf(stderr, "dlog-server: %s\n", eps.error().c_str());
      return kExitConfig;
    }
    so.seeds.insert(so.seeds.end(), eps->begin(), eps->end());
  }
  // cluster.dns_name: its addresses are seeds on our WireGuard port. A name that does not
  // resolve yet (the first pod of a headless Service) is no error: discovery is a hint.
  const bool use_dns = cfg->cluster.discovery == config::Discovery::kDns ||
                       cfg->cluster.discovery == config::Discovery::kAuto;
  if (use_dns && !cfg->cluster.dns_name.empty()) {
    auto eps = ResolveSeed(cfg->cluster.dns_name, cfg->network.wireguard.listen_port);
    if (eps.ok()) {
      so.seeds.insert(so.seeds.end(), eps->begin(), eps->end());
    } else {
      fprintf(stderr, "dlog-server: cluster.dns_name: %s (continuing without it)\n",
              eps.error().c_str());
    }
  }
  stack::StackMode mode = cfg->network.stack == config::Stack::kTun ? stack::StackMode::kTun
                          : cfg->network.stack == config::Stack::kUserspace
                              ? stack::StackMode::kUserspace
                              : stack::StackMode::kAuto;
  auto kind = stack::ChooseStack(mode, stack::CanUseTun());
  if (!kind.ok()) {
    fprintf(stderr, "dlog-server: %s\n", kind.error().c_str());
    return kExitConfig;
  }
  so.stack = *kind;

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);  // every thread started below inherits it
  signal(SIGPIPE, SIG_IGN);
  int signal_fd = signalfd(-1, &mask, SFD_CLOEXEC);

  auto server = node::Server::Create(std::move(so));
  if (!server.ok()) {
    fprintf(stderr, "dlog-server: %s\n", server.error().c_str());
    return kExitFailed;
  }
  if (Status s = (*server)->Start(signal_fd); !s.ok()) {
    fprintf(stderr, "dlog-server: %s\n", s.message().c_str());
    return kExitFailed;
  }
  (*server)->Wait(signal_fd);
  return (*server)->removed() ? 3 : 0;
}

}  // namespace
}  // namespace dlog

int main(int argc, char** argv) { return dlog::Main(argc, argv); }
