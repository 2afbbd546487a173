// Device: the sans-I/O WireGuard protocol core (one interface, many peers).
//
// Bytes and the time come in; datagrams to send, IP packets to deliver and the next
// timer deadline come out. The device never reads a clock, never touches a socket or
// a TUN, and draws randomness only from the Rng it was given. It is wire-compatible
// with stock WireGuard (Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s, docs/WIREGUARD.md).
//
// THREAD MODEL
//   The daemon calls, all concurrently:
//     HandleTunPacket    from one or more TUN-reader threads,
//     HandleDatagram     from one or more UDP-reader threads,
//     Tick/NextDeadline  from a timer thread,
//     ApplyConfig/Snapshot/Counters from the UAPI thread.
//   Every public method is thread-safe. Each calling thread passes its own Output.
//   Encryption and decryption run outside every device-wide lock, so two cores seal
//   and open in parallel; locks are held only to look up state or update it.
//
// LOCKS (acquire in this order; never acquire an earlier one while holding a later):
//   1. Device::mu_          std::shared_mutex: static identity, peer table, AllowedIps.
//                           Shared for lookups and handshakes, exclusive for ApplyConfig.
//   2. Peer::mu             std::mutex: handshake state, keypair slots, timers, endpoint,
//                           staged packets, cookie state. Held briefly, never during the
//                           AEAD of transport data.
//   3. leaf locks           IndexTable (shared_mutex), Keypair replay window (mutex),
//                           CookieChecker (mutex), Ratelimiter (mutex), load meter: each
//                           taken alone and released before any other lock is taken.
//   Keypairs are shared_ptr, so a keypair removed from its peer stays valid for a
//   packet already being sealed or opened with it; its send counter is atomic.
//
// TIMERS
//   Tick(now) runs every expired per-peer timer. NextDeadline() is the earliest pending
//   deadline (TimePoint::max() when none). Handle*/ApplyConfig may move the deadline
//   earlier (never to less than 1 s after their `now`, except ApplyConfig's immediate
//   actions which it performs itself), so the timer thread should re-read NextDeadline()
//   after each batch of Handle* calls or wake at least every 250 ms. NextDeadline() is
//   O(number of peers). Calling Tick early or often is harmless.
//
// SILENCE
//   Nothing is sent in response to a datagram that does not authenticate, except a
//   cookie reply to a handshake message with a valid MAC1 while under load. Every
//   dropped packet is counted by reason in DeviceCounters.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"
#include "base/rng.h"
#include "base/secret.h"
#include "crypto/x25519.h"
#include "wg/allowed_ips.h"
#include "wg/constants.h"
#include "wg/endpoint.h"

namespace dlog::wg {

// ---------------------------------------------------------------------------------
// Output: a caller-owned, reusable batch of results.
//
// The device appends; the caller reads, sends/writes, then calls Clear(). Clear()
// keeps every slot's buffer, so a warmed-up Output does not allocate on the data path.
// Not thread-safe: one Output per calling thread. Spans returned by the accessors are
// valid until the next Add*/Clear on this Output.
class Output {
 public:
  void Clear() {
    datagram_count_ = 0;
    tun_packet_count_ = 0;
  }
  bool empty() const { return datagram_count_ == 0 && tun_packet_count_ == 0; }

  // Datagrams to send on the UDP socket, in order.
  size_t datagram_count() const { return datagram_count_; }
  const Endpoint& datagram_endpoint(size_t i) const { return datagrams_[i].to; }
  ByteSpan datagram(size_t i) const { return datagrams_[i].span(); }

  // Decrypted IP packets (IPv4 or IPv6, padding trimmed) to write to the TUN, in order.
  size_t tun_packet_count() const { return tun_packet_count_; }
  ByteSpan tun_packet(size_t i) const { return tun_packets_[i].span(); }

  // For the device: reserve a slot of `size` bytes (contents unspecified) and return
  // it for filling; PopDatagram/PopTunPacket undo the last reservation; Trim* shrinks
  // the last one.
  MutableByteSpan AddDatagram(const Endpoint& to, size_t size) {
    Slot& s = Next(datagrams_, datagram_count_, size);
    s.to = to;
    return {s.buf.data(), size};
  }
  MutableByteSpan AddTunPacket(size_t size) {
    Slot& s = Next(tun_packets_, tun_packet_count_, size);
    return {s.buf.data(), size};
  }
  void PopDatagram() { --datagram_count_; }
  void PopTunPacket() { --tun_packet_count_; }
  void TrimLastTunPacket(size_t size) { tun_packets_[tun_packet_count_ - 1].size = size; }

