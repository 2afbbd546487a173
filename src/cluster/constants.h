// Constants of the cluster protocols, in one place (docs/CLUSTER.md has the diagrams).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace dlog::cluster {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

// --- Wire ---------------------------------------------------------------------------
// The first byte of every cluster datagram. WireGuard uses 1..4 and the PQ exchange
// 0x81..0x86, so a receiver on the WireGuard port demultiplexes on the first byte:
// 0x91..0x9F is the cluster's (IsClusterDatagram). Join messages travel on the underlay
// (before a tunnel exists); roster messages travel inside the mesh, as UDP payload to
// overlay port kMeshPort from an authenticated WireGuard peer.
enum class MsgType : uint8_t {
  kJoinRequest = 0x91,    // underlay, joiner → member
  kJoinAccept = 0x92,     // underlay, member → joiner
  kRosterDigest = 0x93,   // mesh: "my roster hashes to h"
  kRosterSummary = 0x94,  // mesh: (key, version) of every record I hold
  kRosterDelta = 0x95,    // mesh: signed member records
  kTokenDelta = 0x96,     // mesh, node → node only: token records
};
inline constexpr uint8_t kFirstClusterType = 0x91;
inline constexpr uint8_t kLastClusterType = 0x9F;
inline constexpr uint8_t kWireVersion = 1;
inline constexpr uint16_t kMeshPort = 9094;  // overlay UDP port of roster messages

// Envelope of every cluster datagram: type 1 | version 1 | index 1 | count 1 |
// msg_id LE32 | chunk. A datagram is at most 1200 bytes (under IPv6's 1232-byte
// guaranteed UDP payload, and under the tunnel MTU for mesh messages).
inline constexpr size_t kEnvelopeHeaderSize = 8;
inline constexpr size_t kMaxDatagramSize = 1200;
inline constexpr size_t kMaxChunkSize = kMaxDatagramSize - kEnvelopeHeaderSize;  // 1192
// Fragments per message, by type: a JoinRequest is at most 2 datagrams (a stranger can
// hold at most that much reassembly memory per attempt), a JoinAccept 16, mesh
// messages 48 (57 KB).
inline constexpr size_t kMaxJoinRequestFragments = 2;
inline constexpr size_t kMaxJoinAcceptFragments = 16;
inline constexpr size_t kMaxMeshFragments = 48;
// Reassembly: partial messages per source and in all; dropped after the timeout.
inline constexpr size_t kMaxReassemblyPerSource = 4;
inline constexpr size_t kMaxReassemblyTotal = 64;
inline constexpr seconds kReassemblyTimeout{5};

// --- Sizes --------------------------------------------------------------------------
inline constexpr size_t kKeySize = 32;          // X25519 / Ed25519 public keys
inline constexpr size_t kSignatureSize = 64;    // Ed25519
inline constexpr size_t kPinSize = 16;          // BLAKE2s(cluster public key)[0..16]
inline constexpr size_t kTokenIdSize = 8;       // random
inline constexpr size_t kTokenSecretSize = 32;  // random
inline constexpr size_t kClusterSecretSize = 32;
inline constexpr size_t kMaxNameSize = 63;
inline constexpr size_t kMaxEndpoints = 4;   // per member record
inline constexpr size_t kMaxMembers = 1024;  // records (tombstones included)
inline constexpr size_t kMaxTokens = 256;
inline constexpr size_t kMaxAcceptMembers = 3;  // other members carried by a JoinAccept

// --- Enrollment ---------------------------------------------------------------------
// A JoinRequest's wall-clock timestamp must be within this of the member's clock;
// requests outside are dropped (bounds how long a recorded request can be replayed).
inline constexpr seconds kJoinClockSkew{600};
// Per-source rate limit of JoinRequests (token bucket): burst, and one more per period.
inline constexpr uint32_t kJoinBurst = 8;
inline constexpr milliseconds kJoinRefill{500};
inline constexpr size_t kMaxRateLimitSources = 1024;
// Joiner retransmission: 1 s doubling to 8 s; gives up after kJoinMaxAttempts rounds.
inline constexpr milliseconds kJoinRetryBegin{1000};
inline constexpr milliseconds kJoinRetryMax{8000};
inline constexpr uint32_t kJoinMaxAttempts = 40;
inline constexpr size_t kMaxJoinTargets = 16;  // candidate endpoints tried per round

// --- Membership ---------------------------------------------------------------------
inline constexpr seconds kAntiEntropyInterval{3};  // digest to one random member
// Records changed within this window ride along with every anti-entropy digest.
inline constexpr seconds kRecentWindow{30};
inline constexpr uint32_t kKeepaliveSeconds = 25;  // persistent keepalive of every peer
// A peer without a recent handshake gets its next candidate endpoint this often.
inline constexpr seconds kEndpointRetryInterval{5};
inline constexpr size_t kMaxCandidateEndpoints = 8;  // per peer (roster ∪ discovery)
inline constexpr size_t kMaxUnknownCandidates = 32;  // discovered hosts not in the roster
// Key rotation: the old private key stays until every node peer holds the new record,
// or this long at most.
inline constexpr seconds kRotationGrace{10};
inline constexpr size_t kMaxOutboxDatagrams = 4096;
inline constexpr size_t kMaxEvents = 256;

}  // namespace dlog::cluster
