// Join tokens: the text a joiner is given, and the record the cluster keeps.
//
// TEXT
//   dlog1.<pin>.<id>.<secret>       every part lower-case base32 without padding
//     dlog1   format tag and version
//     pin     16 bytes, BLAKE2s(cluster Ed25519 public key)[0..16] (26 characters):
//             the joiner accepts only a JoinAccept signed by the key with this hash
//     id      8 random bytes (13 characters): names the token record, sent in clear
//     secret  32 random bytes (52 characters): never sent; proves possession
//   Upper case is accepted on input (tokens get typed); surrounding whitespace ignored.
//
// RECORD (kept by every node, replicated among nodes only; tokens.cc)
//   id, role, expiry (wall clock), max uses, uses (counted per admitting node),
//   revoked, and the join key = HMAC-BLAKE2s(secret, "dlog join key v1"). The join key
//   is what the enrollment AEAD keys derive from: a node holds it, not the secret
//   itself; whoever holds it can admit holders of the token (and pose as one), so it is
//   sent only to nodes, inside the mesh.
//
// USES AND CONCURRENCY
//   Each node counts the admissions it made under a token; the total is the sum, and
//   records merge by taking each node's maximum (a grow-only counter) and OR-ing the
//   revoked flag, so merges commute and converge. Two nodes that admit concurrently,
//   before either hears of the other's admission, can exceed max_uses by at most the
//   number of nodes minus one. Acceptable until the token table is carried by Raft.
//   Re-admitting a joiner key that is already a live member uses nothing.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "base/rng.h"
#include "base/secret.h"
#include "cluster/identity.h"

namespace dlog::cluster {

inline constexpr char kTokenPrefix[] = "dlog1";
using TokenId = ByteArray<kTokenIdSize>;
using TokenSecret = Secret<kTokenSecretSize>;
using JoinKey = Secret<32>;

struct JoinToken {
  Pin pin{};
  TokenId id{};
  TokenSecret secret;
};

std::string FormatToken(const JoinToken& t);  // a credential: never log it
Result<JoinToken> ParseToken(std::string_view text);
JoinKey JoinKeyOf(const TokenSecret& secret);

inline constexpr size_t kMaxTokenNodes = 64;  // admitting nodes counted per token

struct TokenUse {
  PublicKey node{};  // the admitting node's WireGuard key
  uint32_t count = 0;
  friend bool operator==(const TokenUse&, const TokenUse&) = default;
};

struct TokenRecord {
  TokenId id{};
  Role role = Role::kNode;
  int64_t expiry_unix = 0;  // seconds since the Unix epoch; admission needs now < expiry
  uint32_t max_uses = 1;    // 0: unlimited
  bool revoked = false;
  JoinKey join_key;
  std::vector<TokenUse> uses;  // sorted by node key, at most kMaxTokenNodes

  uint64_t TotalUses() const;
  // Why a token admits nobody now; nullptr when it does.
  const char* Unusable(int64_t now_unix) const;
  void CountUse(const PublicKey& node);
  // Grow-only merge (see above). Returns true when this record changed.
  bool Merge(const TokenRecord& other);
};

// Encoding of a record (TokenDelta bodies and the state file):
//   id 8 | role 1 | expiry LE64 | max_uses LE32 | revoked 1 | join_key 32 |
//   n_uses 1 | n × (node 32 | count LE32)
void EncodeTokenRecord(const TokenRecord& r, Bytes& out);
// Reads one record at `in`, advancing it; nullopt on any malformation.
std::optional<TokenRecord> DecodeTokenRecord(ByteSpan& in);

}  // namespace dlog::cluster