 private:
  struct Slot {
    Endpoint to;
    Bytes buf;  // capacity only grows; `size` bytes are in use
    size_t size = 0;
    ByteSpan span() const { return {buf.data(), size}; }
  };
  static Slot& Next(std::vector<Slot>& slots, size_t& count, size_t size) {
    if (count == slots.size()) slots.emplace_back();
    Slot& s = slots[count++];
    if (s.buf.size() < size) s.buf.resize(size);
    s.size = size;
    return s;
  }
  std::vector<Slot> datagrams_;
  std::vector<Slot> tun_packets_;
  size_t datagram_count_ = 0;
  size_t tun_packet_count_ = 0;
};

// ---------------------------------------------------------------------------------
// Configuration, mirroring the cross-platform UAPI "set=1" keys
// (https://www.wireguard.com/xplatform/), applied in this order.

using PublicKey = crypto::X25519Public;
using PrivateKey = crypto::X25519Private;
using PresharedKey = Secret<32>;

struct AllowedIpChange {
  IpPrefix prefix;
  bool remove = false;  // "allowed_ip=-<prefix>": remove only if it maps to this peer
};

struct PeerUpdate {
  PublicKey public_key{};    // "public_key": selects (or creates) the peer
  bool remove = false;       // "remove=true": delete the peer; other fields ignored
  bool update_only = false;  // "update_only=true": do not create the peer if absent
  std::optional<PresharedKey> preshared_key;              // all zero: no PSK
  std::optional<Endpoint> endpoint;                       // "endpoint"
  std::optional<uint16_t> persistent_keepalive_interval;  // seconds, 0: off
  bool replace_allowed_ips = false;                       // applied before the list
  std::vector<AllowedIpChange> allowed_ips;               // in order
};

struct ConfigUpdate {
  // All zero clears the key. A new key recomputes every peer's static-static DH,
  // abandons handshakes in progress and removes the peer (if any) whose public key
  // equals the new public key (as wireguard-go).
  std::optional<PrivateKey> private_key;
  std::optional<uint16_t> listen_port;  // stored only; the daemon rebinds its socket
  std::optional<uint32_t> fwmark;       // stored only; 0 clears
  bool replace_peers = false;           // remove every peer before applying `peers`
  std::vector<PeerUpdate> peers;        // in order
};

// ---------------------------------------------------------------------------------
// Introspection: what `wg show` and UAPI "get=1" print, plus counters for tests/logs.

// Packets dropped in silence, by reason, and a few protocol events. Monotonic.
struct DeviceCounters {
  // Drops.
  uint64_t bad_size = 0;           // unknown type, or size wrong for its type
  uint64_t bad_mac1 = 0;           // handshake message whose MAC1 does not verify
  uint64_t rate_limited = 0;       // handshake message over the per-source limit (under load)
  uint64_t handshake_failed = 0;   // did not authenticate: unknown key, bad AEAD, low-order
  uint64_t handshake_replay = 0;   // TAI64N not after the last, or initiation flood (< 20 ms)
  uint64_t handshake_state = 0;    // response/cookie for no initiation we have outstanding
  uint64_t bad_cookie_reply = 0;   // cookie reply that does not decrypt
  uint64_t unknown_index = 0;      // receiver index names no session of ours
  uint64_t expired_keypair = 0;    // transport under a keypair past REJECT_AFTER_TIME
  uint64_t decrypt_failed = 0;     // transport data whose AEAD tag does not verify
  uint64_t replayed = 0;           // transport counter replayed, too old or too large
  uint64_t disallowed_source = 0;  // inner source address not in the peer's allowed IPs
  uint64_t bad_inner_packet = 0;   // TUN or decrypted packet not IPv4/IPv6, or bad length
  uint64_t no_route = 0;           // TUN packet whose destination maps to no peer
  uint64_t no_endpoint = 0;        // something to send to a peer without an endpoint
  uint64_t staged_overflow = 0;    // oldest staged packet dropped (queue full)
  uint64_t staged_expired = 0;     // staged packets dropped when handshakes gave up
  uint64_t no_identity = 0;        // packet arrived or was sent while no private key is set
  uint64_t interface_down = 0;     // TUN packet or datagram while the interface is down
  // Events.
  uint64_t cookie_replies_sent = 0;
  uint64_t initiations_sent = 0;
  uint64_t responses_sent = 0;
  uint64_t handshakes_completed = 0;
  uint64_t keepalives_sent = 0;
};

struct PeerSnapshot {
  PublicKey public_key{};
  std::optional<PresharedKey> preshared_key;  // nullopt: none configured
  std::optional<Endpoint> endpoint;
  // Wall time of the last completed handshake; both 0 when none.
  int64_t last_handshake_sec = 0;
  int64_t last_handshake_nsec = 0;
  uint64_t tx_bytes = 0;  // whole datagrams sent to / received from this peer
  uint64_t rx_bytes = 0;
  uint16_t persistent_keepalive_interval = 0;
  std::vector<IpPrefix> allowed_ips;
  // Protocol state, for tests and diagnostics.
  bool has_current_keypair = false;
  bool has_previous_keypair = false;
  bool has_next_keypair = false;
  bool handshake_in_progress = false;  // an initiation of ours awaits its response
  size_t staged_packets = 0;
};

struct DeviceSnapshot {
  std::optional<PrivateKey> private_key;
  std::optional<PublicKey> public_key;
  uint16_t listen_port = 0;
  uint32_t fwmark = 0;
  int protocol_version = 1;
  std::vector<PeerSnapshot> peers;  // in the order they were added
  DeviceCounters counters;
};

// ---------------------------------------------------------------------------------

struct DeviceOptions {
  // TUN MTU: transport plaintext is padded to a multiple of 16, but not past the MTU.
  size_t mtu = 1420;
  size_t max_staged_packets = kMaxStagedPackets;  // per peer, oldest dropped first
  // Automatic load detection: under load once more than this many handshake messages
  // arrived within one second (wireguard-go: 1/8 of its 1024-deep handshake queue),
  // and for kUnderLoadAfterTime afterwards.
  uint32_t under_load_handshakes_per_second = 128;
};

enum class LoadMode { kAuto, kForceUnderLoad, kForceNotUnderLoad };

class Device {
 public:
  // `rng` must outlive the device; the device serialises its calls to it (a leaf lock).
  explicit Device(Rng& rng, DeviceOptions options = {});
  ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  // --- Configuration (UAPI thread) ---
  // Applies `update` in UAPI order. Immediate actions (a keepalive when a persistent
  // keepalive interval is switched on) go to `out`. Fails, leaving the changes made
  // before the failing item in place (as UAPI does), when the peer limit is reached.
  Status ApplyConfig(const ConfigUpdate& update, TimePoint now, WallTime wall, Output& out);
  DeviceSnapshot Snapshot() const;
  DeviceCounters Counters() const;
  void SetMtu(size_t mtu);

