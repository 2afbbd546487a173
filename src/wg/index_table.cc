#include "wg/index_table.h"

#include <cassert>
#include <mutex>

namespace dlog::wg {

uint32_t IndexTable::NewHandshakeIndex(std::shared_ptr<Peer> peer, Rng& rng) {
  std::unique_lock lock(mu_);
  // At most 2^18 of 2^32 values are taken, so a collision repeats with p < 2^-14 and
  // this loop ends after a few draws; the bound only guards a broken Rng.
  for (int attempt = 0; attempt < 1 << 20; ++attempt) {
    uint32_t index = rng.U32();
    if (index == 0 || entries_.count(index)) continue;
    entries_.emplace(index, Entry{std::move(peer), nullptr});
    return index;
  }
  assert(false && "Rng yields no fresh index");
  return 0;
}

void IndexTable::SwapForKeypair(uint32_t index, KeypairPtr keypair) {
  std::unique_lock lock(mu_);
  auto it = entries_.find(index);
  if (it != entries_.end()) it->second.keypair = std::move(keypair);
}

void IndexTable::Remove(uint32_t index) {
  if (index == 0) return;
  std::unique_lock lock(mu_);
  entries_.erase(index);
}

void IndexTable::RemoveKeypair(const KeypairPtr& keypair) {
  if (!keypair) return;
  std::unique_lock lock(mu_);
  auto it = entries_.find(keypair->local_index());
  if (it != entries_.end() && it->second.keypair == keypair) entries_.erase(it);
}

std::optional<IndexTable::Entry> IndexTable::Lookup(uint32_t index) const {
  std::shared_lock lock(mu_);
  auto it = entries_.find(index);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

size_t IndexTable::size() const {
  std::shared_lock lock(mu_);
  return entries_.size();
}

}  // namespace dlog::wg
