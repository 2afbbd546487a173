// cluster::Node: the sans-I/O membership core of one member (node, client or admin).
//
// It admits joiners (if a node), joins a cluster with a token (if new), keeps the
// signed roster in sync with the other members through the mesh, assigns overlay
// addresses, and says which WireGuard peers the device should have. It never reads a
// clock, never touches a socket or a file, and draws randomness only from its Rng: the
// runtime (src/node) feeds it bytes and time and carries out its Output.
//
// DRIVING IT (docs/CLUSTER.md, "Runtime"; /tmp/coord/cluster-api.md)
//   underlay  a datagram on the WireGuard port whose first byte is 0x91..0x9F
//             (IsClusterDatagram) → OnUnderlayDatagram(from, bytes, now)
//   mesh      a UDP datagram to overlay port 9094 (kMeshPort) that came out of the
//             tunnel of WireGuard peer K → OnMeshDatagram(K, bytes, now)
//   discovery each candidate (mDNS/DNS/seed) → OnCandidate(...)
//   WireGuard per peer, whether it had a handshake in the last 3 minutes →
//             OnPeerStatus(K, up, now) (at least every few seconds)
//   time      Tick(now) at NextDeadline() or earlier
//   after each call: TakeOutput() and carry it out: send underlay datagrams from the
//   WireGuard port; apply kAdd/kUpdate peer changes, THEN send mesh datagrams (from
//   overlay port 9094 to the peer's overlay address, port 9094), THEN apply kRemove
//   (a push to a member being removed leaves before its tunnel goes; one to a member
//   just added needs its peer); print events; save ExportState() when state_changed.
//   A Node built from saved state emits its peer set at the first Tick().
//
// THREAD SAFETY: none; one thread (or one lock) drives a Node.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"
#include "base/rng.h"
#include "cluster/constants.h"
#include "cluster/identity.h"
#include "cluster/member.h"
#include "cluster/token.h"
#include "wg/endpoint.h"

namespace dlog::cluster {

// Both clocks: monotonic for timers, wall for token expiry and JoinRequest timestamps.
struct Now {
  TimePoint mono{};
  WallTime wall{};
  int64_t UnixSeconds() const { return wall.unix_nanos / 1'000'000'000; }
};

struct OverlayPrefix {
  uint32_t network = 0x0a000000;  // 10.0.0.0, host byte order
  uint8_t length = 24;
  // "10.0.0.0/24"; lengths 8..30 (at least 2 host addresses).
  static Result<OverlayPrefix> Parse(std::string_view cidr);
  uint32_t FirstHost() const { return network + 1; }
  uint32_t LastHost() const;  // the broadcast address minus one
  bool Contains(uint32_t addr) const;
};

inline bool IsClusterDatagram(ByteSpan d) {
  return !d.empty() && d[0] >= kFirstClusterType && d[0] <= kLastClusterType;
}

struct NodeOptions {
  OverlayPrefix prefix;
  Role role = Role::kNode;        // this member's role (a bootstrapping member: node)
  uint16_t listen_port = 51820;   // the WireGuard UDP port
  bool quantum_resistant = true;  // hand PQ keys to the device in PeerChange
};

// A desired change of the WireGuard device's peer set.
struct PeerChange {
  enum class Kind { kAdd, kUpdate, kRemove };
  Kind kind = Kind::kAdd;
  PublicKey key{};
  std::string name;
  std::optional<wg::Endpoint> endpoint;  // kAdd/kUpdate: set it (nullopt: leave as is)
  // Overlay address, /32, host byte order; 0: no allowed IPs (a rotated-in key that may
  // handshake but carries nothing yet).
  uint32_t allowed_ip = 0;
  std::optional<pq::Algorithm> pq_algorithm;  // nullopt: no PQ exchange for this peer
  Bytes pq_public_key;
  uint16_t keepalive_seconds = kKeepaliveSeconds;
};

struct UnderlayDatagram {
  wg::Endpoint to;
  Bytes bytes;
};
struct MeshDatagram {
  PublicKey to{};        // the WireGuard peer
  uint32_t overlay = 0;  // its overlay address (send to overlay:kMeshPort)
  Bytes bytes;
};

// Everything the runtime must do after a call. Events are one-line human texts such as
// "Found node-a at 192.168.1.10" or "Tunnel to node-a: configured" (no secrets).
struct Output {
  std::vector<UnderlayDatagram> underlay;
  std::vector<MeshDatagram> mesh;
  std::vector<PeerChange> peers;
  std::vector<std::string> events;
  bool state_changed = false;    // ExportState() and save it
  bool address_changed = false;  // overlay_address() changed (joined, or reassigned)
  bool key_switch = false;       // rotation: switch the device to pending key now
  bool removed = false;          // this member was removed from the cluster
  bool empty() const;
};

// Counters: every dropped input is counted by reason.
struct Counters {
  uint64_t malformed = 0;  // bad envelope, body or record structure
  uint64_t join_rate_limited = 0;
  uint64_t join_unknown_token = 0;
  uint64_t join_expired = 0;
  uint64_t join_used_up = 0;
  uint64_t join_revoked = 0;
  uint64_t join_bad_aead = 0;
  uint64_t join_stale = 0;        // timestamp outside kJoinClockSkew
  uint64_t join_removed_key = 0;  // a removed member's key tried to come back
  uint64_t join_not_node = 0;     // this member cannot admit (not a node / no cluster)
  uint64_t join_admitted = 0;     // admissions (new members) made here
  uint64_t join_readmitted = 0;   // replays / retries of a live member: no use counted
  uint64_t accept_bad = 0;        // JoinAccepts dropped by the joiner (AEAD, pin, sig)
  uint64_t accept_pin_mismatch = 0;
  uint64_t mesh_not_member = 0;     // mesh datagram from a key not a live member
  uint64_t mesh_bad_signature = 0;  // records whose signature did not verify
  uint64_t records_applied = 0;
  uint64_t token_from_non_node = 0;
  uint64_t outbox_dropped = 0;
  uint64_t address_reassigned = 0;  // collisions this member resolved
};

// What ExportState/ImportState carry (the runtime stores it with DataDir::SaveState).
// Contains secrets (cluster secret, signing seed, token join keys): a 0600 file.
struct ClusterState {
  bool joined = false;
  SigningPublicKey cluster_public_key{};
  std::optional<ClusterKeys> cluster_keys;  // nodes: signing seed + cluster secret
  std::vector<MemberRecord> members;
  std::vector<TokenRecord> tokens;
};
Bytes EncodeState(const ClusterState& s);
Result<ClusterState> DecodeState(ByteSpan bytes);

struct MemberView {
  MemberRecord record;
  bool self = false;
  bool peer_up = false;  // last OnPeerStatus
};

class Node {
 public:
  // `keys` is this member's identity; `state` what a previous run exported (nullopt on
  // first start). `rng` must outlive the Node.
  Node(NodeKeys keys, NodeOptions options, std::optional<ClusterState> state, Rng& rng);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // --- Starting ---------------------------------------------------------------------
  // Creates a new cluster with this node as its first member (address FirstHost()).
  // Error when already joined.
  Status Bootstrap(const ClusterKeys& cluster, Now now);
  // Starts joining: sends JoinRequests to `targets` (and to candidates discovered
  // later) with backoff until a JoinAccept verifies. The token is kept in memory only.
  // Error when already joined or the token does not parse.
  Status Join(std::string_view token_text, const std::vector<wg::Endpoint>& targets, Role role,
              Now now);
  bool joined() const;
  bool join_failed() const;  // gave up after kJoinMaxAttempts rounds

