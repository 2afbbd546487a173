#include "wg/tai64n.h"

#include <cstring>

#include "base/bytes.h"

namespace dlog::wg {
namespace {

// TAI64 label of the Unix epoch: 2^62 plus the 10 s TAI-UTC offset of 1970, as
// https://cr.yp.to/libtai/tai64.html defines it and both the Linux kernel and
// wireguard-go write it (leap seconds since 1972 are not counted, as there).
constexpr uint64_t kTai64UnixEpoch = 0x400000000000000aULL;
// Nanoseconds are rounded down to a multiple of 2^24 ns: the largest power of two
// below 1 s / INITIATIONS_PER_SECOND (50), as the kernel's tai64n_now() does.
constexpr uint32_t kWhitenerMask = (1u << 24) - 1;
constexpr int64_t kNanosPerSecond = 1'000'000'000;

}  // namespace

Tai64n MakeTai64n(WallTime wall) {
  int64_t secs = wall.unix_nanos / kNanosPerSecond;
  int64_t nanos = wall.unix_nanos % kNanosPerSecond;
  if (nanos < 0) {  // floor division for instants before 1970
    nanos += kNanosPerSecond;
    --secs;
  }
  Tai64n out;
  StoreBE64(out.data(), kTai64UnixEpoch + uint64_t(secs));
  StoreBE32(out.data() + 8, uint32_t(nanos) & ~kWhitenerMask);
  return out;
}

bool Tai64nAfter(const Tai64n& a, const Tai64n& b) {
  return std::memcmp(a.data(), b.data(), a.size()) > 0;
}

}  // namespace dlog::wg
