#include "replica/producer_table.h"

namespace dlog::replica {

SequenceVerdict ProducerTable::Check(uint64_t producer, uint64_t sequence,
                                     const ProducerSession** session) const {
  auto it = sessions_.find(producer);
  *session = nullptr;
  if (it == sessions_.end()) return SequenceVerdict::kApply;
  *session = &it->second;
  uint64_t next = it->second.next_sequence;
  if (sequence == next) return SequenceVerdict::kApply;
  if (sequence > next) return SequenceVerdict::kOutOfOrder;
  return sequence + 1 == next ? SequenceVerdict::kDuplicateOfLast : SequenceVerdict::kDuplicate;
}

void ProducerTable::Applied(uint64_t producer, uint64_t sequence, log::Offset base,
                            log::Offset last, raft::Index index) {
  auto [it, inserted] = sessions_.try_emplace(producer);
  if (!inserted) by_age_.erase({it->second.last_index, producer});
  it->second = ProducerSession{sequence + 1, base, last, index};
  by_age_.insert({index, producer});
  while (sessions_.size() > max_) {
    auto oldest = by_age_.begin();
    sessions_.erase(oldest->second);
    by_age_.erase(oldest);
  }
}

std::vector<std::pair<uint64_t, ProducerSession>> ProducerTable::Sessions() const {
  return {sessions_.begin(), sessions_.end()};
}

void ProducerTable::Restore(const std::vector<std::pair<uint64_t, ProducerSession>>& sessions) {
  Clear();
  for (const auto& [producer, s] : sessions) {
    if (!sessions_.try_emplace(producer, s).second) continue;
    by_age_.insert({s.last_index, producer});
  }
  while (sessions_.size() > max_) {
    auto oldest = by_age_.begin();
    sessions_.erase(oldest->second);
    by_age_.erase(oldest);
  }
}

void ProducerTable::Clear() {
  sessions_.clear();
  by_age_.clear();
}

}  // namespace dlog::replica
