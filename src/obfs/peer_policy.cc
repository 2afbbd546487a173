#include "obfs/peer_policy.h"

#include <mutex>

#include "obfs/constants.h"

namespace dlog::obfs {
namespace {

bool InPrefix(const wg::IpPrefix& p, const wg::Endpoint& ep) {
  if (p.v6 != ep.v6) return false;
  const size_t full = p.bits / 8, rest = p.bits % 8;
  for (size_t i = 0; i < full; ++i)
    if (p.addr[i] != ep.addr[i]) return false;
  if (rest == 0) return true;
  const uint8_t mask = uint8_t(0xff << (8 - rest));
  return (p.addr[full] & mask) == (ep.addr[full] & mask);
}

}  // namespace

bool PeerPolicy::Configured(const wg::Endpoint& ep) const {
  for (const StockPeer& s : stock_peers_)
    if (InPrefix(s.prefix, ep) && (s.port == 0 || s.port == ep.port)) return true;
  return false;
}

PeerMode PeerPolicy::ModeOf(const wg::Endpoint& ep, TimePoint now) const {
  if (!stock_peers_.empty() && Configured(ep)) return PeerMode::kStock;
  if (learned_count_.load(std::memory_order_relaxed) == 0) return PeerMode::kDisguised;
  std::shared_lock lock(mu_);
  auto it = learned_.find(KeyOf(ep));
  if (it == learned_.end() || it->second.refreshed + kLearnedEndpointTtl <= now)
    return PeerMode::kDisguised;
  return it->second.mode;
}

bool PeerPolicy::AcceptsStockFrom(const wg::Endpoint& from) const {
  return stock_roaming_ || Configured(from);
}

void PeerPolicy::Learn(const Key& k, PeerMode mode, TimePoint now) {
  {
    std::shared_lock lock(mu_);
    auto it = learned_.find(k);
    if (it != learned_.end() && it->second.mode == mode &&
        now < it->second.refreshed + std::chrono::seconds(1))
      return;  // refreshed a moment ago: spare the exclusive lock
  }
  std::unique_lock lock(mu_);
  if (learned_.size() >= kMaxLearnedEndpoints && !learned_.count(k)) {
    auto oldest = learned_.begin();
    for (auto it = learned_.begin(); it != learned_.end(); ++it)
      if (it->second.refreshed < oldest->second.refreshed) oldest = it;
    learned_.erase(oldest);
  }
  learned_[k] = {mode, now};
  learned_count_.store(learned_.size(), std::memory_order_relaxed);
}

void PeerPolicy::HeardStock(const wg::Endpoint& from, TimePoint now) {
  if (stock_roaming_ && !Configured(from)) Learn(KeyOf(from), PeerMode::kStock, now);
}

void PeerPolicy::HeardDisguised(const wg::Endpoint& from, bool from_hop_port, TimePoint now) {
  if (!from_hop_port) {
    Learn(KeyOf(from), PeerMode::kFixedPort, now);
    return;
  }
  if (learned_count_.load(std::memory_order_relaxed) == 0) return;
  std::unique_lock lock(mu_);
  if (learned_.erase(KeyOf(from))) learned_count_.store(learned_.size(), std::memory_order_relaxed);
}

size_t PeerPolicy::learned() const { return learned_count_.load(std::memory_order_relaxed); }

}  // namespace dlog::obfs
