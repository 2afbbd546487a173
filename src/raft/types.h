// Raft vocabulary shared by the core, its storage and the wire codec.
//
// References: Ongaro & Ousterhout, "In Search of an Understandable Consensus Algorithm"
// (the paper, Figure 2) and Ongaro's thesis "Consensus: Bridging Theory and Practice"
// (2014), cited below as §section. Design and contracts: docs/CONSENSUS.md.
#pragma once

#include <cstdint>

#include "base/bytes.h"

namespace dlog::raft {

using NodeId = uint64_t;  // 0 is "nobody"
using Term = uint64_t;    // terms start at 1; term 0 belongs to the empty log's index 0
using Index = uint64_t;   // log indices start at 1; index 0 is the empty prefix

inline constexpr NodeId kNoNode = 0;

enum class EntryType : uint8_t {
  kNormal = 0,      // application data; empty data is the leader's no-op (§6.4)
  kMembership = 1,  // data is an encoded Membership (membership.h), in force on append
};

struct Entry {
  Term term = 0;
  Index index = 0;
  EntryType type = EntryType::kNormal;
  Bytes data;

  bool operator==(const Entry&) const = default;
};

// Persistent state of Figure 2 plus the commit index (§3.8: persisting it is optional,
// it saves re-deriving; it is never ahead of the persisted log).
struct HardState {
  Term term = 0;
  NodeId vote = kNoNode;
  Index commit = 0;

  bool operator==(const HardState&) const = default;
};

enum class Role : uint8_t { kFollower, kPreCandidate, kCandidate, kLeader };

const char* RoleName(Role role);

}  // namespace dlog::raft
