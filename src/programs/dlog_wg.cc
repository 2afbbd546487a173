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
// Threads: TUN reader (TUN → Device::HandleTunPacket → sendmmsg), UDP reader
// (recvmmsg → Device::HandleDatagram → TUN write + sends), timer (Device::Tick at
// NextDeadline, at least every 250 ms), UAPI server; the main thread waits for a signal
// or a shutdown request. The TUN is opened with IFF_VNET_HDR and TSO/USO offloads
// (net/tun_offload_io.h) unless DLOG_WG_DISABLE_TUN_OFFLOAD=1 or the kernel refuses.
// With DLOG_WG_PQ_CONFIG, the post-quantum PSK exchange runs on the WireGuard port
// (dlog_wg_pq.h): its datagrams are told apart by their first byte, it ticks on the timer
// thread, and every UAPI set is followed by writing the PQ PSKs again.
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/log.h"
#include "base/rng.h"
#include "dlog_wg_obfs.h"  // DPI disguise, when DLOG_WG_OBFS_SECRET_FILE is set
#include "dlog_wg_pq.h"    // PQ PSK exchange, when DLOG_WG_PQ_CONFIG is set
#include "net/tun.h"
#include "net/tun_offload_io.h"
#include "net/uapi_device.h"
#include "net/uapi_server.h"
#include "net/udp.h"
#include "wg/device.h"

extern char** environ;

namespace dlog {
namespace {

constexpr char kVersion[] = "0.1.0";
constexpr int kExitSetupFailed = 1;
constexpr auto kMaxTimerSleep = std::chrono::milliseconds(250);
constexpr auto kMtuPollInterval = std::chrono::seconds(1);
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

void ReportReady() {
  auto fd = EnvFd("DLOG_WG_READY_FD");
  unsetenv("DLOG_WG_READY_FD");
  if (!fd || *fd < 0) return;
  [[maybe_unused]] ssize_t w = write(*fd, "1", 1);
  close(*fd);
}

// --- the running daemon ------------------------------------------------------------

class Daemon {
 public:
  Daemon(std::unique_ptr<net::Tun> tun, int uapi_fd, std::string uapi_path)
      : tun_(std::move(tun)),
        device_(rng_, DeviceOptionsFor(*tun_)),
        bind_(net::UdpOptions{}),
        handler_(
            device_, bind_, clock_, [this](wg::Output& out) { Flush(out, send_scratch_uapi_); },
            [this] { ConfigChanged(); }),
        uapi_handler_(handler_, pq_),
        server_(uapi_fd, std::move(uapi_path), uapi_handler_,
                [this] { RequestStop("UAPI socket removed"); }) {}

  Status Start() {
    stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (stop_fd_ < 0) return Status::Error("eventfd failed");
    if (net::HasVnetHdr(tun_->fd())) {  // opened by OpenTun below, here or in the parent
      auto io = net::TunOffloadIo::Attach(tun_->fd());
      if (!io.ok()) return io.status();
      offload_ = std::move(*io);
      DLOG_INFO("tun: virtio-net header, offloads 0x%x", offload_->offloads());
    }
    auto obfs = ObfsPath::FromEnvironment(rng_, clock_);
    if (!obfs.ok()) return obfs.status();
    obfs_ = std::move(*obfs);
    auto pq = PqPath::FromEnvironment(rng_, clock_.Now());
    if (!pq.ok()) return pq.status();
    pq_ = std::move(*pq);
    if (Status s = bind_.Open(); !s.ok()) return s;
    if (obfs_) obfs_->Start(bind_, [this](const ObfsPath::SocketGetter& g) { ReadLoop(g); });
    SyncLinkState();
    if (Status s = server_.Start(); !s.ok()) return s;
    threads_.emplace_back([this] { Named("wg-tun", [this] { TunLoop(); }); });
    threads_.emplace_back([this] { Named("wg-udp", [this] { UdpLoop(); }); });
    threads_.emplace_back([this] { Named("wg-timer", [this] { TimerLoop(); }); });
    return Status::Ok();
  }

