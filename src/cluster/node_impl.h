// Node's private state, shared by node*.cc (one concept per file: node.cc start-up,
// state and admin; node_join.cc both sides of enrollment; node_sync.cc roster
// anti-entropy in the mesh; node_peers.cc the WireGuard peer set). Not thread-safe.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cluster/envelope.h"
#include "cluster/messages.h"
#include "cluster/node.h"
#include "cluster/roster.h"

namespace dlog::cluster {

struct Node::Impl {
  Impl(NodeKeys k, NodeOptions o, Rng& r) : keys(std::move(k)), opt(o), rng(r) {}

  // --- identity and cluster state ---------------------------------------------------
  NodeKeys keys;
  NodeOptions opt;
  Rng& rng;
  bool joined = false;
  bool removed = false;
  uint32_t last_address = 0;  // overlay address last reported (address_changed)
  SigningPublicKey cluster_public{};
  std::optional<ClusterKeys> cluster_keys;  // nodes only
  Roster roster;
  std::map<TokenId, TokenRecord> tokens;

  Output out;
  Counters counters;
  Reassembler underlay_reasm;
  Reassembler mesh_reasm;

  // --- joining (joiner side) ----------------------------------------------------------
  struct Joining {
    JoinToken token;
    JoinKey join_key;
    Role role = Role::kNode;
    crypto::X25519Private eph;
    PublicKey eph_public{};
    std::vector<wg::Endpoint> targets;
    uint32_t attempts = 0;
    TimePoint next{};
    Duration backoff{};
  };
  std::optional<Joining> joining;
  bool join_failed = false;

  // --- admission rate limit (member side) ---------------------------------------------
  struct Bucket {
    double tokens = kJoinBurst;
    TimePoint last{};
  };
  std::map<std::string, Bucket> buckets;

  // --- peers ----------------------------------------------------------------------------
  struct PeerState {
    PeerChange applied;
    size_t endpoint_index = 0;
    TimePoint last_switch{};
    bool up = false;
  };
  std::map<PublicKey, PeerState> peers;                       // as last emitted
  std::map<PublicKey, std::vector<wg::Endpoint>> discovered;  // from OnCandidate
  std::set<PublicKey> successors_up;  // rotated-in keys seen with a handshake
  std::set<std::string> announced;    // "name@ip" already reported as found
  std::vector<wg::Endpoint> own_endpoints;
  bool peers_pending = false;  // restored from state: emit the peer set at the first Tick

  // --- sync and rotation ----------------------------------------------------------------
  TimePoint next_anti_entropy{};
  // Keys whose record changed here recently, and when: re-pushed with every
  // anti-entropy round for kRecentWindow, so a member that cannot yet send to us (its
  // address just moved) still hears of the change. At most kMaxMembers entries.
  std::map<PublicKey, TimePoint> recent;
  std::vector<MemberRecord> pending_push;  // collision fixes, pushed after RecomputePeers
  bool anti_entropy_started = false;
  struct Rotation {
    crypto::X25519Private next_private;
    PublicKey next_public{};
    TimePoint deadline{};
    std::set<PublicKey> acked;
  };
  std::optional<Rotation> rotation;

  // node.cc
  const MemberRecord* Self() const { return roster.Find(keys.wg_public); }
  bool IsNode() const { return cluster_keys.has_value(); }
  void Event(std::string text);
  void MarkChanged();
  // A live member, or the old key of a member in the middle of a key rotation.
  bool IsTrustedSender(const PublicKey& key) const;
  uint32_t NewMsgId();
  // Signs `r` (version already set), merges it, pushes it to every live member.
  void PublishRecord(MemberRecord r, Now now);
  void AfterRosterChange(Now now);
  void ResolveCollisions(Now now);
  void CheckSelf();

  // node_join.cc
  void OnJoinRequest(const wg::Endpoint& from, ByteSpan body, Now now);
  void OnJoinAccept(const wg::Endpoint& from, ByteSpan body, Now now);
  void SendJoinRequests(Now now);
  bool RateLimit(const wg::Endpoint& from, TimePoint now);

  // node_sync.cc
  void SendMesh(const PublicKey& to, MsgType type, ByteSpan body);
  void PushRecords(const std::vector<MemberRecord>& records);
  void PushTokens();
  void SendDelta(const PublicKey& to, const std::vector<const MemberRecord*>& records);
  void OnMeshMessage(const PublicKey& from, MsgType type, ByteSpan body, Now now);
  void AntiEntropy(Now now);
  void RotationTick(Now now);
  std::vector<PublicKey> LiveMemberPeers() const;

  // node_peers.cc
  void RecomputePeers(Now now);
  std::vector<wg::Endpoint> CandidateEndpoints(const MemberRecord& r) const;
  void PeerEndpointTick(Now now);
  TimePoint PeerDeadline() const;
};

}  // namespace dlog::cluster
