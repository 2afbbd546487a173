#include "obfs/pacer.h"

#include <algorithm>

namespace dlog::obfs {

Duration Pacer::SendTime(size_t bytes) const {
  // bytes · 8 / rate seconds, in nanoseconds, without overflow for any sane rate.
  const __int128 ns = __int128(bytes) * 8 * 1'000'000'000 / __int128(o_.rate_bps);
  return Duration(int64_t(ns));
}

bool Pacer::Push(Bytes datagram, TimePoint now) {
  if (queued_bytes_ + datagram.size() > o_.max_queue_bytes) {
    ++c_.dropped;
    return false;
  }
  if (!running_) {
    running_ = true;
    next_send_ = now;
  }
  active_until_ = now + o_.idle;
  queued_bytes_ += datagram.size();
  queue_.push_back(std::move(datagram));
  return true;
}

void Pacer::Release(TimePoint now, const std::function<Bytes()>& make_cover,
                    const std::function<void(Bytes&&, bool)>& send) {
  if (!running_) return;
  if (next_send_ < now - o_.max_lag) next_send_ = now - o_.max_lag;
  while (next_send_ <= now) {
    if (!queue_.empty()) {
      Bytes d = std::move(queue_.front());
      queue_.pop_front();
      queued_bytes_ -= d.size();
      next_send_ += SendTime(d.size());
      ++c_.real_sent;
      c_.real_bytes += d.size();
      send(std::move(d), false);
    } else if (now < active_until_) {
      Bytes d = make_cover();
      next_send_ += SendTime(std::max<size_t>(d.size(), 1));
      ++c_.cover_sent;
      c_.cover_bytes += d.size();
      send(std::move(d), true);
    } else {
      running_ = false;  // idle: stop until the next Push
      return;
    }
  }
}

TimePoint Pacer::NextDeadline() const { return running_ ? next_send_ : TimePoint::max(); }

}  // namespace dlog::obfs
