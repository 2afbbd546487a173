#include "cluster/roster.h"

#include <set>

#include "crypto/blake2s.h"

namespace dlog::cluster {

bool EntrySupersedes(const SummaryEntry& a, const SummaryEntry& b) {
  if (a.removed != b.removed) return a.removed;
  if (a.version != b.version) return a.version > b.version;
  return b.digest < a.digest;
}

bool Roster::Merge(const MemberRecord& r) {
  auto it = records_.find(r.key);
  if (it == records_.end()) {
    if (records_.size() >= kMaxMembers) return false;
    records_.emplace(r.key, r);
    return true;
  }
  if (!Supersedes(r, it->second)) return false;
  it->second = r;
  return true;
}

const MemberRecord* Roster::Find(const PublicKey& key) const {
  auto it = records_.find(key);
  return it == records_.end() ? nullptr : &it->second;
}

bool Roster::IsLive(const PublicKey& key) const {
  const MemberRecord* r = Find(key);
  return r && !r->removed;
}

std::optional<uint32_t> Roster::LowestFree(uint32_t first, uint32_t last) const {
  std::set<uint32_t> live, dead;
  for (const auto& [k, r] : records_) (r.removed ? dead : live).insert(r.overlay);
  for (uint32_t a = first; a <= last; ++a) {
    if (!live.count(a) && !dead.count(a)) return a;
  }
  for (uint32_t a = first; a <= last; ++a) {
    if (!live.count(a)) return a;
  }
  return std::nullopt;
}

std::vector<PublicKey> Roster::Collisions() const {
  std::map<uint32_t, const PublicKey*> holder;  // address → smallest live key holding it
  std::vector<PublicKey> out;
  for (const auto& [k, r] : records_) {  // ascending keys: the first holder stays
    if (r.removed) continue;
    if (holder.count(r.overlay)) {
      out.push_back(k);
    } else {
      holder[r.overlay] = &k;
    }
  }
  return out;
}

std::vector<SummaryEntry> Roster::Summary() const {
  std::vector<SummaryEntry> out;
  out.reserve(records_.size());
  for (const auto& [k, r] : records_) out.push_back(SummaryOf(r));
  return out;
}

RosterDigest Roster::Digest() const {
  crypto::Blake2s h;
  for (const auto& e : Summary()) {
    uint8_t v[9];
    StoreLE64(v, e.version);
    v[8] = e.removed;
    h.Update(e.key).Update(ByteSpan(v, 9)).Update(e.digest);
  }
  RosterDigest d;
  h.Final(d.hash.data());
  d.count = uint32_t(records_.size());
  return d;
}

std::vector<const MemberRecord*> Roster::NewerThan(const std::vector<SummaryEntry>& theirs) const {
  std::map<PublicKey, const SummaryEntry*> idx;
  for (const auto& e : theirs) idx[e.key] = &e;
  std::vector<const MemberRecord*> out;
  for (const auto& [k, r] : records_) {
    auto it = idx.find(k);
    if (it == idx.end() || EntrySupersedes(SummaryOf(r), *it->second)) out.push_back(&r);
  }
  return out;
}

bool Roster::TheyHaveNewer(const std::vector<SummaryEntry>& theirs) const {
  for (const auto& e : theirs) {
    const MemberRecord* r = Find(e.key);
    if (!r || EntrySupersedes(e, SummaryOf(*r))) return true;
  }
  return false;
}

}  // namespace dlog::cluster
