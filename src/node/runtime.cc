#include "node/runtime.h"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "base/log.h"
#include "node/pq_uapi.h"
#include "pq/messages.h"

namespace dlog::node {
namespace {

constexpr auto kMaxTimerSleep = std::chrono::milliseconds(250);
constexpr auto kMtuPollInterval = std::chrono::seconds(1);

wg::DeviceOptions DeviceOptionsFor(const InnerPath& inner) {
  wg::DeviceOptions o;
  if (auto mtu = inner.Mtu(); mtu.ok()) o.mtu = *mtu;
  return o;
}

// Per-thread buffers for Flush: every thread that flushes has its own.
struct FlushScratch {
  std::vector<net::Outgoing> sends;
  net::SendScratch send;
  std::vector<ByteSpan> packets;
};
FlushScratch& ThreadScratch() {
  thread_local FlushScratch s;
  return s;
}

}  // namespace

template <typename F>
void Runtime::Named(const char* name, F body) {
  pthread_setname_np(pthread_self(), name);
  body();
}

Runtime::Runtime(std::unique_ptr<InnerPath> inner, RuntimeOptions options)
    : inner_(std::move(inner)),
      device_(rng_, DeviceOptionsFor(*inner_)),
      bind_(options.udp),
      options_(std::move(options)) {}

Runtime::~Runtime() { Shutdown(); }

void Runtime::SetObfs(std::unique_ptr<ObfsPath> obfs) { obfs_ = std::move(obfs); }
void Runtime::SetPq(std::unique_ptr<PqPath> pq) { pq_ = std::move(pq); }
void Runtime::SetEnrollmentHandler(EnrollmentHandler handler) { enrollment_ = std::move(handler); }
void Runtime::SetMembershipHandler(MembershipHandler handler) { membership_ = std::move(handler); }

void Runtime::SetOverlayAddress(const Ipv4& own) {
  uint32_t v;
  std::memcpy(&v, own.data(), 4);
  own_ = v;
}

std::optional<Ipv4> Runtime::overlay_address() const {
  uint32_t v = own_;
  if (v == 0) return std::nullopt;
  Ipv4 ip;
  std::memcpy(ip.data(), &v, 4);
  return ip;
}

Status Runtime::Start() {
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd_ < 0) return Status::Error("eventfd failed");
  if (Status s = bind_.Open(); !s.ok()) return s;
  if (obfs_) obfs_->Start(bind_, [this](const ObfsPath::SocketGetter& g) { ReadLoop(g); });
  if (Status s = inner_->Start(*this); !s.ok()) return s;
  if (auto r = inner_->IsUp(); r.ok()) {
    start_link_ = *r;
    SyncLinkState(*r);
  }
  if (options_.uapi_fd >= 0) {
    handler_ = std::make_unique<net::DeviceUapiHandler>(
        device_, bind_, clock_, [this](wg::Output& out) { Flush(out); },
        [this] { ConfigChanged(); });
    uapi_handler_ = std::make_unique<PqUapiHandler>(*handler_, pq_);
    server_ =
        std::make_unique<net::UapiServer>(options_.uapi_fd, options_.uapi_path, *uapi_handler_,
                                          [this] { RequestStop("UAPI socket removed"); });
    if (Status s = server_->Start(); !s.ok()) return s;
  }
  started_ = true;
  threads_.emplace_back(
      [this] { Named("wg-udp", [this] { ReadLoop([this] { return bind_.Current(); }); }); });
  threads_.emplace_back([this] { Named("wg-timer", [this] { TimerLoop(); }); });
  return Status::Ok();
}

