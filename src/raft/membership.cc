#include "raft/membership.h"

#include <algorithm>
#include <string>

namespace dlog::raft {

const char* RoleName(Role role) {
  switch (role) {
    case Role::kFollower:
      return "follower";
    case Role::kPreCandidate:
      return "pre-candidate";
    case Role::kCandidate:
      return "candidate";
    case Role::kLeader:
      return "leader";
  }
  return "?";
}

Result<Membership> Membership::Make(std::vector<NodeId> voters) {
  if (voters.size() > kMaxVoters) {
    return Status::Error("membership: more than " + std::to_string(kMaxVoters) + " voters");
  }
  std::sort(voters.begin(), voters.end());
  if (!voters.empty() && voters.front() == kNoNode) {
    return Status::Error("membership: node id 0 is reserved");
  }
  if (std::adjacent_find(voters.begin(), voters.end()) != voters.end()) {
    return Status::Error("membership: duplicate node id");
  }
  Membership m;
  m.voters_ = std::move(voters);
  return m;
}

Result<Membership> Membership::Decode(ByteSpan data) {
  if (data.size() < 4) return Status::Error("membership: truncated");
  uint32_t count = LoadLE32(data.data());
  if (count > kMaxVoters || data.size() != 4 + size_t(count) * 8) {
    return Status::Error("membership: bad length");
  }
  std::vector<NodeId> voters(count);
  for (uint32_t i = 0; i < count; ++i) voters[i] = LoadLE64(data.data() + 4 + 8 * size_t(i));
  if (!std::is_sorted(voters.begin(), voters.end())) {
    return Status::Error("membership: ids not ascending");
  }
  return Make(std::move(voters));
}

Bytes Membership::Encode() const {
  Bytes out(4 + 8 * voters_.size());
  StoreLE32(out.data(), uint32_t(voters_.size()));
  for (size_t i = 0; i < voters_.size(); ++i) StoreLE64(out.data() + 4 + 8 * i, voters_[i]);
  return out;
}

Result<Membership> Membership::With(const MembershipChange& change) const {
  std::vector<NodeId> next = voters_;
  bool present = Contains(change.node);
  if (change.kind == MembershipChange::Kind::kAdd) {
    if (present) return Status::Error("membership: node is already a voter");
    next.push_back(change.node);
  } else {
    if (!present) return Status::Error("membership: node is not a voter");
    if (voters_.size() == 1) return Status::Error("membership: cannot remove the last voter");
    next.erase(std::find(next.begin(), next.end(), change.node));
  }
  return Make(std::move(next));
}

bool Membership::Contains(NodeId id) const {
  return std::binary_search(voters_.begin(), voters_.end(), id);
}

}  // namespace dlog::raft
