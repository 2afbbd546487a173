#include "wg/timers.h"

#include "wg/constants.h"

namespace dlog::wg {

Duration RekeyTimeoutJitter(Rng& rng) {
  return milliseconds(rng.Uniform(kRekeyTimeoutJitterMaxMs));
}

void PeerTimers::DataSent(TimePoint now, Rng& rng) {
  if (!Pending(kNewHandshake))
    Mod(kNewHandshake, now + kNewHandshakeTime + RekeyTimeoutJitter(rng));
}

void PeerTimers::DataReceived(TimePoint now) {
  if (!Pending(kSendKeepalive)) {
    Mod(kSendKeepalive, now + kKeepaliveTimeout);
  } else {
    need_another_keepalive = true;
  }
}

void PeerTimers::AnyAuthenticatedPacketSent() { Del(kSendKeepalive); }

void PeerTimers::AnyAuthenticatedPacketReceived() { Del(kNewHandshake); }

void PeerTimers::HandshakeInitiated(TimePoint now, Rng& rng) {
  Mod(kRetransmitHandshake, now + kRekeyTimeout + RekeyTimeoutJitter(rng));
}

void PeerTimers::HandshakeComplete() {
  Del(kRetransmitHandshake);
  handshake_attempts = 0;
  sent_last_minute_handshake = false;
}

void PeerTimers::SessionDerived(TimePoint now) {
  Mod(kZeroKeyMaterial, now + kZeroKeyMaterialTime);
}

void PeerTimers::AnyAuthenticatedPacketTraversal(TimePoint now,
                                                 uint16_t persistent_keepalive_secs) {
  if (persistent_keepalive_secs > 0)
    Mod(kPersistentKeepalive, now + seconds(persistent_keepalive_secs));
}

void PeerTimers::Mod(Timer t, TimePoint deadline) {
  deadlines_[t] = deadline;
  UpdateEarliest();
}

void PeerTimers::Del(Timer t) {
  if (!deadlines_[t]) return;
  deadlines_[t].reset();
  UpdateEarliest();
}

void PeerTimers::DelAll() {
  deadlines_.fill(std::nullopt);
  UpdateEarliest();
}

std::optional<PeerTimers::Timer> PeerTimers::PopExpired(TimePoint now) {
  std::optional<Timer> due;
  for (int t = 0; t < kNumTimers; ++t) {
    if (deadlines_[t] && *deadlines_[t] <= now && (!due || *deadlines_[t] < *deadlines_[*due]))
      due = Timer(t);
  }
  if (due) Del(*due);
  return due;
}

void PeerTimers::UpdateEarliest() {
  TimePoint earliest = TimePoint::max();
  for (const auto& d : deadlines_)
    if (d && *d < earliest) earliest = *d;
  earliest_.store(earliest.time_since_epoch().count(), std::memory_order_relaxed);
}

}  // namespace dlog::wg
