// The receiving side of wg::Device: dispatch by message type, MAC1/MAC2 and cookie
// replies under load, handshake consumption, transport decryption, replay window,
// keypair confirmation, roaming and the inner source check (wireguard-go receive.go).
// A datagram that does not authenticate is dropped and counted, never answered.
#include <cstring>

#include "wg/constants.h"
#include "wg/device_state.h"
#include "wg/transport.h"

namespace dlog::wg {
namespace {

void Count(std::atomic<uint64_t>& counter) { counter.fetch_add(1, std::memory_order_relaxed); }

}  // namespace

void Device::State::ReceiveDatagram(const Endpoint& from, ByteSpan datagram, TimePoint now,
                                    WallTime wall, Output& out) {
  if (!up) return Count(counters.interface_down);
  switch (MessageTypeOf(datagram)) {
    case kMessageInitiation:
      if (auto msg = ParseMessage<MessageInitiation>(datagram)) {
        return ReceiveInitiation(from, *msg, now, wall, out);
      }
      break;
    case kMessageResponse:
      if (auto msg = ParseMessage<MessageResponse>(datagram)) {
        return ReceiveResponse(from, *msg, now, wall, out);
      }
      break;
    case kMessageCookieReply:
      if (auto msg = ParseMessage<MessageCookieReply>(datagram)) {
        return ReceiveCookieReply(*msg, now);
      }
      break;
    case kMessageTransport:
      if (datagram.size() >= kKeepaliveSize)
        return ReceiveTransport(from, datagram, now, wall, out);
      break;
    default:
      break;
  }
  Count(counters.bad_size);
}

template <typename Msg>
bool Device::State::AdmitHandshake(const Msg& msg, const Endpoint& from, TimePoint now,
                                   Output& out) {
  if (!identity) {
    Count(counters.no_identity);
    return false;
  }
  if (!checker->CheckMac1(msg)) {
    Count(counters.bad_mac1);
    return false;
  }
  if (!UnderLoad(now)) return true;
  if (!checker->CheckMac2(msg, from, now)) {
    MessageCookieReply reply = checker->CreateReply(msg, from, now, rng);
    MutableByteSpan buf = out.AddDatagram(from, sizeof reply);
    std::memcpy(buf.data(), &reply, sizeof reply);
    Count(counters.cookie_replies_sent);
    return false;
  }
  if (!RateLimitAllows(from, now)) {
    Count(counters.rate_limited);
    return false;
  }
  return true;
}

void Device::State::ReceiveInitiation(const Endpoint& from, const MessageInitiation& msg,
                                      TimePoint now, WallTime wall, Output& out) {
  load.Record(now, options.under_load_handshakes_per_second);
  std::shared_lock lock(mu);
  if (!AdmitHandshake(msg, from, now, out)) return;
  InitiationOpening opening;
  if (!OpenInitiation(*identity, msg, opening)) return Count(counters.handshake_failed);
  auto it = by_key.find(opening.initiator_static);
  if (it == by_key.end()) return Count(counters.handshake_failed);
  Peer& peer = *it->second;
  std::lock_guard peer_lock(peer.mu);
  if (peer.removed) return;
  switch (ConsumeInitiation(opening, msg, peer.handshake, now)) {
    case ConsumeStatus::kOk:
      break;
    case ConsumeStatus::kFailed:
      return Count(counters.handshake_failed);
    case ConsumeStatus::kReplay:
    case ConsumeStatus::kFlood:
      return Count(counters.handshake_replay);
  }
  peer.timers.AnyAuthenticatedPacketTraversal(now, peer.persistent_keepalive_interval);
  peer.timers.AnyAuthenticatedPacketReceived();
  peer.endpoint = from;
  peer.rx_bytes += sizeof msg;
  SendHandshakeResponse(peer, now, out);
}

void Device::State::ReceiveResponse(const Endpoint& from, const MessageResponse& msg, TimePoint now,
                                    WallTime wall, Output& out) {
  load.Record(now, options.under_load_handshakes_per_second);
  std::shared_lock lock(mu);
  if (!AdmitHandshake(msg, from, now, out)) return;
  uint32_t receiver = LoadLE32(msg.receiver);
  auto entry = index.Lookup(receiver);
  if (!entry || entry->keypair) return Count(counters.unknown_index);
  Peer& peer = *entry->peer;
  std::lock_guard peer_lock(peer.mu);
  Handshake& hs = peer.handshake;
  if (peer.removed || hs.local_index != receiver || hs.state != HandshakeState::kInitiationCreated)
    return Count(counters.handshake_state);
  if (!ConsumeResponse(*identity, hs, msg)) return Count(counters.handshake_failed);
  peer.timers.AnyAuthenticatedPacketTraversal(now, peer.persistent_keepalive_interval);
  peer.timers.AnyAuthenticatedPacketReceived();
  peer.endpoint = from;
  peer.rx_bytes += sizeof msg;
  SessionKeys keys;
  if (!DeriveSessionKeys(hs, keys)) return Count(counters.handshake_state);
  auto kp = std::make_shared<Keypair>(keys, now);
  index.SwapForKeypair(keys.local_index, kp);
  Retire(peer.keypairs.InstallAsInitiator(std::move(kp)));
  peer.timers.SessionDerived(now);
  HandshakeComplete(peer, wall);
  SendKeepalive(peer, now, wall, out);
}

void Device::State::HandshakeComplete(Peer& peer, WallTime wall) {
  peer.timers.HandshakeComplete();
  peer.last_handshake = wall;
  Count(counters.handshakes_completed);
}

void Device::State::ReceiveCookieReply(const MessageCookieReply& msg, TimePoint now) {
  auto entry = index.Lookup(LoadLE32(msg.receiver));
  if (!entry) return Count(counters.unknown_index);
  Peer& peer = *entry->peer;
  std::lock_guard peer_lock(peer.mu);
  if (peer.removed || !peer.cookie.ConsumeReply(msg, now)) Count(counters.bad_cookie_reply);
}

// Responder-side rekeying on receive: a session we initiated that is nearly too old to
// use (REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT) gets one new handshake.
void Device::State::KeepKeyFreshReceiving(Peer& peer, TimePoint now, WallTime wall, Output& out) {
  const KeypairPtr& kp = peer.keypairs.current();
  if (!kp || !kp->initiator() || peer.timers.sent_last_minute_handshake) return;
  if (now - kp->created() > kRekeyAfterTimeReceiving) {
    peer.timers.sent_last_minute_handshake = true;
    SendHandshakeInitiation(peer, /*retry=*/false, now, wall, out);
  }
}

void Device::State::ReceiveTransport(const Endpoint& from, ByteSpan datagram, TimePoint now,
                                     WallTime wall, Output& out) {
  uint32_t receiver = LoadLE32(datagram.data() + 4);
  uint64_t counter = LoadLE64(datagram.data() + 8);
  auto entry = index.Lookup(receiver);
  if (!entry || !entry->keypair) return Count(counters.unknown_index);
  const KeypairPtr& kp = entry->keypair;
  if (kp->ExpiredForReceiving(now)) return Count(counters.expired_keypair);

  // Decryption runs outside every lock.
  ByteSpan ciphertext = datagram.subspan(kTransportHeaderSize);
  MutableByteSpan plain = out.AddTunPacket(ciphertext.size() - kTagSize);
  if (!OpenTransport(*kp, counter, ciphertext, plain.data())) {
    out.PopTunPacket();
    return Count(counters.decrypt_failed);
  }
  if (!kp->AcceptReceiveCounter(counter)) {
    out.PopTunPacket();
    return Count(counters.replayed);
  }

  std::shared_lock lock(mu);
  Peer& peer = *entry->peer;
  {
    std::lock_guard peer_lock(peer.mu);
    if (peer.removed) return out.PopTunPacket();
    peer.endpoint = from;
    KeypairPtr retired;
    if (peer.keypairs.ConfirmNext(kp, retired)) {
      index.RemoveKeypair(retired);
      HandshakeComplete(peer, wall);
      SendStagedPackets(peer, now, wall, out);
    }
    KeepKeyFreshReceiving(peer, now, wall, out);
    peer.timers.AnyAuthenticatedPacketTraversal(now, peer.persistent_keepalive_interval);
    peer.timers.AnyAuthenticatedPacketReceived();
    peer.rx_bytes += datagram.size();
    if (plain.empty()) return out.PopTunPacket();  // keepalive
    peer.timers.DataReceived(now);
  }

  auto header = ParseIpHeader(plain);
  auto length = header ? InnerPacketLength(*header, plain.size()) : std::nullopt;
  if (!length) {
    out.PopTunPacket();
    return Count(counters.bad_inner_packet);
  }
  if (allowed_ips.Lookup(header->v6, header->source) != peer.id) {
    out.PopTunPacket();
    return Count(counters.disallowed_source);
  }
  out.TrimLastTunPacket(*length);
}

}  // namespace dlog::wg
