// MemberRecord: one member of the cluster as the roster holds it, signed by the cluster.
//
// WIRE / DISK LAYOUT (integers little-endian unless said otherwise)
//   +-------------------------------+
//   | key 32                        |  WireGuard public key: the member's identity
//   | version LE64                  |  grows with every change of this record
//   | flags 1                       |  bit 0: removed (a tombstone)
//   | role 1                        |  1 node, 2 client, 3 admin
//   | overlay 4                     |  IPv4 address, network order (0 in a tombstone)
//   | name_len 1 | name            |  1..63 bytes (IsValidName)
//   | n_ep 1 | n × endpoint        |  n ≤ 4; endpoint: family 1 (4|6) | addr 4|16 |
//   |                               |  port BE16
//   | pq_alg 1 | pq_len LE16 | pq  |  0 none, 1 kyber768 (1184), 2 kyber1024 (1568)
//   | successor 32                  |  new key after a rotation (zeros: none)
//   | signature 64                  |  Ed25519 by the cluster key over
//   +-------------------------------+  "dlog member v1" ‖ every byte above
//
// Only nodes hold the cluster key, so only nodes create or change records; any member
// verifies them. Records are at most ~1.8 KB (a ML-KEM-1024 key is 1568 bytes).
//
// ORDER (Supersedes): a tombstone beats a live record whatever the versions (removal is
// final; a removed key never comes back); otherwise the higher version wins; equal
// versions: the greater BLAKE2s of the encoding wins, so every member picks the same one.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "cluster/identity.h"
#include "pq/kem.h"
#include "wg/endpoint.h"

namespace dlog::cluster {

struct MemberRecord {
  PublicKey key{};
  uint64_t version = 0;
  bool removed = false;
  Role role = Role::kNode;
  uint32_t overlay = 0;  // host byte order (10.0.0.1 = 0x0a000001)
  std::string name;
  std::vector<wg::Endpoint> endpoints;  // at most kMaxEndpoints
  std::optional<pq::Algorithm> pq_algorithm;
  Bytes pq_public_key;  // empty when pq_algorithm is nullopt
  PublicKey successor{};
  Signature signature{};

  bool HasSuccessor() const;
  friend bool operator==(const MemberRecord&, const MemberRecord&) = default;
};

// The signed bytes (everything but the signature) and the whole encoding.
Bytes SignedPart(const MemberRecord& r);
void EncodeMember(const MemberRecord& r, Bytes& out);
// Parses one record at `in`, advancing it; checks structure (sizes, role, name, pq key
// length), not the signature. nullopt on any malformation.
std::optional<MemberRecord> DecodeMember(ByteSpan& in);

void SignMember(const ClusterKeys& keys, MemberRecord& r);
bool VerifyMember(const SigningPublicKey& key, const MemberRecord& r);

// True when `a` should replace `b` (same key) in a roster.
bool Supersedes(const MemberRecord& a, const MemberRecord& b);

std::string FormatOverlay(uint32_t addr);  // "10.0.0.3"

}  // namespace dlog::cluster
