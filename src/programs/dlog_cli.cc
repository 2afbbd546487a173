// dlog: the command-line client for operators and developers.
//
//   dlog status                         members, overlay addresses, endpoints, handshakes,
//                                       bytes, PQ state
//   dlog admin members | tokens
//   dlog admin token [--role R] [--ttl S] [--uses N]   a join token
//   dlog admin revoke <token-id>
//   dlog admin remove <member name or key>
//   dlog admin rotate                   rotate this node's WireGuard key
//   dlog admin invite [--role admin|client] [--name N] [--qr] [-o FILE]
//                                       a wg-quick configuration for a stock WireGuard client
//
// It talks to a node's admin API (docs/ADMIN.md): the local socket
// <data-dir>/admin.sock (default ./dlog-data, or DLOG_DATA_DIR), or with --node
// ADDRESS[:8080] (or DLOG_NODE) a node's overlay address through the mesh, as an
// admin member whose stock WireGuard client is up.
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "admin/http.h"
#include "admin/qr_text.h"
#include "stack/kernel_stack.h"

namespace dlog {
namespace {

constexpr uint16_t kAdminPort = 8080;
constexpr stack::Timeout kTimeout{10000};

struct Target {
  std::string data_dir = "./dlog-data";
  std::string node;  // ADDRESS[:PORT]; empty: the local socket
  bool json = false;
};

Result<std::unique_ptr<stack::Stream>> Connect(const Target& t) {
  if (t.node.empty()) {
    std::string path = t.data_dir + "/admin.sock";
    auto s = stack::ConnectUnix(path, kTimeout);
    if (!s.ok()) {
      return Status::Error(s.status().message() +
                           "\n(is dlog-server running with this data directory? pass --data-dir, "
                           "or --node ADDRESS for a node through the mesh)");
    }
    return s;
  }
  auto addr = stack::SocketAddress::Parse(t.node);
  if (!addr) {
    auto ip = stack::IpAddress::Parse(t.node);
    if (!ip) return Status::Error("--node: \"" + t.node + "\" is not an IP address[:port]");
    addr = stack::SocketAddress{*ip, kAdminPort};
  }
  stack::KernelStack kernel(stack::IpAddress{.v6 = addr->ip.v6, .bytes = {}});
  return kernel.Connect(*addr, kTimeout);
}

// One request; the body of a 2xx answer, or an error with the server's message.
Result<std::string> Call(const Target& t, const std::string& method, const std::string& path) {
  auto s = Connect(t);
  if (!s.ok()) return s.status();
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: dlog\r\nContent-Length: 0\r\n\r\n";
  if (auto w =
          (*s)->Write(ByteSpan(reinterpret_cast<const uint8_t*>(req.data()), req.size()), kTimeout);
      !w) {
    return w;
  }
  std::string raw;
  uint8_t buf[8192];
  for (;;) {
    auto n = (*s)->Read(MutableByteSpan(buf, sizeof buf), kTimeout);
    if (!n.ok()) return Status::Error("reading the answer: " + n.status().message());
    if (*n == 0) break;
    if (raw.size() > (8u << 20)) return Status::Error("answer larger than 8 MiB");
    raw.append(reinterpret_cast<char*>(buf), *n);
  }
  auto r = admin::ParseResponse(raw);
  if (!r) return Status::Error("the node's answer is not HTTP");
  if (r->status / 100 == 2) return r->body;
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  std::string msg = j.is_object() && j.contains("error") ? j["error"].get<std::string>() : r->body;
  return Status::Error(std::to_string(r->status) + " " + admin::ReasonPhrase(r->status) + ": " +
                       msg);
}

std::string Ago(int64_t unix_seconds) {
  if (unix_seconds <= 0) return "never";
  int64_t d = int64_t(time(nullptr)) - unix_seconds;
  if (d < 0) d = 0;
  if (d < 120) return std::to_string(d) + " s ago";
  if (d < 7200) return std::to_string(d / 60) + " min ago";
  return std::to_string(d / 3600) + " h ago";
}

std::string Bytes(uint64_t n) {
  const char* unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = double(n);
  int u = 0;
  while (v >= 1024 && u < 4) v /= 1024, ++u;
  char out[32];
  snprintf(out, sizeof out, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
  return out;
}

std::string Str(const nlohmann::json& j, const char* key, const char* fallback = "-") {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

int64_t Int(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_number() ? j[key].get<int64_t>() : 0;
}

// The PQ column: "off" (no PQ exchange with this member), "pending" (its PSK slot holds a
// random key: no data flows yet) or "active, epoch N".
std::string PqState(const nlohmann::json& m) {
  std::string pq = Str(m, "pq");
  if (pq == "active" && m.contains("pq_epoch")) pq += ", epoch " + Str(m, "pq_epoch");
  return pq;
}

// docs/SERVER.md has the fields of the node's status answer (src/node/status.h).
void PrintStatus(const nlohmann::json& j) {
  printf("Node %s, overlay %s, cluster %s, stack %s, port %s\n", Str(j, "node").c_str(),
         Str(j, "overlay").c_str(), Str(j, "cluster").c_str(), Str(j, "stack").c_str(),
         Str(j, "listen_port").c_str());
  printf("%-16s %-6s %-12s %-24s %-14s %-10s %-10s %s\n", "MEMBER", "ROLE", "OVERLAY", "ENDPOINT",
         "HANDSHAKE", "RX", "TX", "PQ");
  for (const auto& m : j.value("members", nlohmann::json::array())) {
    bool self = m.value("self", false);
    std::string name = Str(m, "name") + (self ? " (this)" : "");
    printf("%-16s %-6s %-12s %-24s %-14s %-10s %-10s %s\n", name.c_str(), Str(m, "role").c_str(),
           Str(m, "overlay").c_str(), Str(m, "endpoint").c_str(),
           self ? "-" : Ago(Int(m, "last_handshake")).c_str(),
           Bytes(uint64_t(Int(m, "rx_bytes"))).c_str(), Bytes(uint64_t(Int(m, "tx_bytes"))).c_str(),
           self ? "-" : PqState(m).c_str());
  }
}

// Writes `text` to a new file of mode 0600 (it holds a private key).
Status WriteSecretFile(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return Status::Error(path + ": " + strerror(errno) +
                         " (an existing file is never overwritten)");
  bool ok = write(fd, text.data(), text.size()) == ssize_t(text.size()) && fsync(fd) == 0;
  close(fd);
  return ok ? Status::Ok() : Status::Error(path + ": write failed");
}

int Fail(const Status& s) {
  fprintf(stderr, "dlog: %s\n", s.message().c_str());
  return 1;
}

int Run(int argc, char** argv) {
  CLI::App app{"dlog: the DLog client (status and administration of a cluster)"};
  app.require_subcommand(1);
  Target t;
  if (const char* d = getenv("DLOG_DATA_DIR")) t.data_dir = d;
  if (const char* n = getenv("DLOG_NODE")) t.node = n;
  app.add_option("--data-dir", t.data_dir, "a local node's data directory (its admin.sock)")
      ->envname("DLOG_DATA_DIR");
  app.add_option("--node", t.node, "a node's overlay ADDRESS[:8080], reached through the mesh")
      ->envname("DLOG_NODE");
  app.add_flag("--json", t.json, "print the node's JSON answer as it is");

  std::function<int()> action;
  auto* status = app.add_subcommand(
      "status", "members, overlay addresses, endpoints, handshakes, bytes, PQ state");
  status->callback([&] {
    action = [&] {
      auto body = Call(t, "GET", "/v1/status");
      if (!body.ok()) return Fail(body.status());
      auto j = nlohmann::json::parse(*body, nullptr, false);
      if (t.json || j.is_discarded()) return printf("%s", body->c_str()), 0;
      PrintStatus(j);
      return 0;
    };
  });

  auto* adm =
      app.add_subcommand("admin", "cluster administration (admin members or the local operator)");
  adm->require_subcommand(1);
  adm->add_subcommand("members", "the roster")->callback([&] {
    action = [&] {
      auto body = Call(t, "GET", "/v1/members");
      return body.ok() ? (printf("%s", body->c_str()), 0) : Fail(body.status());
    };
  });
  adm->add_subcommand("tokens", "join tokens (without their secrets)")->callback([&] {
    action = [&] {
      auto body = Call(t, "GET", "/v1/tokens");
      return body.ok() ? (printf("%s", body->c_str()), 0) : Fail(body.status());
    };
  });
  std::string role = "node";
  int64_t ttl = 86400;
  uint32_t uses = 1;
  auto* tok = adm->add_subcommand("token", "create a join token");
  tok->add_option("--role", role, "node, client or admin")
      ->check(CLI::IsMember({"node", "client", "admin"}));
  tok->add_option("--ttl", ttl, "seconds until it expires")->check(CLI::PositiveNumber);
  tok->add_option("--uses", uses, "how many members may join with it")
      ->check(CLI::Range(1, 1000000));
  tok->callback([&] {
    action = [&] {
      auto body = Call(t, "POST",
                       "/v1/tokens?role=" + role + "&ttl=" + std::to_string(ttl) +
                           "&uses=" + std::to_string(uses));
      if (!body.ok()) return Fail(body.status());
      auto j = nlohmann::json::parse(*body, nullptr, false);
      if (t.json || j.is_discarded() || !j.contains("token")) return printf("%s", body->c_str()), 0;
      printf("%s\n", j["token"].get<std::string>().c_str());
      return 0;
    };
  });
  std::string id;
  auto* rev = adm->add_subcommand("revoke", "revoke a join token");
  rev->add_option("token-id", id, "the token's id (dlog admin tokens)")->required();
  rev->callback([&] {
    action = [&] {
      auto body = Call(t, "DELETE", "/v1/tokens/" + admin::PercentEncode(id));
      return body.ok() ? (printf("revoked %s\n", id.c_str()), 0) : Fail(body.status());
    };
  });
  std::string who;
  auto* rm = adm->add_subcommand("remove", "remove a member: its tunnels go down everywhere");
  rm->add_option("member", who, "the member's name or WireGuard public key")->required();
  rm->callback([&] {
    action = [&] {
      auto body = Call(t, "DELETE", "/v1/members/" + admin::PercentEncode(who));
      return body.ok() ? (printf("removed %s\n", who.c_str()), 0) : Fail(body.status());
    };
  });
  adm->add_subcommand("rotate", "rotate this node's WireGuard key without an outage")
      ->callback([&] {
        action = [&] {
          auto body = Call(t, "POST", "/v1/rotate");
          if (!body.ok()) return Fail(body.status());
          auto j = nlohmann::json::parse(*body, nullptr, false);
          if (t.json || j.is_discarded() || !j.contains("public_key"))
            return printf("%s", body->c_str()), 0;
          printf("rotating to %s\n", j["public_key"].get<std::string>().c_str());
          return 0;
        };
      });
  std::string inv_role = "admin", name, out_file;
  bool qr = false;
  auto* inv = adm->add_subcommand(
      "invite", "a wg-quick configuration that puts a stock WireGuard client into the mesh");
  inv->add_option("--role", inv_role, "admin or client")->check(CLI::IsMember({"admin", "client"}));
  inv->add_option("--name", name, "the new member's name (default: generated)");
  inv->add_flag("--qr", qr, "also draw the configuration as a QR code (WireGuard mobile apps)");
  inv->add_option("-o,--output", out_file, "write the configuration to this new file (mode 0600)");
  inv->callback([&] {
    action = [&] {
      auto conf =
          Call(t, "POST", "/v1/invite?role=" + inv_role + "&name=" + admin::PercentEncode(name));
      if (!conf.ok()) return Fail(conf.status());
      if (!out_file.empty()) {
        if (auto s = WriteSecretFile(out_file, *conf); !s) return Fail(s);
        fprintf(stderr, "wrote %s (mode 0600): wg-quick up %s\n", out_file.c_str(),
                out_file.c_str());
      } else {
        printf("%s", conf->c_str());
      }
      if (qr) {
        auto code = admin::EncodeQr(*conf);
        if (!code.ok()) return Fail(code.status());
        printf("\n%s", admin::RenderQrText(*code).c_str());
      }
      return 0;
    };
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return action ? action() : 1;
}

}  // namespace
}  // namespace dlog

int main(int argc, char** argv) { return dlog::Run(argc, argv); }
