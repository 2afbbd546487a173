// Runtime: a running WireGuard node — the wg::Device and the threads that feed it.
//
// Shared by dlog-wg (a wireguard-go drop-in configured over UAPI) and dlog-server (a
// cluster member configured by the cluster core). Owns:
//   - the device (sans-I/O core, wg/device.h) and the UDP bind on listen_port,
//   - an InnerPath for decrypted IP packets: the kernel TUN or a userspace stack,
//   - optionally the PQ PSK exchange on the WireGuard port (PqPath: datagrams whose first
//     byte is 0x81..0x86), the DPI disguise of every outer datagram (ObfsPath), and the
//     `wg`-compatible UAPI socket,
//   - two hooks for the cluster core: underlay datagrams whose first byte is 0x91..0x9F
//     (enrollment, after the disguise is taken off) go to the enrollment handler; inner
//     IPv4/UDP packets to the node's own overlay address and port 9094 (membership) go to
//     the membership handler with the WireGuard key of the peer that sent them (cryptokey
//     routing: the device admits an inner source only from the peer that owns it).
//
// THREADS: UDP reader (recvmmsg → Device::HandleDatagram → inner path + sends), the
// inner path's reader(s) (→ Device::HandleTunPacket → sends), timer (Device::Tick and the
// PQ exchange at their deadlines, at least every 250 ms; link state and MTU), UAPI server,
// and the disguise's hop-port readers. The public methods marked "any thread" are
// thread-safe; the Set* methods only before Start.
//
// Demultiplexing of the first byte of an (undisguised) underlay datagram:
//   0x01..0x04  WireGuard            0x81..0x86  PQ exchange     0x91..0x9F  enrollment
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/rng.h"
#include "net/uapi_device.h"
#include "net/uapi_server.h"
#include "net/udp.h"
#include "node/inner_path.h"
#include "node/overlay_udp.h"
#include "node/pq_path.h"
#include "programs/dlog_wg_obfs.h"
#include "wg/device.h"

namespace dlog::node {

inline constexpr uint8_t kEnrollmentFirstByte = 0x91;
inline constexpr uint8_t kEnrollmentLastByte = 0x9F;
inline bool IsEnrollmentDatagram(ByteSpan d) {
  return !d.empty() && d[0] >= kEnrollmentFirstByte && d[0] <= kEnrollmentLastByte;
}

struct RuntimeOptions {
  net::UdpOptions udp;  // udp.port: listen_port (0: the kernel picks)
  int uapi_fd = -1;     // a listening UAPI socket (net::UapiServer::Listen); -1: no UAPI
  std::string uapi_path;
};

struct RuntimeCounters {
  uint64_t enrollment_datagrams = 0;     // handed to the enrollment handler
  uint64_t enrollment_dropped = 0;       // 0x91..0x9F with no handler
  uint64_t membership_received = 0;      // handed to the membership handler
  uint64_t membership_unknown_peer = 0;  // from an inner source no peer owns
  uint64_t membership_malformed = 0;     // bad lengths or checksums
  uint64_t membership_sent = 0;
};

class Runtime : private InnerSink {
 public:
  // Runs on a UDP reader thread; may call SendUnderlay.
  using EnrollmentHandler = std::function<void(const wg::Endpoint& from, ByteSpan datagram)>;
  // Runs on a UDP reader thread; `msg.payload` is valid for the call only.
  using MembershipHandler = std::function<void(const wg::PublicKey& peer, const OverlayUdp& msg)>;

  Runtime(std::unique_ptr<InnerPath> inner, RuntimeOptions options);
  ~Runtime() override;
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // --- before Start ---
  void SetObfs(std::unique_ptr<ObfsPath> obfs);
  void SetPq(std::unique_ptr<PqPath> pq);
  void SetEnrollmentHandler(EnrollmentHandler handler);
  // Intercepts inner IPv4/UDP packets to the overlay address, port kMembershipPort.
  void SetMembershipHandler(MembershipHandler handler);

  // Opens the socket and starts every thread.
  Status Start();
  // Blocks until `signal_fd` is readable or RequestStop, then shuts down.
  void Wait(int signal_fd);
  // Any thread: makes Wait return.
  void RequestStop(const char* why);
  // Stops and joins every thread. Idempotent.
  void Shutdown();

