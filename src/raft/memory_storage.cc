#include "raft/memory_storage.h"

#include <algorithm>
#include <cassert>

namespace dlog::raft {

MemoryStorage::MemoryStorage(Membership bootstrap) : bootstrap_(std::move(bootstrap)) {}

Result<InitialState> MemoryStorage::LoadInitialState() const {
  return InitialState{live_.hard_state, bootstrap_};
}

Result<Term> MemoryStorage::TermAt(Index i) const {
  assert(i <= LastIndex());
  return i == 0 ? Term{0} : live_.entries[i - 1].term;
}

Result<std::vector<Entry>> MemoryStorage::Entries(Index lo, Index hi, uint64_t max_bytes) const {
  assert(lo >= 1 && lo < hi && hi <= LastIndex() + 1);
  std::vector<Entry> out;
  uint64_t bytes = 0;
  for (Index i = lo; i < hi; ++i) {
    const Entry& e = live_.entries[i - 1];
    bytes += e.data.size();
    if (!out.empty() && bytes > max_bytes) break;
    out.push_back(e);
  }
  return out;
}

Status MemoryStorage::Append(std::span<const Entry> entries) {
  if (entries.empty()) return Status::Ok();
  Index first = entries.front().index;
  if (first < 1 || first > LastIndex() + 1) {
    return Status::Error("memory storage: append leaves a gap");
  }
  live_.entries.resize(first - 1);
  dirty_from_ = std::min(dirty_from_, first);
  for (const Entry& e : entries) {
    assert(e.index == live_.entries.size() + 1);
    live_.entries.push_back(e);
  }
  return Status::Ok();
}

Status MemoryStorage::SetHardState(const HardState& hs) {
  live_.hard_state = hs;
  return Status::Ok();
}

Status MemoryStorage::Sync() {
  CopyTail(live_, &durable_);
  dirty_from_ = live_.entries.size() + 1;
  return Status::Ok();
}

void MemoryStorage::Crash() {
  CopyTail(durable_, &live_);
  dirty_from_ = live_.entries.size() + 1;
}

void MemoryStorage::CopyTail(const View& from, View* to) const {
  size_t keep = std::min<size_t>(dirty_from_ - 1, from.entries.size());
  to->entries.resize(std::min(keep, to->entries.size()));
  to->entries.insert(to->entries.end(), from.entries.begin() + ptrdiff_t(keep), from.entries.end());
  to->hard_state = from.hard_state;
}

}  // namespace dlog::raft
