// PqPath: the post-quantum PSK exchange (pq::Exchange, docs/PQ.md) on the WireGuard
// port of a running node, bound to its wg::Device.
//
// POLICY (quantum_resistant = true): the PSK slot of every PQ peer holds a random key
// until the first exchange with it completes, and again whenever the exchange goes stale,
// so no classical-only session can carry data. A WireGuard peer that is created for a PQ
// peer gets the latest PSK in the same ApplyConfig that creates it (ApplyWithPsks), so it
// never exists with an empty slot. ReapplyAll writes every PSK again (after a UAPI set,
// which may have set another PSK with `wg`).
//
// THREADS: every method may be called from any thread; `mu_` serialises the exchange and
// the PSK writes, so updates reach the device in the order the exchange made them.
// Lock order: mu_ before the device's locks (the device never calls back).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "base/clock.h"
#include "base/result.h"
#include "base/rng.h"
#include "base/secret.h"
#include "crypto/mlkem.h"
#include "pq/exchange.h"
#include "wg/device.h"

namespace dlog::node {

inline constexpr auto kRestartDelay = std::chrono::milliseconds(50);

// The PQ state of one peer, for status output.
struct PqPeerState {
  bool has_pq_psk = false;  // holds an exchanged key that is not stale
  uint64_t epoch = 0;
  std::optional<TimePoint> last_exchange;
};

class PqPath {
 public:
  // `rng` must outlive the path.
  static Result<std::unique_ptr<PqPath>> Create(Bytes public_key, crypto::MlKemDecapsKey secret_key,
                                                Rng& rng, const pq::ExchangeOptions& options,
                                                TimePoint now);

  // Before any thread runs (no device writes): registers a peer; its initial random PSK is
  // only remembered (the WireGuard peer arrives later, e.g. over UAPI, and gets it from
  // ReapplyAll or OverridePsks). Initiations leave at the first Tick.
  Status AddPeerBeforeStart(const pq::PeerConfig& config, TimePoint now);

  // While running: registers a peer (its random PSK goes into the WireGuard peer if that
  // exists; initiations go to `out`). A peer already known by its WireGuard key is kept.
  Status AddPeer(wg::Device& device, const pq::PeerConfig& config, TimePoint now, WallTime wall,
                 wg::Output& out);
  // Forgets the peer whose WireGuard key is `wg_key` (no-op when unknown).
  void RemovePeer(const pq::WgPublicKey& wg_key);
  // A member rotated its WireGuard key (same PQ key): if `config.public_key` already
  // drives another WireGuard peer, that peer's exchange now drives config.wg_public_key,
  // which gets the current PSK at once (so the new key's first handshake succeeds), and
  // true is returned; false when the PQ key is not configured.
  bool Rebind(const pq::PeerConfig& config);
  bool HasPeer(const pq::WgPublicKey& wg_key) const;

  // Applies `update` to `device` with the latest PSK put into every block that creates or
  // updates a PQ peer, atomically with respect to the exchange's own PSK writes.
  Status ApplyWithPsks(wg::Device& device, wg::ConfigUpdate update, TimePoint now, WallTime wall,
                       wg::Output& out);

  // For a datagram with pq::IsPqDatagram(data): datagrams to send go to `out`.
  void Handle(wg::Device& device, const wg::Endpoint& from, ByteSpan data, TimePoint now,
              WallTime wall, wg::Output& out);
  void Tick(wg::Device& device, TimePoint now, WallTime wall, wg::Output& out);
  TimePoint NextDeadline() const;

  // The latest PSK of the PQ peer `wg_key`, if it is one.
  std::optional<Secret<32>> PskFor(const pq::WgPublicKey& wg_key) const;
  // Writes the latest PSK of every PQ peer into the device again.
  void ReapplyAll(wg::Device& device, TimePoint now, WallTime wall, wg::Output& out);
  std::optional<PqPeerState> PeerState(const pq::WgPublicKey& wg_key) const;
  pq::ExchangeCounters Counters() const;

  // When on: a WireGuard peer without a session whose PSK slot just got an exchanged key
  // starts a handshake kRestartDelay later (on Tick), instead of at its next
  // retransmission (up to 5 s later; its earlier attempts, made with the random PSK, could
  // not succeed). The delay keeps the new initiation's TAI64N timestamp after that of an
  // initiation sent just before (timestamps are whitened to ~16 ms, and the responder
  // drops one not after the last, or one within 20 ms). Done by re-creating the peer from
  // its snapshot, so only for peers that have no keypair then.
  void SetRestartHandshakes(bool on) {
    std::lock_guard lock(mu_);
    restart_handshakes_ = on;
  }

 private:
  explicit PqPath(std::unique_ptr<pq::Exchange> ex) : ex_(std::move(ex)) {}
  void Process(wg::Device& device, TimePoint now, WallTime wall, wg::Output& out);
  void RestartHandshake(wg::Device& device, const pq::WgPublicKey& wg_key, TimePoint now,
                        WallTime wall, wg::Output& out);

  mutable std::mutex mu_;
  std::unique_ptr<pq::Exchange> ex_;
  pq::Output pq_out_;  // reused under mu_
  // Per PQ peer (bounded by the peers added): its id and latest PSK.
  std::map<pq::WgPublicKey, pq::PeerId> ids_;
  std::map<pq::WgPublicKey, Secret<32>> psks_;
  bool restart_handshakes_ = false;
  // Peers whose handshake restarts at the given time (at most one entry per PQ peer).
  std::map<pq::WgPublicKey, TimePoint> restarts_;
};

}  // namespace dlog::node
