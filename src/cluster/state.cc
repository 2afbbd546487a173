// ClusterState on disk (cluster.state, 0600):
//   magic "DLOGCS01" | joined 1 | cluster_public 32 | has_keys 1 |
//   [seed 32 | cluster secret 32] | n_members LE16 | records | n_tokens LE16 | tokens |
//   BLAKE2s of everything before (32): a torn or edited file is refused, not half-read.
#include <cstring>

#include "cluster/codec.h"
#include "cluster/node.h"
#include "crypto/blake2s.h"

namespace dlog::cluster {
namespace {
constexpr char kMagic[] = "DLOGCS01";
}

Bytes EncodeState(const ClusterState& s) {
  Bytes out(kMagic, kMagic + 8);
  Writer w(out);
  w.U8(s.joined ? 1 : 0);
  w.Raw(s.cluster_public_key);
  w.U8(s.cluster_keys ? 1 : 0);
  if (s.cluster_keys) {
    w.Raw(s.cluster_keys->seed.span());
    w.Raw(s.cluster_keys->secret.span());
  }
  w.U16(uint16_t(s.members.size()));
  for (const auto& r : s.members) EncodeMember(r, out);
  w.U16(uint16_t(s.tokens.size()));
  for (const auto& t : s.tokens) EncodeTokenRecord(t, out);
  uint8_t h[crypto::kBlake2sSize];
  crypto::Hash(h, {out});
  w.Raw(ByteSpan(h, sizeof h));
  return out;
}

Result<ClusterState> DecodeState(ByteSpan bytes) {
  const Status corrupt = Status::Error(
      "cluster.state is damaged (checksum or layout); restore it from a backup or start "
      "this member afresh with an empty data directory and a new join token");
  if (bytes.size() < 8 + crypto::kBlake2sSize || std::memcmp(bytes.data(), kMagic, 8) != 0) {
    return corrupt;
  }
  const ByteSpan body = bytes.first(bytes.size() - crypto::kBlake2sSize);
  uint8_t h[crypto::kBlake2sSize];
  crypto::Hash(h, {body});
  if (!ConstantTimeEqual(h, bytes.data() + body.size(), sizeof h)) return corrupt;
  Reader rd(body.subspan(8));
  ClusterState s;
  const uint8_t joined = rd.U8();
  rd.Fixed(s.cluster_public_key);
  const uint8_t has_keys = rd.U8();
  if (!rd.ok() || joined > 1 || has_keys > 1) return corrupt;
  s.joined = joined == 1;
  if (has_keys) {
    Secret<32> seed;
    ClusterSecret secret;
    rd.Copy(seed.data(), 32);
    rd.Copy(secret.data(), 32);
    if (!rd.ok()) return corrupt;
    s.cluster_keys = ClusterKeysFromSeed(seed, secret);
    if (s.cluster_keys->public_key != s.cluster_public_key) return corrupt;
  }
  const size_t n_members = rd.U16();
  if (!rd.ok() || n_members > kMaxMembers) return corrupt;
  ByteSpan in = rd.rest();
  for (size_t i = 0; i < n_members; ++i) {
    auto r = DecodeMember(in);
    if (!r) return corrupt;
    s.members.push_back(std::move(*r));
  }
  Reader r2(in);
  const size_t n_tokens = r2.U16();
  if (!r2.ok() || n_tokens > kMaxTokens) return corrupt;
  in = r2.rest();
  for (size_t i = 0; i < n_tokens; ++i) {
    auto t = DecodeTokenRecord(in);
    if (!t) return corrupt;
    s.tokens.push_back(std::move(*t));
  }
  if (!in.empty()) return corrupt;
  return s;
}

}  // namespace dlog::cluster
