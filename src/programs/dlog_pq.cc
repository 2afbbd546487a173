// dlog-pq: the PQ PSK exchange as a standalone daemon for any WireGuard interface (stock
// wireguard-go, the kernel module through its UAPI-compatible tools, or dlog-wg), so an
// operator with stock WireGuard is quantum-resistant too (Rosenpass's deployment model).
//
//   dlog-pq genkey [--algorithm kyber1024|kyber768] SECRET_FILE PUBLIC_FILE
//   dlog-pq pubkey SECRET_FILE
//   dlog-pq run --config FILE [-v]
//   dlog-pq run --interface IF --listen ADDR:PORT --secret-key FILE
//               [--algorithm A] [--rekey-interval D] [--uapi-dir DIR] [-v]
//               --peer PQ_PUBLIC_KEY_FILE,WG_PUBLIC_KEY[,ENDPOINT] ...
//
// The daemon runs the exchange on its own UDP socket and writes each PSK into the
// WireGuard peer's slot through /var/run/wireguard/<IF>.sock ("set=1", update_only). It
// writes a random PSK for every peer at start (no classical-only session can form before
// the first exchange), re-writes the current PSK every 10 s (a restarted WireGuard gets
// it back), and writes random PSKs again when it stops.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/hex.h"
#include "base/log.h"
#include "base/rng.h"
#include "obfs/disguise.h"
#include "obfs/settings.h"
#include "pq/daemon_config.h"
#include "pq/exchange.h"
#include "pq/keys.h"
#include "pq/wg_uapi.h"

namespace {

using dlog::Status;
using namespace dlog::pq;

constexpr const char* kUsage =
    "Usage:\n"
    "  dlog-pq genkey [--algorithm kyber1024|kyber768] SECRET_FILE PUBLIC_FILE\n"
    "  dlog-pq pubkey SECRET_FILE\n"
    "  dlog-pq run --config FILE [-v]\n"
    "  dlog-pq run --interface IF --listen ADDR:PORT --secret-key FILE\n"
    "              [--algorithm A] [--rekey-interval D] [--uapi-dir DIR] [-v]\n"
    "              --peer PQ_PUBLIC_KEY_FILE,WG_PUBLIC_KEY[,ENDPOINT] ...\n"
    "\n"
    "Runs the post-quantum PSK exchange with each peer's dlog-pq and keeps the PSK of\n"
    "the matching WireGuard peer of interface IF fresh (one key per rekey interval,\n"
    "default 2m). Secret key files are created with mode 0600; public keys are one\n"
    "printable line to give to the peer.\n";

constexpr auto kReapplyInterval = std::chrono::seconds(10);

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

dlog::TimePoint Now() { return dlog::SystemClock().Now(); }

// --- sockets --------------------------------------------------------------------------

socklen_t ToSockaddr(const dlog::wg::Endpoint& e, bool v6_socket, sockaddr_storage& ss) {
  std::memset(&ss, 0, sizeof ss);
  if (v6_socket) {
    auto* s = reinterpret_cast<sockaddr_in6*>(&ss);
    s->sin6_family = AF_INET6;
    s->sin6_port = htons(e.port);
    if (e.v6) {
      std::memcpy(&s->sin6_addr, e.addr.data(), 16);
      s->sin6_scope_id = e.scope_id;
    } else {  // IPv4-mapped
      s->sin6_addr.s6_addr[10] = s->sin6_addr.s6_addr[11] = 0xff;
      std::memcpy(&s->sin6_addr.s6_addr[12], e.addr.data(), 4);
    }
    return sizeof(sockaddr_in6);
  }
  auto* s = reinterpret_cast<sockaddr_in*>(&ss);
  s->sin_family = AF_INET;
  s->sin_port = htons(e.port);
  std::memcpy(&s->sin_addr, e.addr.data(), 4);
  return sizeof(sockaddr_in);
}

dlog::wg::Endpoint FromSockaddr(const sockaddr_storage& ss) {
  dlog::wg::Endpoint e;
  if (ss.ss_family == AF_INET) {
    auto* s = reinterpret_cast<const sockaddr_in*>(&ss);
    std::memcpy(e.addr.data(), &s->sin_addr, 4);
    e.port = ntohs(s->sin_port);
    return e;
  }
  auto* s = reinterpret_cast<const sockaddr_in6*>(&ss);
  e.port = ntohs(s->sin6_port);
  if (IN6_IS_ADDR_V4MAPPED(&s->sin6_addr)) {
    std::memcpy(e.addr.data(), &s->sin6_addr.s6_addr[12], 4);
    return e;
  }
  e.v6 = true;
  std::memcpy(e.addr.data(), &s->sin6_addr, 16);
  e.scope_id = s->sin6_scope_id;
  return e;
}

int BindUdp(const dlog::wg::Endpoint& listen) {
  int fd = socket(listen.v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (listen.v6) {
    int off = 0;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  }
  sockaddr_storage ss;
  socklen_t len = ToSockaddr(listen, listen.v6, ss);
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// One UAPI set request over the interface's control socket.
Status UapiSet(const std::string& socket_path, std::string request) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Error(std::string("socket: ") + std::strerror(errno));
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket_path.c_str());
  Status result = Status::Ok();
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    result = Status::Error("cannot connect to " + socket_path + ": " + std::strerror(errno));
  } else if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) != ssize_t(request.size())) {
    result = Status::Error("cannot write to " + socket_path);
  } else {
    std::string resp;
    char buf[256];
    while (!UapiResponseComplete(resp) && resp.size() < 4096) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      resp.append(buf, size_t(n));
    }
    result = ParseUapiSetResponse(resp);
  }
  dlog::SecureZero(request.data(), request.size());
  close(fd);
  return result;
}

