// dlog-wg's DPI disguise (obfs::Disguise, docs/DPI.md): settings from the environment,
// the sockets on hop ports, and the thread that runs hops, shaping, delayed decoys and
// the stats file. Included by dlog_wg.cc only; does nothing unless configured.
//
//   DLOG_WG_OBFS_SECRET_FILE=PATH  the cluster secret (32 bytes as base64 or hex, mode
//                                  0600): turns the disguise on for every peer that is
//                                  not a stock peer
//   DLOG_WG_OBFS_CONFIG=PATH       optional TOML: [network.wireguard] dpi_resistance and
//                                  [network.wireguard.dpi_evasion] (obfs/options.h)
//   DLOG_WG_OBFS_OPTIONS="k=v;..." optional, the same keys inline, applied after the file
//   DLOG_WG_OBFS_STATS_FILE=PATH   optional: counters ("name value" lines) rewritten every
//                                  second and at exit
//
// Threads: every daemon thread that sends calls Send with its own SendScratch; every
// reader calls Unwrap. The obfs thread (started only for hopping, shaping, delayed decoys
// or stats) opens and closes hop sockets, each with its own reader thread running the
// daemon's read loop. `mu_` guards the hop socket table; nothing else is shared.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/log.h"
#include "net/udp.h"
#include "obfs/disguise.h"
#include "obfs/settings.h"
#include "wg/device.h"

namespace dlog {

class ObfsPath {
 public:
  using SocketGetter = std::function<std::shared_ptr<net::UdpSocket>()>;
  using ReadLoop = std::function<void(const SocketGetter&)>;

  // nullptr when DLOG_WG_OBFS_SECRET_FILE is unset or dpi_resistance is false.
  static Result<std::unique_ptr<ObfsPath>> FromEnvironment(Rng& rng, const Clock& clock) {
    auto settings = obfs::SettingsFromEnvironment("DLOG_WG_OBFS_");
    if (!settings.ok()) return settings.status();
    if (!*settings) return std::unique_ptr<ObfsPath>();
    const char* stats = getenv("DLOG_WG_OBFS_STATS_FILE");
    return std::unique_ptr<ObfsPath>(
        new ObfsPath((*settings)->secret, (*settings)->options, rng, clock, stats ? stats : ""));
  }

  ~ObfsPath() { Stop(); }

  // Starts the obfs thread if anything needs it. `bind` is the listen_port socket.
  void Start(net::UdpBind& bind, ReadLoop read_loop) {
    bind_ = &bind;
    read_loop_ = std::move(read_loop);
    const obfs::Options& o = disguise_.options();
    DLOG_INFO("dpi disguise on: padding %s, shaping %s, port hopping %s, decoys %s",
              o.random_padding ? "on" : "off", o.traffic_shaping ? "on" : "off",
              o.port_hopping ? "on" : "off", o.decoy_traffic ? "on" : "off");
    if (disguise_.hopping() || disguise_.needs_ticks() || !stats_path_.empty())
      thread_ = std::thread([this] { Run(); });
  }

  void Stop() {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    std::map<uint16_t, std::shared_ptr<HopSocket>> hops;
    {
      std::lock_guard lock(mu_);
      hops.swap(hops_);
    }
    for (auto& [port, h] : hops) Close(*h);
    WriteStats();
  }

  // Sends the datagrams of `out`, disguised.
  void Send(const wg::Output& out, net::SendScratch& scratch) {
    if (out.datagram_count() == 0) return;
    obfs::Output& o = ThreadOutput();
    const TimePoint now = clock_.Now();
    const WallTime wall = clock_.WallNow();
    disguise_.WrapAll(out, now, wall, o);
    SendOutput(o, scratch);
    if (disguise_.needs_ticks() &&
        (disguise_.NextDeadline() + Slack()).time_since_epoch().count() < planned_wake_.load())
      Poke();
  }

  // The inner datagram of `d`, or nullopt. Unmasks in place: `d.data` points into the
  // calling reader's own RecvBatch, whose buffer the next Receive overwrites anyway.
  std::optional<ByteSpan> Unwrap(const net::Received& d, TimePoint now, WallTime wall) {
    MutableByteSpan buf(const_cast<uint8_t*>(d.data.data()), d.data.size());
    auto u = disguise_.Unwrap(d.from, buf, now, wall);
    if (!u.deliver) return std::nullopt;
    return u.inner;
  }

 private:
  struct HopSocket {
    uint16_t port = 0;
    std::shared_ptr<net::UdpSocket> sock;
    std::atomic<bool> closed{false};
    std::thread reader;
  };

  ObfsPath(const obfs::ClusterSecret& secret, const obfs::Options& o, Rng& rng, const Clock& clock,
           std::string stats_path)
      : disguise_(secret, o, rng), clock_(clock), stats_path_(std::move(stats_path)) {}

  static obfs::Output& ThreadOutput() {
    thread_local obfs::Output out;
    return out;
  }

  // The socket for local port `port` (0: listen_port); a hop socket that is not open
  // (a late obfs thread) falls back to another hop socket, then to listen_port.
  std::shared_ptr<net::UdpSocket> SocketFor(uint16_t port) {
    if (port != 0) {
      std::lock_guard lock(mu_);
      if (auto it = hops_.find(port); it != hops_.end()) return it->second->sock;
      if (!hops_.empty()) return hops_.rbegin()->second->sock;
    }
    return bind_->Current();
  }

  void SendOutput(obfs::Output& o, net::SendScratch& scratch) {
    thread_local std::vector<net::Outgoing> run;
    for (size_t i = 0; i < o.size();) {
      const uint16_t port = o.from_port(i);
      run.clear();
      for (; i < o.size() && o.from_port(i) == port; ++i) run.push_back({o.to(i), o.data(i)});
      if (auto sock = SocketFor(port)) sock->Send(run, scratch);
    }
    o.Clear();
  }

