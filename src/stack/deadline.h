// Deadline: a Timeout (stack.h) turned into a point in time, for loops that wait
// several times for one call. Internal to the stack layer.
#pragma once

#include <chrono>

#include "stack/stack.h"

namespace dlog::stack {

class Deadline {
 public:
  using Clock = std::chrono::steady_clock;
  explicit Deadline(Timeout timeout)
      : forever_(timeout < Timeout::zero()), at_(Clock::now() + (forever_ ? Timeout{} : timeout)) {}
  bool forever() const { return forever_; }
  Clock::time_point at() const { return at_; }
  bool Passed() const { return !forever_ && Clock::now() >= at_; }
  // Milliseconds for poll(): -1 forever, else the remainder rounded up, at least 0.
  int PollMs() const {
    if (forever_) return -1;
    auto left = std::chrono::ceil<std::chrono::milliseconds>(at_ - Clock::now()).count();
    return left < 0 ? 0 : left > 1000000000 ? 1000000000 : int(left);
  }

 private:
  bool forever_;
  Clock::time_point at_;
};

}  // namespace dlog::stack
