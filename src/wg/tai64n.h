// TAI64N timestamps (12 bytes, big endian) as WireGuard's initiation carries them.
// Rounded down to a multiple of 2^24 ns (as wireguard-go's whitenoise rounding), so the
// timestamp does not leak fine-grained clock readings.
#pragma once

#include <array>
#include <cstdint>

#include "base/clock.h"

namespace dlog::wg {

using Tai64n = std::array<uint8_t, 12>;

Tai64n MakeTai64n(WallTime wall);
// Byte-wise big-endian comparison: true when a is strictly after b.
bool Tai64nAfter(const Tai64n& a, const Tai64n& b);

}  // namespace dlog::wg
