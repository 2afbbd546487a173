// Time as the protocol cores see it. Cores never read a clock; `now` is passed in.
#pragma once

#include <chrono>
#include <cstdint>

namespace dlog {

// Monotonic time since an arbitrary epoch (CLOCK_MONOTONIC in the daemon, zero-based in
// tests). Deadlines and timers use it.
using Duration = std::chrono::nanoseconds;
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;

// Wall-clock time, needed only for TAI64N timestamps and for `wg show`'s
// latest-handshake. Expressed as nanoseconds since the Unix epoch.
struct WallTime {
  int64_t unix_nanos = 0;
};

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
  virtual WallTime WallNow() const = 0;
};

// The real clocks.
class SystemClock final : public Clock {
 public:
  TimePoint Now() const override;
  WallTime WallNow() const override;
};

// A clock that only moves when told to; for tests and the simulator.
class FakeClock final : public Clock {
 public:
  TimePoint Now() const override { return now_; }
  WallTime WallNow() const override {
    return WallTime{wall_base_ + now_.time_since_epoch().count()};
  }
  void Advance(Duration d) { now_ += d; }
  void SetWallBase(int64_t unix_nanos) { wall_base_ = unix_nanos; }

 private:
  TimePoint now_{Duration(1'000'000'000)};
  int64_t wall_base_ = 1'700'000'000'000'000'000;
};

}  // namespace dlog
