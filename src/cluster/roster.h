// Roster: the signed member records this member knows, merged by Supersedes.
//
// Records enter only after their signature was checked (the caller's job). At most
// kMaxMembers records; a record for a new key beyond that is refused. Address rules
// (docs/CLUSTER.md, "Addresses"):
//   allocation  the lowest host address of the prefix that no live record holds;
//               addresses of tombstones only when nothing else is free;
//   collision   when two live records hold one address, the record with the
//               lexicographically greater key must move: any node that notices gives it
//               the lowest free address under a higher version (Collisions()).
// Not thread-safe.
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "cluster/member.h"
#include "cluster/messages.h"

namespace dlog::cluster {

class Roster {
 public:
  // Inserts or replaces by Supersedes. True when the roster changed.
  bool Merge(const MemberRecord& r);
  const MemberRecord* Find(const PublicKey& key) const;
  const std::map<PublicKey, MemberRecord>& records() const { return records_; }
  size_t size() const { return records_.size(); }
  bool IsLive(const PublicKey& key) const;

  // Lowest free host address in [first, last]; nullopt when the prefix is full.
  std::optional<uint32_t> LowestFree(uint32_t first, uint32_t last) const;
  // Keys of live records that must move (collision rule above), ascending.
  std::vector<PublicKey> Collisions() const;

  RosterDigest Digest() const;
  std::vector<SummaryEntry> Summary() const;
  // Records of ours that `theirs` lacks or holds in an older version.
  std::vector<const MemberRecord*> NewerThan(const std::vector<SummaryEntry>& theirs) const;
  // True when `theirs` holds a record we lack or hold in an older version.
  bool TheyHaveNewer(const std::vector<SummaryEntry>& theirs) const;

 private:
  std::map<PublicKey, MemberRecord> records_;
};

// Summary-level Supersedes (consistent with member.h's, up to 8-byte digest prefixes).
bool EntrySupersedes(const SummaryEntry& a, const SummaryEntry& b);

}  // namespace dlog::cluster
