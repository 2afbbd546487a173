// ReplayFilter: the tags of recently accepted kMessage datagrams (handshakes, cookies,
// PQ messages), so a captured one replayed by a prober is dropped before WireGuard or
// the PQ exchange can answer it (e.g. with a cookie reply under load).
//
// Remembers each tag for `ttl` (twice the time window of kMessage datagrams: anything
// older fails the time check anyway). Bounded: when `capacity` tags are held, the
// oldest is forgotten first. Not thread-safe (the owner locks).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <unordered_set>

#include "base/bytes.h"
#include "base/clock.h"

namespace dlog::obfs {

class ReplayFilter {
 public:
  ReplayFilter(size_t capacity, Duration ttl) : capacity_(capacity), ttl_(ttl) {}
  // True, and remembered, when `tag` was not seen within ttl; false for a replay.
  bool Admit(uint64_t tag, TimePoint now);
  size_t size() const { return seen_.size(); }

 private:
  void Expire(TimePoint now);
  struct Entry {
    uint64_t tag;
    TimePoint at;
  };
  size_t capacity_;
  Duration ttl_;
  std::deque<Entry> order_;  // oldest first
  std::unordered_set<uint64_t> seen_;
};

}  // namespace dlog::obfs
