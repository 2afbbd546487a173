// PeerTimers: the five per-peer timers of WireGuard (paper §6, wireguard-go timers.go,
// kernel timers.c) as deadlines, plus the hooks that arm and disarm them. Sans-I/O: a
// timer is an optional deadline; the device's Tick pops the expired ones and runs
// their actions.
//
//   timer                 armed by                               on expiry
//   retransmit_handshake  initiation sent: 5 s + jitter          retry (up to 18), then
//                                                                give up: flush staged,
//                                                                arm zero_key_material
//   send_keepalive        data received, none pending: 10 s      send a keepalive
//   new_handshake         data sent, none pending: 15 s + jitter new initiation
//   zero_key_material     session derived: 540 s                 erase all keys
//   persistent_keepalive  any authenticated packet: interval     send a keepalive
//
// Not thread-safe (the peer's mutex guards it), except NextDeadline(), which any thread
// may read.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>

#include "base/clock.h"
#include "base/rng.h"

namespace dlog::wg {

class PeerTimers {
 public:
  enum Timer {
    kRetransmitHandshake,
    kSendKeepalive,
    kNewHandshake,
    kZeroKeyMaterial,
    kPersistentKeepalive,
    kNumTimers,
  };

  // Hooks, named and placed as in wireguard-go.
  // After an authenticated data packet (not a keepalive) is sent.
  void DataSent(TimePoint now, Rng& rng);
  // After an authenticated data packet (not a keepalive) is received.
  void DataReceived(TimePoint now);
  // After any authenticated packet (keepalive, data or handshake) is sent.
  void AnyAuthenticatedPacketSent();
  // After any authenticated packet (keepalive, data or handshake) is received.
  void AnyAuthenticatedPacketReceived();
  // After a handshake initiation is sent.
  void HandshakeInitiated(TimePoint now, Rng& rng);
  // After a response is consumed, or the first packet under a responder's session.
  void HandshakeComplete();
  // After a session is derived (response sent or consumed).
  void SessionDerived(TimePoint now);
  // Before any authenticated packet is sent and after one is received.
  void AnyAuthenticatedPacketTraversal(TimePoint now, uint16_t persistent_keepalive_secs);

  bool Pending(Timer t) const { return deadlines_[t].has_value(); }
  std::optional<TimePoint> Deadline(Timer t) const { return deadlines_[t]; }
  void Mod(Timer t, TimePoint deadline);
  void Del(Timer t);
  void DelAll();
  // Disarms and returns the earliest timer whose deadline is <= now, if any.
  std::optional<Timer> PopExpired(TimePoint now);
  // The earliest deadline, TimePoint::max() when none. Safe from any thread.
  TimePoint NextDeadline() const {
    return TimePoint(Duration(earliest_.load(std::memory_order_relaxed)));
  }

  uint32_t handshake_attempts = 0;
  bool need_another_keepalive = false;
  bool sent_last_minute_handshake = false;

 private:
  void UpdateEarliest();
  std::array<std::optional<TimePoint>, kNumTimers> deadlines_{};
  std::atomic<int64_t> earliest_{TimePoint::max().time_since_epoch().count()};
};

// Uniform in [0, kRekeyTimeoutJitterMaxMs) milliseconds.
Duration RekeyTimeoutJitter(Rng& rng);

}  // namespace dlog::wg
