// Exchange: the sans-I/O core of the PQ PSK exchange (one identity, many peers).
//
// Datagrams and `now` come in; datagrams to send, PSKs to install and the next deadline
// come out. The core never reads a clock, never touches a socket, and draws randomness
// only from the Rng it was given. The daemon (dlog-pq, or dlog-wg's event loop) calls
//
//   HandleDatagram(from, bytes, now, out)   for every datagram with IsPqDatagram(bytes)
//   Tick(now, out)                          at NextDeadline() (calling early is harmless)
//
// and after each call sends out.datagrams and writes every out.psk_updates entry into
// the PSK slot of the WireGuard peer it names, in order.
//
// PSK POLICY (quantum_resistant = true; with false the daemon runs no Exchange at all)
//   AddPeer emits a random PSK at once: until the first exchange completes, no WireGuard
//   handshake with that peer can succeed. Each completed exchange emits its 32-byte
//   output key (the same on both sides). If no exchange completes for stale_epochs
//   epochs, a fresh random PSK is emitted again (Rosenpass's on_key_timeout). A random
//   PSK is never all-zero (zero means "no PSK" to WireGuard).
//
// SWITCH MOMENT
//   The responder installs a key when it accepts the InitConf; the initiator when it
//   accepts the EmptyData that acknowledges it, i.e. only once it knows the responder
//   holds the same key. Sessions already running are unaffected (WireGuard reads the PSK
//   only in its next handshake); the mismatch window is half a round trip, or one
//   retransmission interval when the EmptyData is lost.
//
// ROLES AND COLLISIONS
//   Either side initiates: at start, then one epoch (rekey_interval) after the last
//   exchange it initiated, or 13/12 epoch after the last one it answered. When both
//   initiate at once, the side with the smaller peer id (lhash("peer id", spk), compared
//   as bytes) keeps its initiation and drops the other's InitHello; the larger side
//   abandons its own and answers. An initiation already awaiting EmptyData always yields
//   (the peer may have restarted and lost our exchange), and one unacknowledged for
//   kInitConfAbort starts afresh. Exchanges completed out of order cannot leave the two
//   sides on different keys: an InitConf whose biscuit was issued before the peer's
//   latest installed key is refused.
//
// SILENCE
//   Nothing is sent in answer to a datagram that does not authenticate, to a replay, or
//   to a peer that is not configured, except a CookieReply to an InitHello fragment with
//   a valid mac while under load. Every drop is counted in ExchangeCounters.
//
// THREAD MODEL: not thread-safe; one owner (the daemon serialises calls).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"
#include "base/rng.h"
#include "pq/cookie.h"
#include "pq/fragment.h"
#include "pq/handshake.h"
#include "wg/endpoint.h"
#include "wg/ratelimiter.h"

namespace dlog::pq {

struct ExchangeOptions {
  Algorithm algorithm = kDefaultAlgorithm;
  Duration rekey_interval = kDefaultRekeyInterval;  // one epoch; at least 1 s
  int stale_epochs = kDefaultStaleEpochs;
  uint32_t under_load_init_hellos_per_second = kDefaultUnderLoadInitHellosPerSecond;
};

using PeerId = uint32_t;
using WgPublicKey = ByteArray<32>;

struct PeerConfig {
  Bytes public_key;                      // the peer's PQ public key (ML-KEM encapsulation key)
  WgPublicKey wg_public_key{};           // the WireGuard peer whose PSK slot this drives (opaque)
  std::optional<wg::Endpoint> endpoint;  // where to initiate; learnt from the peer if unset
  std::optional<Key> psk;                // optional extra shared secret mixed in (IHI7)
};

enum class PskSource : uint8_t {
  kExchange,       // output of a completed exchange
  kRandomInitial,  // no exchange yet
  kRandomStale,    // no exchange for stale_epochs epochs
};

struct PskUpdate {
  PeerId peer;
  WgPublicKey wg_public_key;
  Key psk;
  PskSource source;
  uint64_t epoch;  // exchanges completed with this peer, this one included
};

class Output {
 public:
  struct Datagram {
    wg::Endpoint to;
    Bytes bytes;
  };
  std::vector<Datagram> datagrams;
  std::vector<PskUpdate> psk_updates;

