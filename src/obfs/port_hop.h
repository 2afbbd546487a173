// PortHopSchedule: which UDP port the cluster uses when, derived from the cluster secret
// and the wall clock, so both ends agree without announcing anything.
//
//   epoch(t)  = floor(t / hop_interval)            (t: Unix time)
//   port(e)   = the PRF(k_hop, e, j) mod n -th of the n ports of the range whose parity
//               is that of e, for the first j = 0, 1, … that does not give 51820 (stock
//               WireGuard's port, which classifiers match on alone). Alternating parity
//               makes consecutive epochs differ; a range too small for that (a single
//               usable port of one parity) falls back to the other parity.
//   PRF       = BLAKE2s-64 keyed with k_hop over "port" ‖ LE64(e) ‖ LE32(j)
//
// Every member listens on port(e) and sends from it to port(e) of its peers. Around a
// hop it also listens on the neighbouring epoch's port for `grace` (min(interval / 4,
// 30 s)): up to grace after the hop on the old port, and from grace before it on the
// new one, so datagrams in flight and clocks a little apart lose nothing.
//
// Immutable after construction; thread-safe.
#pragma once

#include <array>
#include <cstdint>

#include "base/clock.h"
#include "base/secret.h"

namespace dlog::obfs {

struct PortPlan {
  int64_t epoch = 0;
  uint16_t current = 0;              // listen on it, send from it and to it
  std::array<uint16_t, 3> listen{};  // every port to have open now; current first
  size_t listen_count = 0;
  WallTime next_change;  // the plan is valid until then
  bool Listens(uint16_t port) const;
};

class PortHopSchedule {
 public:
  PortHopSchedule(const Secret<32>& hop_key, uint16_t port_min, uint16_t port_max,
                  Duration interval);

  Duration interval() const { return interval_; }
  Duration grace() const { return grace_; }
  int64_t EpochAt(WallTime t) const;
  WallTime EpochStart(int64_t epoch) const;
  uint16_t PortOf(int64_t epoch) const;
  PortPlan PlanAt(WallTime t) const;
  // True when `port` is the port of the epoch at `t` or of a neighbouring one: what a
  // hopping peer sends from.
  bool IsHopPort(uint16_t port, WallTime t) const;

 private:
  uint64_t Prf(int64_t epoch, uint32_t j) const;
  // The ports of one parity: first, count (count 0: none).
  std::pair<uint32_t, uint32_t> Parity(unsigned parity) const;

  Secret<32> key_;
  uint16_t min_, max_;
  Duration interval_, grace_;
};

}  // namespace dlog::obfs