  // --- Inputs -----------------------------------------------------------------------
  void OnUnderlayDatagram(const wg::Endpoint& from, ByteSpan bytes, Now now);
  void OnMeshDatagram(const PublicKey& from, ByteSpan bytes, Now now);
  // A discovery hint: `key` when the announcement carried one (unauthenticated).
  void OnCandidate(const std::optional<PublicKey>& key, std::string_view name,
                   const wg::Endpoint& endpoint, Now now);
  // The device's view of a peer: handshake within the last 180 s or not.
  void OnPeerStatus(const PublicKey& key, bool up, Now now);
  // This node's own underlay endpoints (interface addresses, listen port); a node
  // publishes them in its record.
  void SetOwnEndpoints(const std::vector<wg::Endpoint>& endpoints, Now now);
  void Tick(Now now);
  TimePoint NextDeadline() const;

  // --- Admin (nodes only; Error otherwise) ------------------------------------------
  Result<std::string> CreateToken(Role role, int64_t expiry_unix, uint32_t max_uses, Now now);
  Status RevokeToken(const TokenId& id, Now now);
  Status RemoveMember(const PublicKey& key, Now now);
  // Adds a member that cannot run the join protocol (a stock WireGuard admin or client
  // whose key pair was generated for it): assigns an address, signs, propagates.
  Result<MemberRecord> AddMember(const PublicKey& key, std::string_view name, Role role, Now now);
  // Starts a rotation of this node's WireGuard key (docs/CLUSTER.md, "Rotation"):
  // returns the new private key (the runtime stores it as pending); Output.key_switch
  // later says when to switch the device to it.
  Result<crypto::X25519Private> RotateOwnKeys(Now now);
  std::vector<MemberView> ListMembers() const;
  std::vector<TokenRecord> ListTokens() const;

  // --- State ------------------------------------------------------------------------
  Output TakeOutput();
  ClusterState ExportState() const;
  std::optional<uint32_t> overlay_address() const;  // nullopt until joined
  const PublicKey& public_key() const;
  std::string name() const;
  Pin cluster_pin() const;  // zeros until joined
  // The cluster secret (nodes), for the DPI disguise; nullptr otherwise.
  const ClusterSecret* cluster_secret() const;
  const Counters& counters() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dlog::cluster