  // --- the obfs thread -----------------------------------------------------------------

  // The shaper's send times are kept to the scheduler's precision; delayed decoys (up to
  // decoy_max_delay late by design) leave in batches at most every kDecoyTick, so a busy
  // tunnel does not wake the obfs thread for each one.
  static constexpr Duration kDecoyTick = std::chrono::milliseconds(2);
  Duration Slack() const {
    return disguise_.options().traffic_shaping ? Duration::zero() : kDecoyTick;
  }
  TimePoint Due(TimePoint now) const {
    const TimePoint next = disguise_.NextDeadline();
    return next == TimePoint::max() ? next : std::max(next, now + Slack());
  }

  // Wakes the obfs thread: a pacer or a decoy may now be due earlier than it sleeps.
  void Poke() {
    {
      std::lock_guard lock(mu_);
      poked_ = true;
    }
    cv_.notify_one();
  }

  void Run() {
    net::SendScratch scratch;
    TimePoint next_stats = clock_.Now();
    std::unique_lock lock(mu_);
    while (!stopping_) {
      lock.unlock();
      const TimePoint now = clock_.Now();
      const WallTime wall = clock_.WallNow();
      TimePoint wake = now + std::chrono::seconds(1);
      if (disguise_.hopping()) {
        const obfs::PortPlan plan = disguise_.Ports(wall);
        Reconcile(plan);
        wake = std::min(wake, now + Duration(plan.next_change.unix_nanos - wall.unix_nanos));
      }
      if (disguise_.needs_ticks()) {
        obfs::Output& out = ThreadOutput();
        disguise_.Tick(now, wall, out);
        SendOutput(out, scratch);
        wake = std::min(wake, Due(now));
      }
      if (!stats_path_.empty() && now >= next_stats) {
        WriteStats();
        next_stats = now + std::chrono::seconds(1);
      }
      if (!stats_path_.empty()) wake = std::min(wake, next_stats);
      // Publish the wake-up, then fold in what Sends queued meanwhile: a Send that
      // finishes later sees the published time and pokes if it needs us earlier.
      planned_wake_.store(wake.time_since_epoch().count());
      if (disguise_.needs_ticks()) {
        wake = std::min(wake, Due(clock_.Now()));
        planned_wake_.store(wake.time_since_epoch().count());
      }
      lock.lock();
      if (!stopping_ && !poked_ && wake > clock_.Now())
        cv_.wait_until(lock, wake, [this] { return stopping_ || poked_; });
      poked_ = false;
    }
  }

  // Opens the plan's ports that are not open and closes the others.
  void Reconcile(const obfs::PortPlan& plan) {
    if (plan.epoch != failed_epoch_) {
      failed_.clear();
      failed_epoch_ = plan.epoch;
    }
    std::vector<std::shared_ptr<HopSocket>> to_close;
    {
      std::lock_guard lock(mu_);
      for (auto it = hops_.begin(); it != hops_.end();) {
        if (plan.Listens(it->first)) {
          ++it;
        } else {
          to_close.push_back(it->second);
          it = hops_.erase(it);
        }
      }
    }
    for (auto& h : to_close) Close(*h);
    for (size_t i = 0; i < plan.listen_count; ++i) {
      const uint16_t port = plan.listen[i];
      {
        std::lock_guard lock(mu_);
        if (hops_.count(port)) continue;
      }
      Open(port);
    }
  }

  void Open(uint16_t port) {
    if (failed_.count(port)) return;  // logged once; retried when the plan moves on
    net::UdpOptions uo;
    uo.port = port;
    auto sock = net::UdpSocket::Open(uo);
    if (!sock.ok()) {
      // E.g. listen_port itself: that socket then serves the hop port (SocketFor).
      DLOG_ERROR("dpi: cannot listen on hop port %u: %s", port, sock.error().c_str());
      failed_.insert(port);
      return;
    }
    auto h = std::make_shared<HopSocket>();
    h->port = port;
    h->sock = std::move(*sock);
    h->reader = std::thread([this, h] {
      read_loop_([h]() -> std::shared_ptr<net::UdpSocket> {
        return h->closed.load() ? nullptr : h->sock;
      });
    });
    DLOG_DEBUG("dpi: listening on hop port %u", port);
    std::lock_guard lock(mu_);
    hops_[port] = std::move(h);
  }

  static void Close(HopSocket& h) {
    h.closed = true;
    h.sock->Shutdown();
    if (h.reader.joinable()) h.reader.join();
  }

  void WriteStats() {
    if (stats_path_.empty()) return;
    const std::string tmp = stats_path_ + ".tmp";
    {
      std::ofstream f(tmp, std::ios::trunc);
      if (!f) return;
      f << disguise_.FormatCounters();
    }
    std::rename(tmp.c_str(), stats_path_.c_str());
  }

  obfs::Disguise disguise_;
  const Clock& clock_;
  const std::string stats_path_;
  net::UdpBind* bind_ = nullptr;
  ReadLoop read_loop_;
  std::thread thread_;
  std::mutex mu_;  // guards hops_, stopping_, poked_
  std::condition_variable cv_;
  std::map<uint16_t, std::shared_ptr<HopSocket>> hops_;
  bool stopping_ = false;
  bool poked_ = false;
  std::atomic<int64_t> planned_wake_{0};  // when the obfs thread next wakes by itself
  std::set<uint16_t> failed_;             // obfs thread only: ports that would not open
  int64_t failed_epoch_ = 0;
};

}  // namespace dlog
