// Ratelimiter: per-source-address token bucket for handshake initiations under load
// (as wireguard-go's ratelimiter: 20 packets/s per IP with a burst of 5; IPv6 keyed by
// its /64; an IPv4-mapped IPv6 source counts as its IPv4 address). Bounded: at most
// kMaxEntries sources tracked; while the table is full a new source is denied (as the
// kernel's ratelimiter); stale entries are expired by Gc(now), which the caller runs
// about once a second.
//
// Not thread-safe; callers serialise.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "base/clock.h"
#include "wg/endpoint.h"

namespace dlog::wg {

class Ratelimiter {
 public:
  static constexpr uint32_t kPacketsPerSecond = 20;
  static constexpr uint32_t kPacketsBurstable = 5;
  static constexpr size_t kMaxEntries = 65536;

  // True when a packet from `source` may be processed now (and consumes a token).
  bool Allow(const Endpoint& source, TimePoint now);
  // Drops entries idle for more than one second.
  void Gc(TimePoint now);
  size_t size() const { return entries_.size(); }

 private:
  struct Bucket {
    int64_t tokens;  // in nanoseconds of credit
    TimePoint last;
  };
  std::unordered_map<std::string, Bucket> entries_;
};

}  // namespace dlog::wg
