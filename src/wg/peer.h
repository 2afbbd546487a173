// Peer: the device's state for one remote party (wireguard-go peer.go). The device
// creates, mutates and removes peers; nothing else holds one for long.
//
// `id` and `public_key` are immutable. Every other field is guarded by `mu` (lock order:
// Device::mu_ before Peer::mu; leaf locks after). A removed peer (`removed`) may still
// be referenced by a packet in flight; every operation on it is then a no-op.
#pragma once

#include <deque>
#include <memory>
#include <mutex>
#include <optional>

#include "base/bytes.h"
#include "base/clock.h"
#include "crypto/x25519.h"
#include "wg/allowed_ips.h"
#include "wg/cookie.h"
#include "wg/endpoint.h"
#include "wg/keypair.h"
#include "wg/noise.h"
#include "wg/timers.h"

namespace dlog::wg {

struct Peer : std::enable_shared_from_this<Peer> {
  Peer(PeerId id, const crypto::X25519Public& public_key)
      : id(id), public_key(public_key), cookie(public_key) {
    handshake.remote_static = public_key;
  }

  const PeerId id;
  const crypto::X25519Public public_key;

  std::mutex mu;
  bool removed = false;
  std::optional<Endpoint> endpoint;
  uint16_t persistent_keepalive_interval = 0;  // seconds; 0: off
  Handshake handshake;                         // holds the PSK and static-static DH
  CookieGenerator cookie;
  KeypairSet keypairs;
  PeerTimers timers;
  std::deque<Bytes> staged;   // packets awaiting a session; bounded by the device
  WallTime last_handshake{};  // 0: never
  uint64_t tx_bytes = 0;
  uint64_t rx_bytes = 0;
};

}  // namespace dlog::wg