void Runtime::Wait(int signal_fd) {
  pollfd p[2] = {{signal_fd, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
  while (poll(p, 2, -1) < 0 && errno == EINTR) {
  }
  if (p[0].revents) DLOG_INFO("shutting down on signal");
  Shutdown();
}

void Runtime::RequestStop(const char* why) {
  DLOG_INFO("shutting down: %s", why);
  uint64_t one = 1;
  if (stop_fd_ >= 0) [[maybe_unused]]
    ssize_t w = write(stop_fd_, &one, sizeof one);
}

void Runtime::Shutdown() {
  if (shut_down_.exchange(true)) return;
  stopping_ = true;
  if (obfs_) obfs_->Stop();
  bind_.Close();
  inner_->Shutdown();
  PokeTimer();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  if (server_) server_->Stop();
  if (stop_fd_ >= 0) close(stop_fd_);
  stop_fd_ = -1;
}

Status Runtime::ApplyConfig(wg::ConfigUpdate update) {
  wg::Output out;
  Status s =
      pq_ ? pq_->ApplyWithPsks(device_, std::move(update), clock_.Now(), clock_.WallNow(), out)
          : device_.ApplyConfig(update, clock_.Now(), clock_.WallNow(), out);
  Flush(out);
  RefreshSources();
  PokeTimer();
  return s;
}

Status Runtime::AddPqPeer(const pq::PeerConfig& config) {
  if (!pq_) return Status::Ok();
  wg::Output out;
  Status s = pq_->AddPeer(device_, config, clock_.Now(), clock_.WallNow(), out);
  Flush(out);
  PokeTimer();
  return s;
}

void Runtime::SendUnderlay(const wg::Endpoint& to, ByteSpan datagram, bool disguise) {
  if (disguise || !obfs_) {
    thread_local wg::Output out;
    MutableByteSpan slot = out.AddDatagram(to, datagram.size());
    std::copy(datagram.begin(), datagram.end(), slot.begin());
    return Flush(out);
  }
  thread_local net::SendScratch scratch;
  net::Outgoing one[1] = {{to, datagram}};
  if (auto sock = bind_.Current()) sock->Send(one, scratch);
}

void Runtime::SendMembership(const Ipv4& dst, ByteSpan payload) {
  auto own = overlay_address();
  if (!own || payload.size() > kMaxOverlayUdpPayload) return;
  Bytes packet = BuildIpv4Udp(*own, dst, kMembershipPort, kMembershipPort, payload);
  thread_local wg::Output out;
  device_.HandleTunPacket(packet, clock_.Now(), clock_.WallNow(), out);
  ++membership_sent_;
  Flush(out);
}

RuntimeCounters Runtime::Counters() const {
  RuntimeCounters c;
  c.enrollment_datagrams = enrollment_datagrams_;
  c.enrollment_dropped = enrollment_dropped_;
  c.membership_received = membership_received_;
  c.membership_unknown_peer = membership_unknown_peer_;
  c.membership_malformed = membership_malformed_;
  c.membership_sent = membership_sent_;
  return c;
}

// After every UAPI set (on the UAPI thread): PQ PSKs into peers it may have created.
void Runtime::ConfigChanged() {
  if (pq_) {
    wg::Output out;
    pq_->ReapplyAll(device_, clock_.Now(), clock_.WallNow(), out);
    Flush(out);
  }
  RefreshSources();
  PokeTimer();
}

void Runtime::RefreshSources() {
  if (!membership_) return;
  std::map<Ipv4, wg::PublicKey> m;
  for (const wg::PeerSnapshot& p : device_.Snapshot().peers) {
    for (const wg::IpPrefix& a : p.allowed_ips) {
      if (a.v6 || a.bits != 32) continue;
      Ipv4 ip;
      std::copy_n(a.addr.begin(), 4, ip.begin());
      m[ip] = p.public_key;
    }
  }
  std::lock_guard lock(sources_mu_);
  sources_.swap(m);
}

void Runtime::PokeTimer() {
  {
    std::lock_guard lock(timer_mu_);
    timer_poked_ = true;
  }
  timer_cv_.notify_one();
}

void Runtime::FromInner(std::span<const ByteSpan> packets) {
  if (!device_.IsUp()) SyncLinkState();  // the path had a packet: look at its link now
  thread_local wg::Output out;
  TimePoint now = clock_.Now();
  WallTime wall = clock_.WallNow();
  for (ByteSpan p : packets) device_.HandleTunPacket(p, now, wall, out);
  Flush(out);
}

void Runtime::InnerLinkUp() {
  if (!device_.IsUp()) SyncLinkState(true);
}

void Runtime::InnerStopped(const char* why) { RequestStop(why); }

// Follows the inner link state (IFF_UP|IFF_RUNNING) into the device; a packet read from
// the TUN proves it up. Called from the timer thread (every <= 250 ms), the inner
// readers and at start.
void Runtime::SyncLinkState(std::optional<bool> known) {
  bool up = false;
  if (known) {
    up = *known;
  } else if (auto r = inner_->IsUp(); r.ok()) {
    up = *r;
  } else {
    return;
  }
  if (device_.IsUp() == up) return;
  thread_local wg::Output out;
  device_.SetUp(up, clock_.Now(), clock_.WallNow(), out);
  Flush(out);
}

// Delivers out's inner packets, sends its datagrams, then clears it.
void Runtime::Flush(wg::Output& out) {
  FlushScratch& s = ThreadScratch();
  DeliverToInner(out);
  s.sends.clear();
  if (obfs_) {
    obfs_->Send(out, s.send);
  } else {
    for (size_t i = 0; i < out.datagram_count(); ++i)
      s.sends.push_back({out.datagram_endpoint(i), out.datagram(i)});
  }
  if (!s.sends.empty()) {
    if (auto sock = bind_.Current()) sock->Send(s.sends, s.send);
  }
  out.Clear();
}

// Membership datagrams are taken out first and handed to the handler after the rest
// reached the inner path, so a handler that sends (a nested Flush) finds the per-thread
// scratch free.
void Runtime::DeliverToInner(const wg::Output& out) {
  if (out.tun_packet_count() == 0) return;
  std::vector<ByteSpan>& packets = ThreadScratch().packets;
  packets.clear();
  std::vector<std::pair<wg::PublicKey, OverlayUdp>> messages;  // rare: allocated when used
  for (size_t i = 0; i < out.tun_packet_count(); ++i) {
    ByteSpan p = out.tun_packet(i);
    if (membership_ && IsForMembership(p)) {
      if (auto m = TakeMembership(p)) messages.push_back(*m);
      continue;
    }
    packets.push_back(p);
  }
  inner_->Deliver(packets);
  for (const auto& [key, msg] : messages) membership_(key, msg);
}

// Cheap test before any checksum: IPv4, UDP, to our address, to the membership port.
bool Runtime::IsForMembership(ByteSpan p) const {
  if (p.size() < kIpv4HeaderSize + kUdpHeaderSize || p[0] >> 4 != 4 || p[9] != 17) return false;
  const uint32_t own = own_;
  if (own == 0 || std::memcmp(&p[16], &own, 4) != 0) return false;
  const size_t ihl = size_t(p[0] & 0x0f) * 4;
  if (p.size() < ihl + kUdpHeaderSize) return false;
  return (uint16_t(p[ihl + 2] << 8) | p[ihl + 3]) == kMembershipPort;
}

// The verified message and its sender's key; nullopt (counted) when malformed or from an
// address no peer owns. The packet is consumed either way.
std::optional<std::pair<wg::PublicKey, OverlayUdp>> Runtime::TakeMembership(ByteSpan packet) {
  auto u = ParseIpv4Udp(packet);
  if (!u) {
    ++membership_malformed_;
    return std::nullopt;
  }
  std::lock_guard lock(sources_mu_);
  auto it = sources_.find(u->src);
  if (it == sources_.end()) {
    ++membership_unknown_peer_;
    return std::nullopt;
  }
  ++membership_received_;
  return std::make_pair(it->second, *u);
}

// Receives on `current()` until it returns null (the listen_port socket, or a hop port's).
void Runtime::ReadLoop(const ObfsPath::SocketGetter& current) {
  net::RecvBatch batch;
  wg::Output out;
  while (auto sock = current()) {
    if (Status s = sock->Receive(batch); !s.ok()) {
      DLOG_ERROR("udp: %s", s.message().c_str());
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    // The timer thread notices a link that came up only at its next poll (<= 250 ms, later
    // under load): a first handshake arriving before then was dropped as interface_down and
    // waited 5 s for the initiator's retry. Ask the inner path now (only while down).
    if (!device_.IsUp()) SyncLinkState();
    TimePoint now = clock_.Now();
    WallTime wall = clock_.WallNow();
    for (const net::Received& d : batch.datagrams()) Deliver(d, now, wall, out);
    Flush(out);
  }
}

// With the disguise on, a datagram that does not unwrap but looks like enrollment goes to
// the enrollment handler as it arrived: joiners do not have the cluster secret yet. (Unwrap
// unmasks in place, hence the copy, made only for datagrams in the enrollment range.)
void Runtime::Deliver(const net::Received& d, TimePoint now, WallTime wall, wg::Output& out) {
  if (!obfs_) return DeliverInner(d.from, d.data, now, wall, out);
  thread_local Bytes raw;
  const bool maybe_enrollment = enrollment_ && IsEnrollmentDatagram(d.data);
  if (maybe_enrollment) raw.assign(d.data.begin(), d.data.end());
  if (auto inner = obfs_->Unwrap(d, now, wall)) return DeliverInner(d.from, *inner, now, wall, out);
  if (maybe_enrollment) DeliverEnrollment(d.from, raw);
}

void Runtime::DeliverEnrollment(const wg::Endpoint& from, ByteSpan data) {
  if (!enrollment_) {
    ++enrollment_dropped_;
    return;
  }
  ++enrollment_datagrams_;
  enrollment_(from, data);
}

void Runtime::DeliverInner(const wg::Endpoint& from, ByteSpan data, TimePoint now, WallTime wall,
                           wg::Output& out) {
  if (pq_ && pq::IsPqDatagram(data)) return pq_->Handle(device_, from, data, now, wall, out);
  if (IsEnrollmentDatagram(data)) return DeliverEnrollment(from, data);
  device_.HandleDatagram(from, data, now, wall, out);
}

void Runtime::TimerLoop() {
  wg::Output out;
  TimePoint next_mtu_check = clock_.Now();
  size_t mtu = 0;
  // The timer acts on changes of the link state it polls, so a late poll cannot undo
  // what a reader learnt since (a packet read, or a datagram's look at a down device).
  std::optional<bool> polled = start_link_;
  while (!stopping_) {
    if (auto r = inner_->IsUp(); r.ok() && polled != *r) {
      polled = *r;
      SyncLinkState(*r);
    }
    TimePoint now = clock_.Now();
    device_.Tick(now, clock_.WallNow(), out);
    if (pq_) pq_->Tick(device_, now, clock_.WallNow(), out);
    Flush(out);
    if (now >= next_mtu_check) {
      next_mtu_check = now + kMtuPollInterval;
      if (auto m = inner_->Mtu(); m.ok() && *m != mtu) device_.SetMtu(mtu = *m);
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

}  // namespace dlog::node