// --- the daemon -----------------------------------------------------------------------

struct SlotState {
  Key psk;
  PskSource source = PskSource::kRandomInitial;
  bool applied = false;
};

class Daemon {
 public:
  Daemon(DaemonConfig config, std::unique_ptr<Exchange> ex, int fd)
      : c_(std::move(config)), ex_(std::move(ex)), fd_(fd) {}

  Status AddPeers(dlog::TimePoint now);
  // DPI disguise of every datagram (docs/DPI.md): DLOG_PQ_OBFS_SECRET_FILE, _CONFIG, _OPTIONS.
  Status EnableDisguise();
  int Run();

 private:
  void Process(Output& out);
  void Apply(const PskUpdate& u);
  void ApplySlot(const WgPublicKey& wg, SlotState& s);
  void ReceiveAll(dlog::TimePoint now, Output& out);
  void SendTo(const dlog::wg::Endpoint& to, dlog::ByteSpan bytes);
  void EraseAll();
  std::string SocketPath() const { return c_.uapi_dir + "/" + c_.interface + ".sock"; }

  DaemonConfig c_;
  std::unique_ptr<Exchange> ex_;
  int fd_;
  std::map<WgPublicKey, SlotState> slots_;
  dlog::TimePoint next_reapply_{};
  dlog::SystemRng obfs_rng_;
  std::unique_ptr<dlog::obfs::Disguise> obfs_;  // null: the exchange's own bytes on the wire
  dlog::obfs::Output obfs_out_;
};

Status Daemon::EnableDisguise() {
  auto settings = dlog::obfs::SettingsFromEnvironment("DLOG_PQ_OBFS_");
  if (!settings.ok()) return settings.status();
  if (!*settings) return Status::Ok();
  dlog::obfs::Options o = (*settings)->options;
  if (o.traffic_shaping || o.port_hopping)
    DLOG_INFO("dlog-pq: traffic_shaping and port_hopping apply to dlog-wg's port only");
  o.traffic_shaping = o.port_hopping = false;
  o.decoy_max_delay = dlog::Duration::zero();  // no timer here: decoys leave at once
  obfs_ = std::make_unique<dlog::obfs::Disguise>((*settings)->secret, o, obfs_rng_);
  DLOG_INFO("dlog-pq: DPI disguise on");
  return Status::Ok();
}

