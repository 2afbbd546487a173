// Pacer: traffic shaping of one peer's datagrams to a constant byte rate.
//
// Datagrams wait in a bounded FIFO and leave on a schedule: after a datagram of s bytes,
// the next one may leave s·8/rate seconds later. When a send time comes and the queue is
// empty, a cover datagram (made by the caller, indistinguishable from real ones) leaves
// in its place, so the rate on the wire does not depend on how much is really sent.
// Cover keeps flowing until `idle` after the last real datagram was admitted; then the
// pacer stops until the next one. A pacer woken late catches up at most `max_lag` of
// sending time at once (a short burst), then resumes the schedule from `now`.
//
// Rate counts UDP payload bytes. Sans-I/O; not thread-safe (the owner locks).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>

#include "base/bytes.h"
#include "base/clock.h"

namespace dlog::obfs {

class Pacer {
 public:
  struct Options {
    uint64_t rate_bps = 10'000'000;
    size_t max_queue_bytes = 256 * 1024;
    Duration idle{std::chrono::seconds(120)};
    Duration max_lag{std::chrono::milliseconds(5)};
  };
  struct Counters {
    uint64_t real_sent = 0, cover_sent = 0, dropped = 0;
    uint64_t real_bytes = 0, cover_bytes = 0;
  };

  explicit Pacer(const Options& o) : o_(o) {}

  // Admits a real datagram (its bytes are moved in); false, and counted, when the queue
  // would exceed max_queue_bytes.
  bool Push(Bytes datagram, TimePoint now);
  // Calls `send` for every datagram due at `now`, in order: queued ones first, a cover
  // datagram from `make_cover` when the queue is empty and cover is still due.
  void Release(TimePoint now, const std::function<Bytes()>& make_cover,
               const std::function<void(Bytes&&, bool cover)>& send);
  // When Release has something to do next; TimePoint::max() when stopped and empty.
  TimePoint NextDeadline() const;
  bool active(TimePoint now) const { return !queue_.empty() || now < active_until_; }
  size_t queued_bytes() const { return queued_bytes_; }
  const Counters& counters() const { return c_; }

 private:
  Duration SendTime(size_t bytes) const;

  Options o_;
  std::deque<Bytes> queue_;
  size_t queued_bytes_ = 0;
  TimePoint next_send_{};
  TimePoint active_until_{};
  bool running_ = false;
  Counters c_;
};

}  // namespace dlog::obfs
