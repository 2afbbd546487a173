// dlog-wg: DLog's userspace WireGuard daemon, a drop-in for wireguard-go.
//
//   dlog-wg [-f|--foreground] INTERFACE-NAME
//   dlog-wg --version
//
// Creates TUN interface INTERFACE-NAME and /var/run/wireguard/INTERFACE-NAME.sock, then
// (unless in the foreground) re-executes itself in the background with the TUN and the
// listening socket inherited (WG_TUN_FD=3, WG_UAPI_FD=4, WG_PROCESS_FOREGROUND=1) and
// exits 0 once the background process runs. Configured by `wg`/`wg-quick` over the
// socket. Exits on SIGINT/SIGTERM/SIGHUP, when the interface is deleted, or when the socket
// file is removed (`wg-quick down`). See docs/DLOG-WG.md.
//
// The running daemon is a node::Runtime (node/runtime.h) over a node::TunPath: threads
// TUN reader (TUN → Device::HandleTunPacket → sendmmsg), UDP reader (recvmmsg →
// Device::HandleDatagram → TUN write + sends), timer (Device::Tick at NextDeadline, at
// least every 250 ms), UAPI server; the main thread waits for a signal or a shutdown
// request. The TUN is opened with IFF_VNET_HDR and TSO/USO offloads
// (net/tun_offload_io.h) unless DLOG_WG_DISABLE_TUN_OFFLOAD=1 or the kernel refuses.
// With DLOG_WG_PQ_CONFIG, the post-quantum PSK exchange runs on the WireGuard port
// (dlog_wg_pq.h, node/pq_path.h): its datagrams are told apart by their first byte, it
// ticks on the timer thread, and every UAPI set is followed by writing the PQ PSKs again.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "base/clock.h"
#include "base/log.h"
#include "base/rng.h"
#include "dlog_wg_obfs.h"  // DPI disguise, when DLOG_WG_OBFS_SECRET_FILE is set
#include "dlog_wg_pq.h"    // PQ PSK exchange, when DLOG_WG_PQ_CONFIG is set
#include "net/tun.h"
#include "net/tun_offload_io.h"
#include "net/uapi_server.h"
#include "node/runtime.h"
#include "node/tun_path.h"

extern char** environ;

namespace dlog {
namespace {

constexpr char kVersion[] = "0.1.0";
constexpr int kExitSetupFailed = 1;
constexpr auto kReadyTimeout = std::chrono::seconds(10);

void PrintUsage(const char* argv0) {
  printf("Usage: %s [-f/--foreground] INTERFACE-NAME\n", argv0);
}

void PrintVersion() {
  printf(
      "dlog-wg v%s\n\nUserspace WireGuard daemon of DLog for linux.\n"
      "Speaks the cross-platform UAPI of wireguard-go; configure it with wg(8).\n",
      kVersion);
}

bool EnvIs(const char* name, const char* value) {
  const char* v = getenv(name);
  return v && strcmp(v, value) == 0;
}

// LOG_LEVEL as wireguard-go reads it: verbose|debug, error (the default), silent.
void ApplyLogLevel() {
  const char* v = getenv("LOG_LEVEL");
  std::string level = v ? v : "";
  if (level == "verbose" || level == "debug") {
    SetLogLevel(LogLevel::kDebug);
  } else if (level == "silent") {
    SetLogLevel(LogLevel::kError);
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null >= 0) dup2(null, STDERR_FILENO), close(null);
  } else {
    SetLogLevel(level == "info" ? LogLevel::kInfo : LogLevel::kError);
  }
}

std::optional<int> EnvFd(const char* name) {
  const char* v = getenv(name);
  if (!v || !*v) return std::nullopt;
  char* end = nullptr;
  long fd = strtol(v, &end, 10);
  if (*end || fd < 0 || fd > 1 << 20) return -1;
  return int(fd);
}

// --- daemonising -------------------------------------------------------------------

// Moves `fd` to exactly `target` in a freshly forked child (clearing CLOEXEC).
void PlaceFd(int fd, int target) {
  if (fd == target) {
    fcntl(fd, F_SETFD, 0);
  } else {
    dup2(fd, target);
  }
}

// Re-executes this program in the background with the TUN as fd 3, the UAPI listener
// as fd 4 and a readiness pipe as fd 5; returns the exit code for the parent: 0 once
// the child reports that it runs.
int Daemonize(char** argv, int tun_fd, int uapi_fd) {
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) return kExitSetupFailed;
  bool keep_output = getenv("LOG_LEVEL") && !EnvIs("LOG_LEVEL", "silent");
  pid_t pid = fork();
  if (pid < 0) return kExitSetupFailed;
  if (pid == 0) {
    setsid();
    // Raise all three above 5 first so that the dup2s below cannot clobber each other;
    // the temporaries are close-on-exec, the dup2 targets are not.
    int t = fcntl(tun_fd, F_DUPFD_CLOEXEC, 10), u = fcntl(uapi_fd, F_DUPFD_CLOEXEC, 10),
        r = fcntl(ready[1], F_DUPFD_CLOEXEC, 10);
    PlaceFd(t, 3);
    PlaceFd(u, 4);
    PlaceFd(r, 5);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);  // dup2 targets stay open across exec
    dup2(null, STDIN_FILENO);
    if (!keep_output) dup2(null, STDOUT_FILENO), dup2(null, STDERR_FILENO);
    setenv("WG_TUN_FD", "3", 1);
    setenv("WG_UAPI_FD", "4", 1);
    setenv("WG_PROCESS_FOREGROUND", "1", 1);
    setenv("DLOG_WG_READY_FD", "5", 1);
    // Through the resolved path, not /proc/self/exe, so the process keeps its name
    // ("dlog-wg", not "exe") for ps, pidof and pgrep.
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len > 0) {
      self[len] = '\0';
      execve(self, argv, environ);
    }
    execve("/proc/self/exe", argv, environ);
    _exit(kExitSetupFailed);
  }
  close(ready[1]);
  pollfd p{ready[0], POLLIN, 0};
  char byte = 0;
  bool ok = poll(&p, 1, int(std::chrono::milliseconds(kReadyTimeout).count())) == 1 &&
            read(ready[0], &byte, 1) == 1 && byte == '1';
  close(ready[0]);
  if (!ok) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid || kill(pid, 0) != 0) {
      fprintf(stderr, "dlog-wg: the background process exited during start-up\n");
    } else {
      fprintf(stderr, "dlog-wg: the background process did not report readiness\n");
    }
    return kExitSetupFailed;
  }
  return 0;
}