  // Blocks until SIGINT/SIGTERM/SIGHUP or a stop request, then shuts everything down.
  void Wait(int signal_fd) {
    pollfd p[2] = {{signal_fd, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    while (poll(p, 2, -1) < 0 && errno == EINTR) {
    }
    if (p[0].revents) DLOG_INFO("shutting down on signal");
    Shutdown();
  }

 private:
  // Runs `body` with the calling thread named `name` (top -H, perf, gdb).
  template <typename F>
  static void Named(const char* name, F body) {
    pthread_setname_np(pthread_self(), name);
    body();
  }

  static wg::DeviceOptions DeviceOptionsFor(const net::Tun& tun) {
    wg::DeviceOptions o;
    if (auto mtu = tun.Mtu(); mtu.ok()) o.mtu = *mtu;
    return o;
  }

  void RequestStop(const char* why) {
    DLOG_INFO("shutting down: %s", why);
    uint64_t one = 1;
    [[maybe_unused]] ssize_t w = write(stop_fd_, &one, sizeof one);
  }

  void Shutdown() {
    stopping_ = true;
    if (obfs_) obfs_->Stop();
    bind_.Close();
    tun_->Shutdown();
    if (offload_) offload_->Shutdown();
    PokeTimer();
    for (std::thread& t : threads_) t.join();
    server_.Stop();
    if (offload_) {
      const net::TunOffloadStats& st = offload_->stats();
      DLOG_INFO(
          "tun offload: %llu reads (%llu super) -> %llu packets, %llu malformed; "
          "%llu packets -> %llu writes (%llu super), %llu write errors",
          (unsigned long long)st.reads, (unsigned long long)st.gso_reads,
          (unsigned long long)st.read_packets, (unsigned long long)st.read_malformed,
          (unsigned long long)st.written_packets, (unsigned long long)st.writes,
          (unsigned long long)st.gso_writes, (unsigned long long)st.write_errors);
    }
  }

  // After every UAPI set (on the UAPI thread): PQ PSKs into peers it may have created.
  void ConfigChanged() {
    if (pq_) {
      wg::Output out;
      pq_->ReapplyAll(device_, clock_.Now(), clock_.WallNow(), out);
      Flush(out, send_scratch_uapi_);
    }
    PokeTimer();
  }

  void PokeTimer() {
    {
      std::lock_guard lock(timer_mu_);
      timer_poked_ = true;
    }
    timer_cv_.notify_one();
  }

  // Follows the TUN link state (IFF_UP|IFF_RUNNING) into the device; a packet read
  // from the TUN proves it up. Called from the timer thread (every <= 250 ms), the TUN
  // readers and at start.
  void SyncLinkState(std::optional<bool> known = std::nullopt) {
    bool up = false;
    if (known) {
      up = *known;
    } else if (auto r = tun_->IsUp(); r.ok()) {
      up = *r;
    } else {
      return;
    }
    if (device_.IsUp() == up) return;
    thread_local wg::Output out;
    thread_local net::SendScratch scratch;
    device_.SetUp(up, clock_.Now(), clock_.WallNow(), out);
    Flush(out, scratch);
  }

  // Sends the datagrams and writes the TUN packets of `out`, then clears it.
  void Flush(wg::Output& out, std::vector<net::Outgoing>& sends, net::SendScratch& scratch) {
    if (offload_) {
      WriteTunOffload(out);
    } else {
      for (size_t i = 0; i < out.tun_packet_count(); ++i) {
        if (Status s = tun_->Write(0, out.tun_packet(i)); !s.ok())
          DLOG_DEBUG("tun: %s", s.message().c_str());
      }
    }
    sends.clear();
    if (obfs_) {
      obfs_->Send(out, scratch);
    } else {
      for (size_t i = 0; i < out.datagram_count(); ++i)
        sends.push_back({out.datagram_endpoint(i), out.datagram(i)});
    }
    if (!sends.empty()) {
      if (auto sock = bind_.Current()) sock->Send(sends, scratch);
    }
    out.Clear();
  }
  void Flush(wg::Output& out, net::SendScratch& scratch) {
    std::vector<net::Outgoing> sends;
    Flush(out, sends, scratch);
  }

  // Writes out's TUN packets through the offload path, TCP runs coalesced.
  void WriteTunOffload(const wg::Output& out) {
    thread_local net::TunWriteScratch scratch;
    thread_local std::vector<ByteSpan> packets;
    packets.clear();
    for (size_t i = 0; i < out.tun_packet_count(); ++i) packets.push_back(out.tun_packet(i));
    if (packets.empty()) return;
    if (Status s = offload_->Write(packets, scratch); !s.ok())
      DLOG_DEBUG("tun: %s", s.message().c_str());
  }

  // TunLoop for a TUN in virtio-net-header mode: super-packets arrive split.
  void TunOffloadLoop() {
    net::PacketList batch;
    wg::Output out;
    std::vector<net::Outgoing> sends;
    net::SendScratch scratch;
    while (!stopping_) {
      auto r = offload_->Read(net::kTunMaxPacket, batch);
      if (!r.ok()) {
        DLOG_ERROR("tun: %s", r.error().c_str());
        RequestStop("TUN read failed");
        return;
      }
      if (*r == net::Tun::ReadResult::kShutdown) return;
      if (*r == net::Tun::ReadResult::kDeleted) {
        RequestStop("interface deleted");
        return;
      }
      if (!device_.IsUp() && batch.size() > 0) SyncLinkState(true);
      TimePoint now = clock_.Now();
      WallTime wall = clock_.WallNow();
      for (size_t i = 0; i < batch.size(); ++i) device_.HandleTunPacket(batch[i], now, wall, out);
      Flush(out, sends, scratch);
    }
  }

  void TunLoop() {
    if (offload_) return TunOffloadLoop();
    net::PacketBatch batch;
    wg::Output out;
    std::vector<net::Outgoing> sends;
    net::SendScratch scratch;
    while (!stopping_) {
      auto r = tun_->ReadBatch(0, batch);
      if (!r.ok()) {
        DLOG_ERROR("tun: %s", r.error().c_str());
        RequestStop("TUN read failed");
        return;
      }
      if (*r == net::Tun::ReadResult::kShutdown) return;
      if (*r == net::Tun::ReadResult::kDeleted) {
        RequestStop("interface deleted");
        return;
      }
      if (!device_.IsUp() && batch.size() > 0) SyncLinkState(true);
      TimePoint now = clock_.Now();
      WallTime wall = clock_.WallNow();
      for (size_t i = 0; i < batch.size(); ++i)
        device_.HandleTunPacket(batch.packet(i), now, wall, out);
      Flush(out, sends, scratch);
    }
  }

  void UdpLoop() {
    ReadLoop([this] { return bind_.Current(); });
  }

  // Receives on `current()` until it returns null (the listen_port socket, or a hop port's).
  void ReadLoop(const std::function<std::shared_ptr<net::UdpSocket>()>& current) {
    net::RecvBatch batch;
    wg::Output out;
    std::vector<net::Outgoing> sends;
    net::SendScratch scratch;
    while (auto sock = current()) {
      if (Status s = sock->Receive(batch); !s.ok()) {
        DLOG_ERROR("udp: %s", s.message().c_str());
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      TimePoint now = clock_.Now();
      WallTime wall = clock_.WallNow();
      for (const net::Received& d : batch.datagrams()) Deliver(d, now, wall, out);
      Flush(out, sends, scratch);
    }
  }

  void Deliver(const net::Received& d, TimePoint now, WallTime wall, wg::Output& out) {
    if (!obfs_) return DeliverInner(d.from, d.data, now, wall, out);
    if (auto inner = obfs_->Unwrap(d, now, wall)) DeliverInner(d.from, *inner, now, wall, out);
  }

  void DeliverInner(const wg::Endpoint& from, ByteSpan data, TimePoint now, WallTime wall,
                    wg::Output& out) {
    if (pq_ && pq::IsPqDatagram(data)) return pq_->Handle(device_, from, data, now, wall, out);
    device_.HandleDatagram(from, data, now, wall, out);
  }

  void TimerLoop() {
    wg::Output out;
    std::vector<net::Outgoing> sends;
    net::SendScratch scratch;
    TimePoint next_mtu_check = clock_.Now();
    size_t mtu = 0;
    while (!stopping_) {
      SyncLinkState();
      TimePoint now = clock_.Now();
      device_.Tick(now, clock_.WallNow(), out);
      if (pq_) pq_->Tick(device_, now, clock_.WallNow(), out);
      Flush(out, sends, scratch);
      if (now >= next_mtu_check) {
        next_mtu_check = now + kMtuPollInterval;
        if (auto m = tun_->Mtu(); m.ok() && *m != mtu) device_.SetMtu(mtu = *m);
      }
      TimePoint deadline = std::min(device_.NextDeadline(), clock_.Now() + kMaxTimerSleep);
      if (pq_) deadline = std::min(deadline, pq_->NextDeadline());
      auto sleep = deadline - clock_.Now();
      std::unique_lock lock(timer_mu_);
      if (sleep > Duration::zero())
        timer_cv_.wait_for(lock, sleep, [this] { return timer_poked_ || stopping_.load(); });
      timer_poked_ = false;
    }
  }

  SystemClock clock_;
  SystemRng rng_;
  std::unique_ptr<net::Tun> tun_;
  std::unique_ptr<net::TunOffloadIo> offload_;  // set when the TUN has IFF_VNET_HDR
  wg::Device device_;
  net::UdpBind bind_;
  std::unique_ptr<ObfsPath> obfs_;  // DPI disguise; null when off
  std::unique_ptr<PqPath> pq_;      // PQ PSK exchange; null when off
  net::SendScratch send_scratch_uapi_;
  net::DeviceUapiHandler handler_;
  PqUapiHandler uapi_handler_;  // handler_ with the PQ PSKs put into set requests
  net::UapiServer server_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  int stop_fd_ = -1;
  std::mutex timer_mu_;  // guards timer_poked_
  std::condition_variable timer_cv_;
  bool timer_poked_ = false;
};

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
  Daemon daemon(std::move(*tun), *uapi_fd, path);
  if (Status s = daemon.Start(); !s.ok()) {
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
