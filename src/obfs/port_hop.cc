#include "obfs/port_hop.h"

#include <algorithm>
#include <cassert>
#include <tuple>

#include "crypto/blake2s.h"
#include "obfs/constants.h"

namespace dlog::obfs {
namespace {

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

}  // namespace

bool PortPlan::Listens(uint16_t port) const {
  return std::find(listen.begin(), listen.begin() + listen_count, port) !=
         listen.begin() + listen_count;
}

PortHopSchedule::PortHopSchedule(const Secret<32>& hop_key, uint16_t port_min, uint16_t port_max,
                                 Duration interval)
    : key_(hop_key),
      min_(port_min),
      max_(port_max),
      interval_(interval),
      grace_(std::min<Duration>(interval / 4, kMaxHopGrace)) {
  assert(port_min > 0 && port_min <= port_max && interval.count() > 0);
}

int64_t PortHopSchedule::EpochAt(WallTime t) const {
  return FloorDiv(t.unix_nanos, interval_.count());
}

WallTime PortHopSchedule::EpochStart(int64_t epoch) const {
  return WallTime{epoch * interval_.count()};
}

uint64_t PortHopSchedule::Prf(int64_t epoch, uint32_t j) const {
  uint8_t in[4 + 8 + 4] = {'p', 'o', 'r', 't'};
  StoreLE64(in + 4, uint64_t(epoch));
  StoreLE32(in + 12, j);
  uint8_t out[8];
  crypto::Blake2s(sizeof out, key_.span()).Update(in).Final(out);
  return LoadLE64(out);
}

std::pair<uint32_t, uint32_t> PortHopSchedule::Parity(unsigned parity) const {
  const uint32_t first = min_ + ((parity + 2 - min_ % 2) % 2);
  if (first > max_) return {first, 0};
  uint32_t count = (max_ - first) / 2 + 1;
  const bool has_51820 =
      (kWireGuardPort - first) % 2 == 0 && first <= kWireGuardPort && kWireGuardPort <= max_;
  if (has_51820 && count == 1) count = 0;  // its only port is unusable
  return {first, count};
}

uint16_t PortHopSchedule::PortOf(int64_t epoch) const {
  auto [first, count] = Parity(unsigned(epoch & 1));
  if (count == 0) std::tie(first, count) = Parity(unsigned(~epoch & 1));
  if (count == 0) return min_;  // the range is just 51820: ValidateOptions refuses it
  uint32_t p = first;
  for (uint32_t j = 0; j < 64; ++j) {
    p = first + 2 * uint32_t(Prf(epoch, j) % count);
    if (p != kWireGuardPort) return uint16_t(p);
  }
  return uint16_t(p + 2 <= max_ ? p + 2 : first);  // 64 draws of 51820: never in practice
}

PortPlan PortHopSchedule::PlanAt(WallTime t) const {
  PortPlan plan;
  plan.epoch = EpochAt(t);
  plan.current = PortOf(plan.epoch);
  plan.listen[plan.listen_count++] = plan.current;
  const int64_t start = EpochStart(plan.epoch).unix_nanos;
  const int64_t end = start + interval_.count();
  const int64_t g = grace_.count();
  int64_t next = end - g;  // when the next port opens
  auto add = [&](uint16_t port) {
    if (!plan.Listens(port)) plan.listen[plan.listen_count++] = port;
  };
  if (t.unix_nanos < start + g) {  // just hopped: keep the old port
    add(PortOf(plan.epoch - 1));
    next = start + g;
  }
  if (t.unix_nanos >= end - g) {  // about to hop: open the new port
    add(PortOf(plan.epoch + 1));
    next = end;
  }
  plan.next_change = WallTime{std::min(next, end)};
  return plan;
}

bool PortHopSchedule::IsHopPort(uint16_t port, WallTime t) const {
  const int64_t e = EpochAt(t);
  return port == PortOf(e) || port == PortOf(e - 1) || port == PortOf(e + 1);
}

}  // namespace dlog::obfs
