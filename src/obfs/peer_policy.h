// PeerPolicy: per endpoint, whether datagrams travel disguised or as stock WireGuard, and
// whether a disguised peer's port hops.
//
//   stock        the endpoint matches `stock_peers`, or (stock_roaming) it last sent a
//                datagram in stock WireGuard form. Sent as is; stock-form datagrams
//                from it are accepted. Stock-form datagrams from anyone else are dropped.
//   fixed port   a disguised datagram came from it on a port that is not a hop port (it
//                is behind a NAT that rewrites ports, or does not hop): replies go to its
//                port rather than to the hop port.
//   disguised    everything else (the default): disguised, addressed to the hop port
//                when hopping.
//
// Learnt entries expire after kLearnedEndpointTtl without traffic; at most
// kMaxLearnedEndpoints are kept (the least recently refreshed is forgotten first).
// A disguised datagram from an endpoint clears its stock mark, so a spoofed stock
// datagram cannot keep a member in stock mode. Thread-safe.
#pragma once

#include <atomic>
#include <map>
#include <shared_mutex>
#include <vector>

#include "base/clock.h"
#include "obfs/options.h"
#include "wg/endpoint.h"

namespace dlog::obfs {

enum class PeerMode : uint8_t { kDisguised, kFixedPort, kStock };

class PeerPolicy {
 public:
  PeerPolicy(std::vector<StockPeer> stock_peers, bool stock_roaming)
      : stock_peers_(std::move(stock_peers)), stock_roaming_(stock_roaming) {}

  PeerMode ModeOf(const wg::Endpoint& ep, TimePoint now) const;
  bool AcceptsStockFrom(const wg::Endpoint& from) const;
  // Facts from received datagrams.
  void HeardStock(const wg::Endpoint& from, TimePoint now);
  void HeardDisguised(const wg::Endpoint& from, bool from_hop_port, TimePoint now);
  size_t learned() const;

 private:
  struct Key {
    bool v6;
    std::array<uint8_t, 16> addr;
    uint16_t port;
    auto operator<=>(const Key&) const = default;
  };
  struct Entry {
    PeerMode mode;
    TimePoint refreshed;
  };
  static Key KeyOf(const wg::Endpoint& ep) { return {ep.v6, ep.addr, ep.port}; }
  bool Configured(const wg::Endpoint& ep) const;
  void Learn(const Key& k, PeerMode mode, TimePoint now);

  const std::vector<StockPeer> stock_peers_;
  const bool stock_roaming_;
  mutable std::shared_mutex mu_;  // guards learned_
  std::map<Key, Entry> learned_;
  std::atomic<size_t> learned_count_{0};  // lets the common case skip the lock
};

}  // namespace dlog::obfs
