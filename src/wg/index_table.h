// IndexTable: the device's map from our 32-bit session indices to the peer and, once
// a session is derived, the keypair (paper §5.4: "I_i", "I_r"; wireguard-go
// indextable.go). Receiver indices of responses, cookie replies and transport
// messages are looked up here.
//
// Indices are random, non-zero and unique. Bounded: each peer holds at most one
// handshake index and three keypair indices, so at most 4 * kMaxPeers entries.
// Thread-safe: one internal shared_mutex, a leaf lock (the Rng lock may nest in it).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <unordered_map>

#include "base/rng.h"
#include "wg/keypair.h"

namespace dlog::wg {

struct Peer;

class IndexTable {
 public:
  struct Entry {
    std::shared_ptr<Peer> peer;
    KeypairPtr keypair;  // null while the index names a handshake in progress
  };

  // A fresh index naming `peer`'s handshake.
  uint32_t NewHandshakeIndex(std::shared_ptr<Peer> peer, Rng& rng);
  // The handshake index `index` now names `keypair` (same number, as on the wire).
  void SwapForKeypair(uint32_t index, KeypairPtr keypair);
  void Remove(uint32_t index);
  // Removes the keypair's index if it still names that keypair.
  void RemoveKeypair(const KeypairPtr& keypair);
  std::optional<Entry> Lookup(uint32_t index) const;
  size_t size() const;

 private:
  mutable std::shared_mutex mu_;
  std::unordered_map<uint32_t, Entry> entries_;  // guarded by mu_
};

}  // namespace dlog::wg