  // --- any thread, after Start ---
  // Applies `update` to the device, with the PQ PSK in every block naming a PQ peer.
  Status ApplyConfig(wg::ConfigUpdate update);
  // Registers a PQ peer with the exchange (before its WireGuard peer is created, so that
  // ApplyConfig gives it the PSK); no-op without the PQ path or when known.
  Status AddPqPeer(const pq::PeerConfig& config);
  // Sends one underlay datagram from listen_port; through the disguise when it is on,
  // unless `disguise` is false (enrollment answers to joiners, who lack the secret).
  void SendUnderlay(const wg::Endpoint& to, ByteSpan datagram, bool disguise = true);
  // Sends `payload` from own:kMembershipPort to dst:kMembershipPort through the tunnel.
  void SendMembership(const Ipv4& dst, ByteSpan payload);
  // The node's own overlay address (membership datagrams are to and from it); any time.
  void SetOverlayAddress(const Ipv4& own);
  std::optional<Ipv4> overlay_address() const;
  // Wakes the timer thread (deadlines moved earlier).
  void PokeTimer();

  wg::Device& device() { return device_; }
  PqPath* pq() { return pq_.get(); }
  Rng& rng() { return rng_; }
  const Clock& clock() const { return clock_; }
  uint16_t listen_port() const { return bind_.port(); }
  RuntimeCounters Counters() const;

 private:
  template <typename F>
  static void Named(const char* name, F body);

  // InnerSink
  void FromInner(std::span<const ByteSpan> packets) override;
  void InnerLinkUp() override;
  void InnerStopped(const char* why) override;

  void ConfigChanged();
  void RefreshSources();
  void SyncLinkState(std::optional<bool> known = std::nullopt);
  void Flush(wg::Output& out);
  void DeliverToInner(const wg::Output& out);
  bool IsForMembership(ByteSpan packet) const;
  std::optional<std::pair<wg::PublicKey, OverlayUdp>> TakeMembership(ByteSpan packet);
  void ReadLoop(const ObfsPath::SocketGetter& current);
  void Deliver(const net::Received& d, TimePoint now, WallTime wall, wg::Output& out);
  void DeliverEnrollment(const wg::Endpoint& from, ByteSpan data);
  void DeliverInner(const wg::Endpoint& from, ByteSpan data, TimePoint now, WallTime wall,
                    wg::Output& out);
  void TimerLoop();

  SystemClock clock_;
  SystemRng rng_;
  std::unique_ptr<InnerPath> inner_;
  wg::Device device_;
  net::UdpBind bind_;
  RuntimeOptions options_;
  std::unique_ptr<ObfsPath> obfs_;  // DPI disguise; null when off
  std::unique_ptr<PqPath> pq_;      // PQ PSK exchange; null when off
  EnrollmentHandler enrollment_;
  MembershipHandler membership_;
  std::atomic<uint32_t> own_{0};  // overlay address as in memory (network order); 0: none
  std::unique_ptr<net::DeviceUapiHandler> handler_;
  std::unique_ptr<net::uapi::UapiHandler> uapi_handler_;  // handler_ with PQ PSKs
  std::unique_ptr<net::UapiServer> server_;
  std::vector<std::thread> threads_;
  std::atomic<bool> started_{false};
  std::optional<bool> start_link_;  // the link state at Start (then the timer's only)
  std::atomic<bool> stopping_{false};
  std::atomic<bool> shut_down_{false};
  int stop_fd_ = -1;
  std::mutex timer_mu_;  // guards timer_poked_
  std::condition_variable timer_cv_;
  bool timer_poked_ = false;
  mutable std::mutex sources_mu_;  // guards sources_
  // Inner IPv4 source (a /32 allowed IP) → the peer that owns it; rebuilt from the device
  // after every configuration change (bounded by the device's peers' allowed IPs).
  std::map<Ipv4, wg::PublicKey> sources_;
  std::atomic<uint64_t> enrollment_datagrams_{0}, enrollment_dropped_{0}, membership_received_{0},
      membership_unknown_peer_{0}, membership_malformed_{0}, membership_sent_{0};
};

}  // namespace dlog::node
