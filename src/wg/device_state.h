// Device::State: the implementation of wg::Device, shared by device.cc (configuration,
// introspection, timers), send.cc (the TUN → UDP path) and receive.cc (UDP → TUN).
// Private to src/wg. Locking is described at the top of device.h; each method says
// which locks it requires.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

#include "wg/allowed_ips.h"
#include "wg/cookie.h"
#include "wg/device.h"
#include "wg/index_table.h"
#include "wg/noise.h"
#include "wg/peer.h"
#include "wg/ratelimiter.h"

namespace dlog::wg {

// Serialises calls to a wrapped Rng. The innermost lock of the device.
class LockedRng final : public Rng {
 public:
  explicit LockedRng(Rng& inner) : inner_(inner) {}
  void Fill(std::span<uint8_t> out) override {
    std::lock_guard lock(mu_);
    inner_.Fill(out);
  }

 private:
  Rng& inner_;
  std::mutex mu_;
};

// Handshake messages per one-second window; under load once the count passes the
// threshold, and for kUnderLoadAfterTime after. Thread-safe (leaf mutex).
class LoadMeter {
 public:
  void Record(TimePoint now, uint32_t threshold);
  bool UnderLoad(TimePoint now) const;

 private:
  mutable std::mutex mu_;
  std::optional<TimePoint> window_start_;
  uint32_t count_ = 0;
  std::optional<TimePoint> under_load_until_;
};

// clang-format off
#define DLOG_WG_DEVICE_COUNTERS(X) \
  X(bad_size) \
  X(bad_mac1) \
  X(rate_limited) \
  X(handshake_failed) \
  X(handshake_replay) \
  X(handshake_state) \
  X(bad_cookie_reply) \
  X(unknown_index) \
  X(expired_keypair) \
  X(decrypt_failed) \
  X(replayed) \
  X(disallowed_source) \
  X(bad_inner_packet) \
  X(no_route) \
  X(no_endpoint) \
  X(staged_overflow) \
  X(staged_expired) \
  X(no_identity) \
  X(interface_down) \
  X(cookie_replies_sent) \
  X(initiations_sent) \
  X(responses_sent) \
  X(handshakes_completed) \
  X(keepalives_sent)
// clang-format on

struct AtomicCounters {
#define DLOG_WG_DECLARE(name) std::atomic<uint64_t> name{0};
  DLOG_WG_DEVICE_COUNTERS(DLOG_WG_DECLARE)
#undef DLOG_WG_DECLARE
  DeviceCounters Load() const;
};

struct Device::State {
  State(Rng& rng, DeviceOptions options);

  // --- Leaf-locked or atomic; no device lock needed ---
  LockedRng rng;
  const DeviceOptions options;
  std::atomic<size_t> mtu;
  std::atomic<LoadMode> load_mode{LoadMode::kAuto};
  LoadMeter load;
  AtomicCounters counters;
  IndexTable index;
  std::mutex ratelimiter_mu;
  Ratelimiter ratelimiter;           // guarded by ratelimiter_mu
  std::optional<TimePoint> last_gc;  // guarded by ratelimiter_mu

  // --- Guarded by mu (shared: read; exclusive: write) ---
  mutable std::shared_mutex mu;
  std::optional<StaticIdentity> identity;
  std::unique_ptr<CookieChecker> checker;  // set exactly when identity is
  uint16_t listen_port = 0;
  uint32_t fwmark = 0;
  std::vector<std::shared_ptr<Peer>> peers;  // in the order added
  std::map<crypto::X25519Public, std::shared_ptr<Peer>> by_key;
  std::unordered_map<PeerId, std::shared_ptr<Peer>> by_id;
  PeerId next_peer_id = 1;
  AllowedIps allowed_ips;
  // Written under mu exclusive; read under mu, or without it where a stale value only
  // admits or drops one packet around the transition.
  std::atomic<bool> up{true};

  bool UnderLoad(TimePoint now) const;
  bool RateLimitAllows(const Endpoint& from, TimePoint now);
  void GcRateLimiter(TimePoint now);

  // --- Configuration (device.cc); require mu exclusive ---
  Status ApplyPeer(const PeerUpdate& update, TimePoint now, WallTime wall, Output& out);
  void SetPrivateKey(const PrivateKey& key, TimePoint now);
  std::shared_ptr<Peer> AddPeer(const crypto::X25519Public& public_key);
  void RemovePeer(std::shared_ptr<Peer> peer);
  void RemoveAllPeers();

  // --- Peer actions; require mu (shared) and peer.mu ---
  void RunTimer(Peer& peer, PeerTimers::Timer timer, TimePoint now, WallTime wall, Output& out);
  void SendHandshakeInitiation(Peer& peer, bool retry, TimePoint now, WallTime wall, Output& out);
  void SendHandshakeResponse(Peer& peer, TimePoint now, Output& out);
  void SendKeepalive(Peer& peer, TimePoint now, WallTime wall, Output& out);
  void SendStagedPackets(Peer& peer, TimePoint now, WallTime wall, Output& out);
  void StagePacket(Peer& peer, ByteSpan packet);
  // Timers, counters and rekeying after a transport message of `size` bytes went out.
  void TransportSent(Peer& peer, bool data, size_t size, TimePoint now, WallTime wall, Output& out);
  void KeepKeyFreshSending(Peer& peer, TimePoint now, WallTime wall, Output& out);
  void KeepKeyFreshReceiving(Peer& peer, TimePoint now, WallTime wall, Output& out);
  void HandshakeComplete(Peer& peer, WallTime wall);
  // Copies `msg` to out for the peer's endpoint; counts no_endpoint when it has none.
  bool EmitToPeer(Peer& peer, ByteSpan msg, Output& out);
  void ExpireCurrentKeypairs(Peer& peer, TimePoint now);
  void ZeroAndFlushAll(Peer& peer);
  void FlushStaged(Peer& peer);
  void Retire(const RetiredKeypairs& retired);

  // --- Data path (send.cc / receive.cc); take their own locks ---
  void RoutePacket(ByteSpan packet, TimePoint now, WallTime wall, Output& out);
  void ReceiveDatagram(const Endpoint& from, ByteSpan datagram, TimePoint now, WallTime wall,
                       Output& out);
  // Handshake message checks before any DH: MAC1, then under load MAC2 (else answer
  // with a cookie reply) and the per-source rate limit. Require mu (shared).
  template <typename Msg>
  bool AdmitHandshake(const Msg& msg, const Endpoint& from, TimePoint now, Output& out);
  void ReceiveInitiation(const Endpoint& from, const MessageInitiation& msg, TimePoint now,
                         WallTime wall, Output& out);
  void ReceiveResponse(const Endpoint& from, const MessageResponse& msg, TimePoint now,
                       WallTime wall, Output& out);
  void ReceiveCookieReply(const MessageCookieReply& msg, TimePoint now);
  void ReceiveTransport(const Endpoint& from, ByteSpan datagram, TimePoint now, WallTime wall,
                        Output& out);
};

}  // namespace dlog::wg
