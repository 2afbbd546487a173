#include "wg/ratelimiter.h"

#include <algorithm>
#include <string>

namespace dlog::wg {
namespace {

// Token bucket in nanoseconds of credit, as the kernel's ratelimiter.c: one packet
// costs 1 s / kPacketsPerSecond, the bucket holds kPacketsBurstable packets, a new
// source starts full less the packet that created it, and a packet passes when at
// least one packet's worth of credit is left (kernel `>=`; wireguard-go's `>` differs
// only by one nanosecond).
constexpr int64_t kPacketCost = 1'000'000'000 / Ratelimiter::kPacketsPerSecond;
constexpr int64_t kMaxTokens = kPacketCost * Ratelimiter::kPacketsBurstable;
constexpr Duration kGcIdle = std::chrono::seconds(1);

constexpr uint8_t kV4MappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// The table key: '4' + the IPv4 address, or '6' + the IPv6 /64 prefix (one host
// commonly owns a whole /64). IPv4-mapped IPv6 sources (a dual-stack socket) count
// as the IPv4 address, or every IPv4 source would share ::/64's bucket. Ports and
// scope ids are ignored.
std::string SourceKey(const Endpoint& source) {
  const uint8_t* a = source.addr.data();
  if (source.v6 && !std::equal(a, a + 12, kV4MappedPrefix)) {
    return std::string("6") + std::string(reinterpret_cast<const char*>(a), 8);
  }
  const uint8_t* v4 = source.v6 ? a + 12 : a;
  return std::string("4") + std::string(reinterpret_cast<const char*>(v4), 4);
}

}  // namespace

bool Ratelimiter::Allow(const Endpoint& source, TimePoint now) {
  std::string key = SourceKey(source);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (entries_.size() >= kMaxEntries) return false;  // full: deny, as the kernel
    entries_.emplace(std::move(key), Bucket{kMaxTokens - kPacketCost, now});
    return true;
  }
  Bucket& b = it->second;
  if (now > b.last) {  // a stale `now` earns nothing and does not move `last` back
    b.tokens = std::min(kMaxTokens, b.tokens + (now - b.last).count());
    b.last = now;
  }
  if (b.tokens < kPacketCost) return false;
  b.tokens -= kPacketCost;
  return true;
}

void Ratelimiter::Gc(TimePoint now) {
  std::erase_if(entries_, [now](const auto& kv) { return now - kv.second.last > kGcIdle; });
}

}  // namespace dlog::wg