dlog::Result<PublicKey> LoadPeerKey(const std::string& spec) {
  if (spec.rfind(kPublicKeyTag, 0) == 0) return ParsePublicKey(spec);
  return ReadPublicKeyFile(spec);
}

Status Daemon::AddPeers(dlog::TimePoint now) {
  Output out;
  for (const DaemonPeer& p : c_.peers) {
    dlog::Result<PublicKey> key = LoadPeerKey(p.public_key);
    if (!key.ok()) return key.status();
    if (key->algorithm != c_.algorithm)
      return Status::Error(p.public_key + ": an " + AlgorithmStandardName(key->algorithm) +
                           " key, but algorithm is " + AlgorithmName(c_.algorithm));
    PeerConfig pc;
    pc.public_key = key->bytes;
    pc.wg_public_key = p.wireguard_public_key;
    pc.endpoint = p.endpoint;
    dlog::Result<PeerId> id = ex_->AddPeer(pc, now, out);
    if (!id.ok()) return Status::Error(p.public_key + ": " + id.error());
  }
  Process(out);
  return Status::Ok();
}

void Daemon::ApplySlot(const WgPublicKey& wg, SlotState& s) {
  Status st = UapiSet(SocketPath(), FormatSetPsk(wg, s.psk));
  if (!st.ok() && s.applied)
    DLOG_ERROR("setting PSK of %s: %s", dlog::ToBase64(wg).c_str(), st.message().c_str());
  s.applied = st.ok();
}

void Daemon::Apply(const PskUpdate& u) {
  SlotState& s = slots_[u.wg_public_key];
  s.psk = u.psk;
  s.source = u.source;
  s.applied = true;  // log the first failure
  ApplySlot(u.wg_public_key, s);
  const std::string who = dlog::ToBase64(u.wg_public_key);
  switch (u.source) {
    case PskSource::kExchange:
      DLOG_INFO("peer %s: new post-quantum PSK (epoch %llu)", who.c_str(),
                (unsigned long long)u.epoch);
      break;
    case PskSource::kRandomInitial:
      DLOG_INFO("peer %s: random PSK until the first exchange", who.c_str());
      break;
    case PskSource::kRandomStale:
      DLOG_INFO("peer %s: no exchange for %d epochs; PSK replaced by a random key", who.c_str(),
                ex_->options().stale_epochs);
      break;
  }
}

void Daemon::SendTo(const dlog::wg::Endpoint& to, dlog::ByteSpan bytes) {
  sockaddr_storage ss;
  socklen_t len = ToSockaddr(to, c_.listen.v6, ss);
  sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&ss), len);
}

void Daemon::Process(Output& out) {
  for (const Output::Datagram& d : out.datagrams) {
    if (!obfs_) {
      SendTo(d.to, d.bytes);
      continue;
    }
    obfs_->Wrap(d.to, d.bytes, Now(), dlog::SystemClock().WallNow(), obfs_out_);
    for (size_t i = 0; i < obfs_out_.size(); ++i) SendTo(obfs_out_.to(i), obfs_out_.data(i));
    obfs_out_.Clear();
  }
  for (const PskUpdate& u : out.psk_updates) Apply(u);
  out.Clear();
}

void Daemon::ReceiveAll(dlog::TimePoint now, Output& out) {
  uint8_t buf[2048];
  for (int i = 0; i < 256; ++i) {  // bounded batch, then timers get their turn
    sockaddr_storage ss;
    socklen_t len = sizeof ss;
    ssize_t n =
        recvfrom(fd_, buf, sizeof buf, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&ss), &len);
    if (n < 0) return;
    dlog::ByteSpan bytes{buf, size_t(n)};
    if (obfs_) {
      const dlog::WallTime wall = dlog::SystemClock().WallNow();
      auto u = obfs_->Unwrap(FromSockaddr(ss), {buf, size_t(n)}, now, wall);
      if (!u.deliver) continue;
      bytes = u.inner;
    }
    ex_->HandleDatagram(FromSockaddr(ss), bytes, now, out);
    Process(out);
  }
}

