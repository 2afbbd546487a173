// wg::Device: construction, configuration (UAPI semantics), introspection and timers.
#include "wg/device.h"

#include <algorithm>

#include "wg/device_state.h"

namespace dlog::wg {

static_assert(sizeof(DeviceCounters) == 24 * sizeof(uint64_t),
              "DeviceCounters and DLOG_WG_DEVICE_COUNTERS must list the same fields");

DeviceCounters AtomicCounters::Load() const {
  DeviceCounters c;
#define DLOG_WG_LOAD(name) c.name = name.load(std::memory_order_relaxed);
  DLOG_WG_DEVICE_COUNTERS(DLOG_WG_LOAD)
#undef DLOG_WG_LOAD
  return c;
}

void LoadMeter::Record(TimePoint now, uint32_t threshold) {
  std::lock_guard lock(mu_);
  if (!window_start_ || now - *window_start_ >= seconds(1) || now < *window_start_) {
    window_start_ = now;
    count_ = 0;
  }
  if (++count_ > threshold) under_load_until_ = now + kUnderLoadAfterTime;
}

bool LoadMeter::UnderLoad(TimePoint now) const {
  std::lock_guard lock(mu_);
  return under_load_until_ && now < *under_load_until_;
}

Device::State::State(Rng& rng, DeviceOptions options)
    : rng(rng), options(options), mtu(options.mtu) {}

bool Device::State::UnderLoad(TimePoint now) const {
  switch (load_mode.load(std::memory_order_relaxed)) {
    case LoadMode::kForceUnderLoad:
      return true;
    case LoadMode::kForceNotUnderLoad:
      return false;
    case LoadMode::kAuto:
      break;
  }
  return load.UnderLoad(now);
}

bool Device::State::RateLimitAllows(const Endpoint& from, TimePoint now) {
  std::lock_guard lock(ratelimiter_mu);
  return ratelimiter.Allow(from, now);
}

void Device::State::GcRateLimiter(TimePoint now) {
  std::lock_guard lock(ratelimiter_mu);
  if (last_gc && now - *last_gc < seconds(1)) return;
  last_gc = now;
  ratelimiter.Gc(now);
}

// ---------------------------------------------------------------------------------
// Configuration.

void Device::State::SetPrivateKey(const PrivateKey& raw, TimePoint now) {
  PrivateKey key = raw;
  if (key.IsZero()) {
    identity.reset();
    checker.reset();
  } else {
    crypto::ClampPrivateKey(key);
    if (identity && identity->private_key == key) return;
    crypto::X25519Public pub = crypto::PublicKeyOf(key);
    if (auto it = by_key.find(pub); it != by_key.end()) RemovePeer(it->second);
    identity = StaticIdentity{key, pub};
    checker = std::make_unique<CookieChecker>(pub);
  }
  for (const auto& peer : peers) {
    std::lock_guard lock(peer->mu);
    Handshake& hs = peer->handshake;
    hs.precomputed_static_static.Wipe();
    if (identity) {
      crypto::SharedSecret ss;
      if (crypto::X25519(identity->private_key, peer->public_key, ss))
        hs.precomputed_static_static = ss;
    }
    ExpireCurrentKeypairs(*peer, now);
  }
}

std::shared_ptr<Peer> Device::State::AddPeer(const crypto::X25519Public& public_key) {
  auto peer = std::make_shared<Peer>(next_peer_id++, public_key);
  if (identity) {
    crypto::SharedSecret ss;
    if (crypto::X25519(identity->private_key, public_key, ss))
      peer->handshake.precomputed_static_static = ss;
  }
  peers.push_back(peer);
  by_key.emplace(public_key, peer);
  by_id.emplace(peer->id, peer);
  return peer;
}

void Device::State::RemovePeer(std::shared_ptr<Peer> peer) {
  allowed_ips.RemovePeer(peer->id);
  {
    std::lock_guard lock(peer->mu);
    peer->removed = true;
    ZeroAndFlushAll(*peer);
    peer->timers.DelAll();
  }
  by_key.erase(peer->public_key);
  by_id.erase(peer->id);
  peers.erase(std::find(peers.begin(), peers.end(), peer));
}

void Device::State::RemoveAllPeers() {
  while (!peers.empty()) RemovePeer(peers.back());
}

Status Device::State::ApplyPeer(const PeerUpdate& update, TimePoint now, WallTime wall,
                                Output& out) {
  // A peer with our own public key is ignored, as wireguard-go does.
  if (identity && identity->public_key == update.public_key) return Status::Ok();
  std::shared_ptr<Peer> peer;
  if (auto it = by_key.find(update.public_key); it != by_key.end()) peer = it->second;
  if (update.remove) {
    if (peer) RemovePeer(peer);
    return Status::Ok();
  }
  if (!peer) {
    if (update.update_only) return Status::Ok();
    if (peers.size() >= kMaxPeers)
      return Status::Error("too many peers: the limit is " + std::to_string(kMaxPeers));
    peer = AddPeer(update.public_key);
  }
  if (update.replace_allowed_ips) allowed_ips.RemovePeer(peer->id);
  for (const AllowedIpChange& change : update.allowed_ips) {
    if (change.remove) {
      allowed_ips.Remove(change.prefix, peer->id);
    } else {
      allowed_ips.Insert(change.prefix, peer->id);
    }
  }
  std::lock_guard lock(peer->mu);
  if (update.preshared_key) peer->handshake.preshared_key = *update.preshared_key;
  if (update.endpoint) peer->endpoint = *update.endpoint;
  bool keepalive_switched_on = false;
  if (update.persistent_keepalive_interval) {
    keepalive_switched_on =
        peer->persistent_keepalive_interval == 0 && *update.persistent_keepalive_interval != 0;
    peer->persistent_keepalive_interval = *update.persistent_keepalive_interval;
    if (*update.persistent_keepalive_interval == 0)
      peer->timers.Del(PeerTimers::kPersistentKeepalive);
  }
  if (keepalive_switched_on && up) SendKeepalive(*peer, now, wall, out);
  return Status::Ok();
}

// ---------------------------------------------------------------------------------
// Peer state resets.

void Device::State::Retire(const RetiredKeypairs& retired) {
  for (const KeypairPtr& kp : retired) index.RemoveKeypair(kp);
}

void Device::State::ExpireCurrentKeypairs(Peer& peer, TimePoint now) {
  index.Remove(peer.handshake.local_index);
  peer.handshake.Clear();
  peer.handshake.last_sent_handshake = now - (kRekeyTimeout + seconds(1));
  if (peer.keypairs.current()) peer.keypairs.current()->ExhaustSendCounter();
  if (peer.keypairs.next()) peer.keypairs.next()->ExhaustSendCounter();
}

void Device::State::FlushStaged(Peer& peer) {
  counters.staged_expired += peer.staged.size();
  peer.staged.clear();
}

void Device::State::ZeroAndFlushAll(Peer& peer) {
  Retire(peer.keypairs.Clear());
  index.Remove(peer.handshake.local_index);
  peer.handshake.Clear();
  FlushStaged(peer);
}

// ---------------------------------------------------------------------------------
// Timers (wireguard-go timers.go expired* functions).

void Device::State::RunTimer(Peer& peer, PeerTimers::Timer timer, TimePoint now, WallTime wall,
                             Output& out) {
  PeerTimers& timers = peer.timers;
  switch (timer) {
    case PeerTimers::kRetransmitHandshake:
      if (timers.handshake_attempts > uint32_t(kMaxTimerHandshakes)) {
        timers.Del(PeerTimers::kSendKeepalive);
        FlushStaged(peer);
        if (!timers.Pending(PeerTimers::kZeroKeyMaterial))
          timers.Mod(PeerTimers::kZeroKeyMaterial, now + kZeroKeyMaterialTime);
      } else {
        ++timers.handshake_attempts;
        SendHandshakeInitiation(peer, /*retry=*/true, now, wall, out);
      }
      break;
    case PeerTimers::kSendKeepalive:
      SendKeepalive(peer, now, wall, out);
      if (timers.need_another_keepalive) {
        timers.need_another_keepalive = false;
        timers.Mod(PeerTimers::kSendKeepalive, now + kKeepaliveTimeout);
      }
      break;
    case PeerTimers::kNewHandshake:
      SendHandshakeInitiation(peer, /*retry=*/false, now, wall, out);
      break;
    case PeerTimers::kZeroKeyMaterial:
      ZeroAndFlushAll(peer);
      break;
    case PeerTimers::kPersistentKeepalive:
      if (peer.persistent_keepalive_interval > 0) SendKeepalive(peer, now, wall, out);
      break;
    case PeerTimers::kNumTimers:
      break;
  }
}

// ---------------------------------------------------------------------------------
// Public methods.

Device::Device(Rng& rng, DeviceOptions options) : state_(std::make_unique<State>(rng, options)) {}

Device::~Device() = default;

Status Device::ApplyConfig(const ConfigUpdate& update, TimePoint now, WallTime wall, Output& out) {
  State& s = *state_;
  std::unique_lock lock(s.mu);
  if (update.private_key) s.SetPrivateKey(*update.private_key, now);
  if (update.listen_port) s.listen_port = *update.listen_port;
  if (update.fwmark) s.fwmark = *update.fwmark;
  if (update.replace_peers) s.RemoveAllPeers();
  for (const PeerUpdate& peer : update.peers) {
    Status st = s.ApplyPeer(peer, now, wall, out);
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

DeviceSnapshot Device::Snapshot() const {
  const State& s = *state_;
  DeviceSnapshot snap;
  std::shared_lock lock(s.mu);
  if (s.identity) {
    snap.private_key = s.identity->private_key;
    snap.public_key = s.identity->public_key;
  }
  snap.listen_port = s.listen_port;
  snap.fwmark = s.fwmark;
  for (const auto& peer : s.peers) {
    PeerSnapshot p;
    p.public_key = peer->public_key;
    p.allowed_ips = s.allowed_ips.PrefixesOf(peer->id);
    std::lock_guard peer_lock(peer->mu);
    if (!peer->handshake.preshared_key.IsZero()) p.preshared_key = peer->handshake.preshared_key;
    p.endpoint = peer->endpoint;
    p.last_handshake_sec = peer->last_handshake.unix_nanos / 1'000'000'000;
    p.last_handshake_nsec = peer->last_handshake.unix_nanos % 1'000'000'000;
    p.tx_bytes = peer->tx_bytes;
    p.rx_bytes = peer->rx_bytes;
    p.persistent_keepalive_interval = peer->persistent_keepalive_interval;
    p.has_current_keypair = peer->keypairs.current() != nullptr;
    p.has_previous_keypair = peer->keypairs.previous() != nullptr;
    p.has_next_keypair = peer->keypairs.next() != nullptr;
    p.handshake_in_progress = peer->handshake.state == HandshakeState::kInitiationCreated;
    p.staged_packets = peer->staged.size();
    snap.peers.push_back(std::move(p));
  }
  snap.counters = s.counters.Load();
  return snap;
}

DeviceCounters Device::Counters() const { return state_->counters.Load(); }

void Device::SetMtu(size_t mtu) { state_->mtu.store(mtu, std::memory_order_relaxed); }

void Device::HandleTunPacket(ByteSpan ip_packet, TimePoint now, WallTime wall, Output& out) {
  state_->RoutePacket(ip_packet, now, wall, out);
}

void Device::HandleDatagram(const Endpoint& from, ByteSpan datagram, TimePoint now, WallTime wall,
                            Output& out) {
  state_->ReceiveDatagram(from, datagram, now, wall, out);
}

void Device::Tick(TimePoint now, WallTime wall, Output& out) {
  State& s = *state_;
  s.GcRateLimiter(now);
  std::shared_lock lock(s.mu);
  if (!s.up) return;
  for (const auto& peer : s.peers) {
    if (peer->timers.NextDeadline() > now) continue;
    std::lock_guard peer_lock(peer->mu);
    for (int i = 0; i < PeerTimers::kNumTimers; ++i) {
      auto timer = peer->timers.PopExpired(now);
      if (!timer) break;
      s.RunTimer(*peer, *timer, now, wall, out);
    }
  }
}

TimePoint Device::NextDeadline() const {
  const State& s = *state_;
  std::shared_lock lock(s.mu);
  TimePoint next = TimePoint::max();
  for (const auto& peer : s.peers) next = std::min(next, peer->timers.NextDeadline());
  return next;
}

void Device::SetUp(bool up, TimePoint now, WallTime wall, Output& out) {
  State& s = *state_;
  std::unique_lock lock(s.mu);
  if (s.up == up) return;
  s.up = up;
  for (const auto& peer : s.peers) {
    std::lock_guard peer_lock(peer->mu);
    if (!up) {
      peer->timers.DelAll();
      s.ZeroAndFlushAll(*peer);
      continue;
    }
    peer->handshake.last_sent_handshake = now - (kRekeyTimeout + seconds(1));
    if (peer->persistent_keepalive_interval > 0) s.SendKeepalive(*peer, now, wall, out);
  }
}

bool Device::IsUp() const { return state_->up; }

void Device::SetLoadMode(LoadMode mode) { state_->load_mode.store(mode); }

bool Device::UnderLoad(TimePoint now) const { return state_->UnderLoad(now); }

}  // namespace dlog::wg