  // --- Interface state (wireguard-go device.go upLocked/downLocked) ---
  // A new device is up. Down: every peer is stopped (timers cancelled, sessions,
  // handshakes and staged packets erased); until up again nothing is sent, TUN packets
  // and datagrams are dropped (counted as interface_down), Tick does nothing and
  // ApplyConfig sends no immediate keepalive. Up (from down): every peer starts afresh
  // and each peer with a persistent keepalive interval sends a keepalive, which begins
  // with a handshake initiation when it has no session; to `out`. Idempotent.
  void SetUp(bool up, TimePoint now, WallTime wall, Output& out);
  bool IsUp() const;

  // --- Data path ---
  // An IP packet read from the TUN: routed by destination through AllowedIps, padded,
  // encrypted to the peer's current keypair and appended to out.datagrams. Without a
  // usable keypair the packet is staged (bounded) and a handshake initiation is sent.
  void HandleTunPacket(ByteSpan ip_packet, TimePoint now, WallTime wall, Output& out);
  // A UDP datagram received from `from`: handshake initiation/response, cookie reply or
  // transport data. Decrypted IP packets go to out.tun_packets; handshake answers,
  // staged packets and keepalives to out.datagrams.
  void HandleDatagram(const Endpoint& from, ByteSpan datagram, TimePoint now, WallTime wall,
                      Output& out);

  // --- Timers ---
  void Tick(TimePoint now, WallTime wall, Output& out);
  TimePoint NextDeadline() const;

  // --- Load (cookie/MAC2 and per-source rate limiting of handshakes) ---
  void SetLoadMode(LoadMode mode);
  bool UnderLoad(TimePoint now) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace dlog::wg