void Daemon::EraseAll() {
  dlog::SystemRng rng;
  for (auto& [wg, s] : slots_) {
    rng.Fill(s.psk.span());
    ApplySlot(wg, s);
  }
}

int Daemon::Run() {
  Output out;
  while (!g_stop) {
    dlog::TimePoint now = Now();
    if (now >= next_reapply_) {
      for (auto& [wg, s] : slots_) ApplySlot(wg, s);
      next_reapply_ = now + kReapplyInterval;
    }
    const dlog::TimePoint deadline = std::min(ex_->NextDeadline(), next_reapply_);
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
    pollfd pfd{fd_, POLLIN, 0};
    int r = poll(&pfd, 1, int(std::clamp<int64_t>(wait, 0, 1000)));
    now = Now();
    if (r > 0) ReceiveAll(now, out);
    if (now >= ex_->NextDeadline()) {
      ex_->Tick(now, out);
      Process(out);
    }
  }
  DLOG_INFO("stopping: random PSKs written");
  EraseAll();
  return 0;
}

// --- commands -------------------------------------------------------------------------

int GenKey(int argc, char** argv) {
  Algorithm a = kDefaultAlgorithm;
  std::vector<std::string> files;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--algorithm" && i + 1 < argc) {
      auto parsed = AlgorithmFromName(argv[++i]);
      if (!parsed) {
        std::fprintf(stderr, "dlog-pq genkey: --algorithm: expected kyber1024 or kyber768\n");
        return 1;
      }
      a = *parsed;
    } else {
      files.push_back(arg);
    }
  }
  if (files.size() != 2) {
    std::fputs(kUsage, stderr);
    return 1;
  }
  dlog::SystemRng rng;
  KeyPair kp = GenerateKeyPair(a, rng);
  Status s = WriteSecretKeyFile(files[0], kp);
  if (s.ok()) s = WritePublicKeyFile(files[1], {a, kp.public_key});
  if (!s.ok()) {
    std::fprintf(stderr, "dlog-pq genkey: %s\n", s.message().c_str());
    return 1;
  }
  return 0;
}

int PubKey(int argc, char** argv) {
  if (argc != 3) {
    std::fputs(kUsage, stderr);
    return 1;
  }
  dlog::Result<KeyPair> kp = ReadSecretKeyFile(argv[2]);
  if (!kp.ok()) {
    std::fprintf(stderr, "dlog-pq pubkey: %s\n", kp.error().c_str());
    return 1;
  }
  std::printf("%s\n", FormatPublicKey({kp->algorithm, kp->public_key}).c_str());
  return 0;
}

// "--peer FILE,WGKEY[,ENDPOINT]"
Status AddPeerFlag(DaemonConfig& c, const std::string& v) {
  std::vector<std::string> parts;
  std::stringstream in(v);
  for (std::string p; std::getline(in, p, ',');) parts.push_back(p);
  if (parts.size() < 2 || parts.size() > 3)
    return Status::Error("--peer: expected PQ_PUBLIC_KEY_FILE,WG_PUBLIC_KEY[,ENDPOINT]");
  DaemonPeer p;
  const char* keys[] = {"public_key", "wireguard_public_key", "endpoint"};
  for (size_t i = 0; i < parts.size(); ++i)
    if (Status s = SetPeerKey(p, keys[i], parts[i], "--peer"); !s.ok()) return s;
  c.peers.push_back(p);
  return Status::Ok();
}

