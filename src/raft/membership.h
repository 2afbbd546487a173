// The voters of a cluster configuration, changed one server at a time (§4.1, §4.3).
//
// A membership entry carries the whole new voter set; a server uses the latest one in
// its log, committed or not. One change at a time keeps any majority of the old set and
// any majority of the new set overlapping.
//
// Encoding (little-endian), at most kMaxVoters ids, ascending, distinct, non-zero:
//   u32 count | count × u64 node id
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "raft/types.h"

namespace dlog::raft {

inline constexpr size_t kMaxVoters = 64;

struct MembershipChange {
  enum class Kind : uint8_t { kAdd, kRemove };
  Kind kind = Kind::kAdd;
  NodeId node = kNoNode;
};

class Membership {
 public:
  Membership() = default;
  // `voters` need not be sorted; ids must be distinct and non-zero, at most kMaxVoters.
  static Result<Membership> Make(std::vector<NodeId> voters);
  static Result<Membership> Decode(ByteSpan data);
  Bytes Encode() const;

  // The set after `change`, or an error a caller can act on (already a member, ...).
  Result<Membership> With(const MembershipChange& change) const;

  bool Contains(NodeId id) const;
  size_t size() const { return voters_.size(); }
  bool empty() const { return voters_.empty(); }
  size_t Quorum() const { return voters_.size() / 2 + 1; }
  const std::vector<NodeId>& voters() const { return voters_; }

  bool operator==(const Membership&) const = default;

 private:
  std::vector<NodeId> voters_;  // ascending
};

}  // namespace dlog::raft
