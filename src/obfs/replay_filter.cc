#include "obfs/replay_filter.h"

namespace dlog::obfs {

void ReplayFilter::Expire(TimePoint now) {
  while (!order_.empty() && (order_.front().at + ttl_ <= now || order_.size() >= capacity_)) {
    seen_.erase(order_.front().tag);
    order_.pop_front();
  }
}

bool ReplayFilter::Admit(uint64_t tag, TimePoint now) {
  Expire(now);
  if (!seen_.insert(tag).second) return false;
  order_.push_back({tag, now});
  return true;
}

}  // namespace dlog::obfs