dlog::Result<DaemonConfig> ConfigFromArgs(int argc, char** argv) {
  DaemonConfig c;
  static const std::map<std::string, std::string> kFlags = {
      {"--interface", "interface"},           {"--listen", "listen"},
      {"--secret-key", "secret_key"},         {"--algorithm", "algorithm"},
      {"--rekey-interval", "rekey_interval"}, {"--uapi-dir", "uapi_dir"}};
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-v" || arg == "--verbose") {
      dlog::SetLogLevel(dlog::LogLevel::kDebug);
      continue;
    }
    if (i + 1 >= argc) return Status::Error(arg + ": missing value (see dlog-pq --help)");
    const std::string value = argv[++i];
    Status s = Status::Ok();
    if (arg == "--config") {
      std::ifstream f(value);
      if (!f) return Status::Error("cannot read " + value);
      std::stringstream text;
      text << f.rdbuf();
      auto parsed = ParseDaemonConfig(text.str(), value);
      if (!parsed.ok()) return parsed.status();
      c = *parsed;
    } else if (arg == "--peer") {
      s = AddPeerFlag(c, value);
    } else if (auto it = kFlags.find(arg); it != kFlags.end()) {
      s = SetDaemonKey(c, it->second, value, arg);
    } else {
      return Status::Error("unknown option " + arg + " (see dlog-pq --help)");
    }
    if (!s.ok()) return s;
  }
  if (Status s = ValidateDaemonConfig(c); !s.ok()) return s;
  return c;
}

int RunDaemon(int argc, char** argv) {
  dlog::Result<DaemonConfig> c = ConfigFromArgs(argc, argv);
  if (!c.ok()) {
    std::fprintf(stderr, "dlog-pq: %s\n", c.error().c_str());
    return 1;
  }
  dlog::Result<KeyPair> kp = ReadSecretKeyFile(c->secret_key);
  if (!kp.ok() || kp->algorithm != c->algorithm) {
    std::fprintf(stderr, "dlog-pq: %s\n",
                 kp.ok() ? (c->secret_key + ": an " + AlgorithmStandardName(kp->algorithm) +
                            " key, but algorithm is " + AlgorithmName(c->algorithm))
                               .c_str()
                         : kp.error().c_str());
    return 1;
  }
  int fd = BindUdp(c->listen);
  if (fd < 0) {
    std::fprintf(stderr, "dlog-pq: cannot bind %s: %s\n", c->listen.ToString().c_str(),
                 std::strerror(errno));
    return 1;
  }
  static dlog::SystemRng rng;
  ExchangeOptions opt;
  opt.algorithm = c->algorithm;
  opt.rekey_interval = c->rekey_interval;
  auto ex = Exchange::Create(kp->public_key, std::move(kp->secret_key), rng, opt, Now());
  if (!ex.ok()) {
    std::fprintf(stderr, "dlog-pq: %s\n", ex.error().c_str());
    return 1;
  }
  Daemon d(*c, std::move(*ex), fd);
  if (Status s = d.EnableDisguise(); !s.ok()) {
    std::fprintf(stderr, "dlog-pq: %s\n", s.message().c_str());
    return 1;
  }
  if (Status s = d.AddPeers(Now()); !s.ok()) {
    std::fprintf(stderr, "dlog-pq: %s\n", s.message().c_str());
    return 1;
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  DLOG_INFO(
      "dlog-pq: %s on %s, interface %s, %zu peer(s), rekey every %lld ms",
      AlgorithmName(c->algorithm), c->listen.ToString().c_str(), c->interface.c_str(),
      c->peers.size(),
      (long long)std::chrono::duration_cast<std::chrono::milliseconds>(c->rekey_interval).count());
  int rc = d.Run();
  close(fd);
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "genkey") return GenKey(argc, argv);
  if (cmd == "pubkey") return PubKey(argc, argv);
  if (cmd == "run") return RunDaemon(argc, argv);
  if (cmd.empty() || cmd == "-h" || cmd == "--help" || cmd == "help") {
    std::fputs(kUsage, cmd.empty() ? stderr : stdout);
    return cmd.empty() ? 1 : 0;
  }
  std::fprintf(stderr, "dlog-pq: unknown command '%s'\n\n%s", cmd.c_str(), kUsage);
  return 1;
}
