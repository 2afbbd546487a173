// The sending side of wg::Device: routing TUN packets to peers, staging them while no
// session exists, handshake initiations and keepalives (wireguard-go send.go).
#include <cstring>

#include "wg/constants.h"
#include "wg/device_state.h"
#include "wg/transport.h"

namespace dlog::wg {
namespace {

// A transport message to seal once the locks are released.
struct SealJob {
  KeypairPtr keypair;
  uint64_t counter = 0;
  Endpoint to;
};

}  // namespace

void Device::State::RoutePacket(ByteSpan packet, TimePoint now, WallTime wall, Output& out) {
  auto header = ParseIpHeader(packet);
  if (!header || packet.size() > kMaxContentSize) {
    counters.bad_inner_packet.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  SealJob job;
  {
    std::shared_lock lock(mu);
    if (!up) {
      counters.interface_down.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    auto id = allowed_ips.Lookup(header->v6, header->destination);
    if (!id) {
      counters.no_route.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    Peer& peer = *by_id.at(*id);
    std::lock_guard peer_lock(peer.mu);
    const KeypairPtr& current = peer.keypairs.current();
    if (!peer.staged.empty() || !current || !current->UsableForSending(now)) {
      StagePacket(peer, packet);
      SendStagedPackets(peer, now, wall, out);
      return;
    }
    if (!peer.endpoint) {
      counters.no_endpoint.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    auto counter = current->NextSendCounter();
    if (!counter) {
      StagePacket(peer, packet);
      SendStagedPackets(peer, now, wall, out);
      return;
    }
    job = {current, *counter, *peer.endpoint};
    size_t size = TransportMessageSize(PaddedSize(packet.size(), mtu.load()));
    TransportSent(peer, /*data=*/true, size, now, wall, out);
  }
  // Sealing runs outside every lock, so several threads encrypt in parallel.
  size_t padded = PaddedSize(packet.size(), mtu.load(std::memory_order_relaxed));
  MutableByteSpan buf = out.AddDatagram(job.to, TransportMessageSize(padded));
  SealTransport(*job.keypair, job.counter, packet, padded, buf.data());
}

void Device::State::StagePacket(Peer& peer, ByteSpan packet) {
  if (peer.staged.size() >= options.max_staged_packets) {
    peer.staged.pop_front();
    counters.staged_overflow.fetch_add(1, std::memory_order_relaxed);
  }
  if (options.max_staged_packets > 0) peer.staged.emplace_back(packet.begin(), packet.end());
}

void Device::State::SendStagedPackets(Peer& peer, TimePoint now, WallTime wall, Output& out) {
  if (peer.staged.empty()) return;
  KeypairPtr kp = peer.keypairs.current();
  if (!kp || !kp->UsableForSending(now)) {
    SendHandshakeInitiation(peer, /*retry=*/false, now, wall, out);
    return;
  }
  if (!peer.endpoint) {
    counters.no_endpoint.fetch_add(peer.staged.size(), std::memory_order_relaxed);
    peer.staged.clear();
    return;
  }
  size_t mtu_now = mtu.load(std::memory_order_relaxed);
  while (!peer.staged.empty()) {
    auto counter = kp->NextSendCounter();
    if (!counter) {
      SendHandshakeInitiation(peer, /*retry=*/false, now, wall, out);
      return;
    }
    Bytes packet = std::move(peer.staged.front());
    peer.staged.pop_front();
    size_t padded = PaddedSize(packet.size(), mtu_now);
    MutableByteSpan buf = out.AddDatagram(*peer.endpoint, TransportMessageSize(padded));
    SealTransport(*kp, *counter, packet, padded, buf.data());
    TransportSent(peer, !packet.empty(), buf.size(), now, wall, out);
  }
}

void Device::State::TransportSent(Peer& peer, bool data, size_t size, TimePoint now, WallTime wall,
                                  Output& out) {
  peer.timers.AnyAuthenticatedPacketTraversal(now, peer.persistent_keepalive_interval);
  peer.timers.AnyAuthenticatedPacketSent();
  if (data) {
    peer.timers.DataSent(now, rng);
  } else {
    counters.keepalives_sent.fetch_add(1, std::memory_order_relaxed);
  }
  peer.tx_bytes += size;
  KeepKeyFreshSending(peer, now, wall, out);
}

void Device::State::SendKeepalive(Peer& peer, TimePoint now, WallTime wall, Output& out) {
  if (peer.staged.empty()) peer.staged.emplace_back();
  SendStagedPackets(peer, now, wall, out);
}

// Initiator-side rekeying on send: after REKEY_AFTER_MESSAGES, or when the session we
// initiated is older than REKEY_AFTER_TIME.
void Device::State::KeepKeyFreshSending(Peer& peer, TimePoint now, WallTime wall, Output& out) {
  const KeypairPtr& kp = peer.keypairs.current();
  if (!kp) return;
  if (kp->send_counter() > kRekeyAfterMessages ||
      (kp->initiator() && now - kp->created() > kRekeyAfterTime)) {
    SendHandshakeInitiation(peer, /*retry=*/false, now, wall, out);
  }
}

bool Device::State::EmitToPeer(Peer& peer, ByteSpan msg, Output& out) {
  if (!peer.endpoint) {
    counters.no_endpoint.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  MutableByteSpan buf = out.AddDatagram(*peer.endpoint, msg.size());
  std::memcpy(buf.data(), msg.data(), msg.size());
  peer.tx_bytes += msg.size();
  return true;
}

void Device::State::SendHandshakeInitiation(Peer& peer, bool retry, TimePoint now, WallTime wall,
                                            Output& out) {
  Handshake& hs = peer.handshake;
  if (!retry) peer.timers.handshake_attempts = 0;
  if (hs.last_sent_handshake && now - *hs.last_sent_handshake < kRekeyTimeout) return;
  hs.last_sent_handshake = now;
  if (!identity) {
    counters.no_identity.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  index.Remove(hs.local_index);
  hs.local_index = 0;
  uint32_t sender = index.NewHandshakeIndex(peer.shared_from_this(), rng);
  MessageInitiation msg;
  if (!CreateInitiation(*identity, hs, sender, wall, rng, msg)) {
    index.Remove(sender);
    hs.Clear();
    counters.handshake_failed.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  peer.cookie.AddMacs(msg, now);
  peer.timers.AnyAuthenticatedPacketTraversal(now, peer.persistent_keepalive_interval);
  peer.timers.AnyAuthenticatedPacketSent();
  if (EmitToPeer(peer, MessageBytes(msg), out))
    counters.initiations_sent.fetch_add(1, std::memory_order_relaxed);
  peer.timers.HandshakeInitiated(now, rng);
}

void Device::State::SendHandshakeResponse(Peer& peer, TimePoint now, Output& out) {
  Handshake& hs = peer.handshake;
  hs.last_sent_handshake = now;
  index.Remove(hs.local_index);
  hs.local_index = 0;
  uint32_t sender = index.NewHandshakeIndex(peer.shared_from_this(), rng);
  MessageResponse msg;
  SessionKeys keys;
  if (!CreateResponse(hs, sender, rng, msg) || !DeriveSessionKeys(hs, keys)) {
    index.Remove(sender);
    hs.Clear();
    counters.handshake_failed.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  peer.cookie.AddMacs(msg, now);
  auto kp = std::make_shared<Keypair>(keys, now);
  index.SwapForKeypair(sender, kp);
  Retire(peer.keypairs.InstallAsResponder(std::move(kp)));
  peer.timers.SessionDerived(now);
  peer.timers.AnyAuthenticatedPacketTraversal(now, peer.persistent_keepalive_interval);
  peer.timers.AnyAuthenticatedPacketSent();
  if (EmitToPeer(peer, MessageBytes(msg), out))
    counters.responses_sent.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace dlog::wg
