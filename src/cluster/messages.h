// Bodies of the cluster messages (inside the envelope, envelope.h).
//
// JoinRequest (0x91, underlay, joiner → member)
//   joiner_eph 32 | token_id 8 | AEAD(k1, 0, plain, ad = label ‖ joiner_eph ‖ token_id)
//   plain: timestamp LE64 (Unix s) | role 1 | wg_public 32 | name_len 1 | name |
//          pq_alg 1 | pq_len LE16 | pq_public | listen_port LE16
//   k1 = HMAC-BLAKE2s(join_key, "dlog join request v1" ‖ joiner_eph ‖ token_id)
//
// JoinAccept (0x92, underlay, member → joiner)
//   member_eph 32 | AEAD(k2, 0, plain, ad = label ‖ joiner_eph ‖ member_eph)
//   k2 = HMAC-BLAKE2s(join_key, "dlog join accept v1" ‖ joiner_eph ‖ member_eph ‖
//                     X25519(member_eph, joiner_eph))
//   plain: cluster_public 32 | signature 64 | rest
//   rest:  joiner record (member.h) | has_keys 1 | [signing seed 32 | cluster secret 32] |
//          n 1 | n × member record (n ≤ kMaxAcceptMembers = 3)
//   signature: Ed25519 by the cluster key over "dlog join accept v1" ‖ joiner_eph ‖
//              BLAKE2s(rest): binds the answer to this request, so an old JoinAccept
//              cannot answer a new JoinRequest.
//   The ephemeral DH gives forward secrecy against a later theft of the token: a
//   recording of the exchange does not reveal the cluster secret.
//
// RosterDigest (0x93)   hash 32 | count LE32
// RosterSummary (0x94)  want_reply 1 | n LE16 | n × (key 32 | version LE64 | removed 1 |
//                       digest 8)   digest = BLAKE2s(record encoding)[0..8]
// RosterDelta (0x95)    n LE16 | n × member record
// TokenDelta (0x96)     n LE16 | n × token record (token.h)
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "cluster/identity.h"
#include "cluster/member.h"
#include "cluster/token.h"
#include "crypto/x25519.h"

namespace dlog::cluster {

struct JoinRequestPlain {
  int64_t timestamp = 0;
  Role role = Role::kNode;
  PublicKey wg_public{};
  std::string name;
  std::optional<pq::Algorithm> pq_algorithm;
  Bytes pq_public_key;
  uint16_t listen_port = 0;
};

struct JoinRequestOuter {
  PublicKey joiner_eph{};
  TokenId token_id{};
  ByteSpan sealed;
};

Bytes SealJoinRequest(const JoinKey& key, const PublicKey& joiner_eph, const TokenId& id,
                      const JoinRequestPlain& plain);
// The same with the plaintext given as bytes (tests and fuzzing reach the parser past
// the AEAD with it).
Bytes SealJoinRequestBytes(const JoinKey& key, const PublicKey& joiner_eph, const TokenId& id,
                           ByteSpan plain);
std::optional<JoinRequestOuter> ParseJoinRequest(ByteSpan body);
std::optional<JoinRequestPlain> OpenJoinRequest(const JoinKey& key, const JoinRequestOuter& req);

struct JoinAcceptPlain {
  SigningPublicKey cluster_public{};
  MemberRecord joiner;
  std::optional<ClusterKeys> keys;  // only for role node
  std::vector<MemberRecord> members;
};

Bytes SealJoinAccept(const JoinKey& key, const crypto::X25519Private& member_eph,
                     const PublicKey& joiner_eph, const ClusterKeys& signer,
                     const JoinAcceptPlain& plain);
// Decrypts, parses and checks the accept's own signature under the enclosed cluster
// key. The caller checks that key against the pin, and the records' signatures.
std::optional<JoinAcceptPlain> OpenJoinAccept(const JoinKey& key,
                                              const crypto::X25519Private& joiner_eph,
                                              ByteSpan body);

struct SummaryEntry {
  PublicKey key{};
  uint64_t version = 0;
  bool removed = false;
  ByteArray<8> digest{};
  friend bool operator==(const SummaryEntry&, const SummaryEntry&) = default;
};
SummaryEntry SummaryOf(const MemberRecord& r);

struct RosterDigest {
  ByteArray<32> hash{};
  uint32_t count = 0;
};
struct RosterSummary {
  bool want_reply = false;
  std::vector<SummaryEntry> entries;
};

Bytes EncodeDigest(const RosterDigest& d);
std::optional<RosterDigest> ParseDigest(ByteSpan body);
Bytes EncodeSummary(const RosterSummary& s);
std::optional<RosterSummary> ParseSummary(ByteSpan body);
Bytes EncodeDelta(const std::vector<MemberRecord>& records);
std::optional<std::vector<MemberRecord>> ParseDelta(ByteSpan body);
Bytes EncodeTokenDelta(const std::vector<TokenRecord>& tokens);
std::optional<std::vector<TokenRecord>> ParseTokenDelta(ByteSpan body);

}  // namespace dlog::cluster