  void Clear() {
    datagrams.clear();
    psk_updates.clear();
  }
};

// Monotonic counters: drops by reason, then events.
struct ExchangeCounters {
  uint64_t bad_size = 0;             // not ours, malformed envelope, wrong lengths
  uint64_t bad_mac = 0;              // mac fails: tampered, misdirected, or not for us
  uint64_t cookie_required = 0;      // InitHello fragment without valid cookie under load
  uint64_t rate_limited = 0;         // InitHello over the per-source limit under load
  uint64_t duplicate_fragments = 0;  // a fragment already held (network duplicate)
  uint64_t conflicting_fragments = 0;
  uint64_t bad_key = 0;           // a KEM input fails its FIPS 203 check
  uint64_t auth_failed = 0;       // an AEAD tag or biscuit does not verify
  uint64_t unknown_peer = 0;      // authenticated structure names no configured peer
  uint64_t unknown_session = 0;   // RespHello/EmptyData for no initiation of ours
  uint64_t replayed = 0;          // InitHello/InitConf/EmptyData seen and used before
  uint64_t collisions = 0;        // InitHello dropped by the initiation tie-break
  uint64_t bad_cookie_reply = 0;  // CookieReply that names nothing or does not open
  // Events.
  uint64_t init_hellos_sent = 0;
  uint64_t resp_hellos_sent = 0;
  uint64_t init_confs_sent = 0;
  uint64_t empty_datas_sent = 0;
  uint64_t cookie_replies_sent = 0;
  uint64_t cookies_received = 0;
  uint64_t retransmissions = 0;           // messages we sent again (initiator)
  uint64_t retransmissions_answered = 0;  // InitConf repeats answered from the cache
  uint64_t exchanges_completed = 0;       // keys installed, either role
  uint64_t initiations_abandoned = 0;     // timed out, or yielded in a collision
  uint64_t stale_psks = 0;                // random PSKs emitted after staleness
  uint64_t reassembly_evicted = 0;
  uint64_t reassembly_expired = 0;
};

struct PeerStatus {
  bool has_pq_psk = false;  // the slot holds an exchanged key that is not stale
  uint64_t epoch = 0;
  std::optional<TimePoint> last_exchange;
  bool initiating = false;
  bool awaiting_empty_data = false;
  std::optional<wg::Endpoint> endpoint;
  bool has_cookie = false;
};

enum class LoadMode { kAuto, kForceUnderLoad, kForceNotUnderLoad };

class Exchange {
 public:
  // `public_key`/`secret_key` are our static ML-KEM pair of options.algorithm; `rng`
  // must outlive the exchange.
  static Result<std::unique_ptr<Exchange>> Create(Bytes public_key,
                                                  crypto::MlKemDecapsKey secret_key, Rng& rng,
                                                  ExchangeOptions options, TimePoint now);
  ~Exchange();
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  // Emits the initial random PSK for the peer and schedules an initiation (if the
  // endpoint is known). Fails on a bad public key, our own key, or a duplicate.
  Result<PeerId> AddPeer(const PeerConfig& config, TimePoint now, Output& out);
  void RemovePeer(PeerId peer);
  // The peer configured with this PQ public key, if any.
  std::optional<PeerId> FindPeer(const Bytes& public_key) const;
  // The peer's PSKs go to another WireGuard peer from now on: that member rotated its
  // WireGuard key and kept its PQ key (docs/CLUSTER.md, "Key rotation"). The exchange's
  // state (epoch, sessions) stays; the caller copies the current PSK to the new slot.
  void SetWireGuardKey(PeerId peer, const WgPublicKey& wg);

  void HandleDatagram(const wg::Endpoint& from, ByteSpan datagram, TimePoint now, Output& out);
  void Tick(TimePoint now, Output& out);
  TimePoint NextDeadline() const;

  void SetLoadMode(LoadMode mode);
  bool UnderLoad(TimePoint now) const;

  const ExchangeCounters& counters() const;
  std::optional<PeerStatus> GetPeerStatus(PeerId peer) const;
  const Label& peer_id() const;  // ours: lhash("peer id", spk)
  const ExchangeOptions& options() const;

 private:
  struct State;
  explicit Exchange(std::unique_ptr<State> state);
  std::unique_ptr<State> s_;
};

}  // namespace dlog::pq