// The DPI disguise and the PQ exchange, from the environment (both off by default).
Status ConfigurePaths(node::Runtime& daemon) {
  auto obfs = ObfsPath::FromEnvironment(daemon.rng(), daemon.clock());
  if (!obfs.ok()) return obfs.status();
  daemon.SetObfs(std::move(*obfs));
  auto pq = PqPathFromEnvironment(daemon.rng(), daemon.clock().Now());
  if (!pq.ok()) return pq.status();
  daemon.SetPq(std::move(*pq));
  return Status::Ok();
}

void ReportReady() {
  auto fd = EnvFd("DLOG_WG_READY_FD");
  unsetenv("DLOG_WG_READY_FD");
  if (!fd || *fd < 0) return;
  [[maybe_unused]] ssize_t w = write(*fd, "1", 1);
  close(*fd);
}

Result<std::unique_ptr<net::Tun>> OpenTun(const std::string& name) {
  if (auto fd = EnvFd("WG_TUN_FD")) {
    if (*fd < 0) return Status::Error("bad WG_TUN_FD");
    return net::Tun::FromFd(*fd);
  }
  if (!EnvIs("DLOG_WG_DISABLE_TUN_OFFLOAD", "1")) {
    std::string actual;
    if (auto fd = net::OpenVnetTun(name, actual); fd.ok()) {
      auto tun = net::Tun::FromFd(*fd);
      if (!tun.ok()) {
        close(*fd);
        return tun.status();
      }
      if (Status s = (*tun)->SetMtu(net::kTunDefaultMtu); !s.ok()) return s;
      return tun;
    } else {
      DLOG_INFO("tun: no virtio-net header (%s); without offloads", fd.error().c_str());
    }
  }
  return net::Tun::Create(name, net::TunOptions{});
}

Result<int> OpenUapi(const std::string& name) {
  if (auto fd = EnvFd("WG_UAPI_FD")) {
    if (*fd < 0) return Status::Error("bad WG_UAPI_FD");
    return *fd;
  }
  return net::UapiServer::Listen(net::UapiSocketPath(name));
}

int Main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "--version") == 0) {
    PrintVersion();
    return 0;
  }
  bool foreground = false;
  std::string name;
  if (argc == 3 && (strcmp(argv[1], "-f") == 0 || strcmp(argv[1], "--foreground") == 0)) {
    foreground = true;
    name = argv[2];
  } else if (argc == 2 && argv[1][0] != '-') {
    name = argv[1];
  } else {
    PrintUsage(argv[0]);
    return kExitSetupFailed;
  }
  foreground = foreground || EnvIs("WG_PROCESS_FOREGROUND", "1");
  ApplyLogLevel();

  auto tun = OpenTun(name);
  if (!tun.ok()) {
    DLOG_ERROR("Failed to create TUN device: %s", tun.error().c_str());
    return kExitSetupFailed;
  }
  name = (*tun)->name();
  auto uapi_fd = OpenUapi(name);
  if (!uapi_fd.ok()) {
    DLOG_ERROR("UAPI listen error: %s", uapi_fd.error().c_str());
    return kExitSetupFailed;
  }
  if (!foreground) return Daemonize(argv, (*tun)->fd(), *uapi_fd);
  unsetenv("WG_TUN_FD");
  unsetenv("WG_UAPI_FD");

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);  // every thread started below inherits it
  signal(SIGPIPE, SIG_IGN);
  int signal_fd = signalfd(-1, &mask, SFD_CLOEXEC);

  std::string path = net::UapiSocketPath(name);
  node::RuntimeOptions options;
  options.uapi_fd = *uapi_fd;
  options.uapi_path = path;
  node::Runtime daemon(std::make_unique<node::TunPath>(std::move(*tun)), options);
  Status s = ConfigurePaths(daemon);
  if (s.ok()) s = daemon.Start();
  if (!s.ok()) {
    DLOG_ERROR("Failed to start: %s", s.message().c_str());
    unlink(path.c_str());  // created for us by Listen (here or in our parent)
    return kExitSetupFailed;
  }
  DLOG_INFO("(%s) device started, UAPI listener started", name.c_str());
  ReportReady();
  daemon.Wait(signal_fd);
  DLOG_INFO("(%s) shut down", name.c_str());
  return 0;
}

}  // namespace
}  // namespace dlog

int main(int argc, char** argv) { return dlog::Main(argc, argv); }
