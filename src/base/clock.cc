#include "base/clock.h"

#include <time.h>

namespace dlog {

TimePoint SystemClock::Now() const {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return TimePoint(Duration(int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec));
}

WallTime SystemClock::WallNow() const {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return WallTime{int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec};
}

}  // namespace dlog
