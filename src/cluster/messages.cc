#include "cluster/messages.h"

#include "cluster/codec.h"
#include "crypto/aead.h"
#include "crypto/blake2s.h"

namespace dlog::cluster {
namespace {

constexpr char kRequestLabel[] = "dlog join request v1";
constexpr char kAcceptLabel[] = "dlog join accept v1";

Bytes Concat(std::initializer_list<ByteSpan> parts) {
  Bytes out;
  for (ByteSpan p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Secret<32> RequestKey(const JoinKey& key, const PublicKey& eph, const TokenId& id) {
  Secret<32> k;
  crypto::Hmac(k.data(), key.span(), Concat({AsBytes(kRequestLabel), eph, id}));
  return k;
}

Secret<32> AcceptKey(const JoinKey& key, const PublicKey& joiner_eph, const PublicKey& member_eph,
                     const crypto::SharedSecret& dh) {
  Secret<32> k;
  Bytes in = Concat({AsBytes(kAcceptLabel), joiner_eph, member_eph, dh.span()});
  crypto::Hmac(k.data(), key.span(), in);
  SecureZero(in.data(), in.size());
  return k;
}

std::optional<pq::Algorithm> PqFromCode(uint8_t c, bool& ok) {
  ok = c <= 2;
  if (c == 1) return pq::Algorithm::kKyber768;
  if (c == 2) return pq::Algorithm::kKyber1024;
  return std::nullopt;
}

uint8_t PqCode(const std::optional<pq::Algorithm>& a) {
  if (!a) return 0;
  return *a == pq::Algorithm::kKyber768 ? 1 : 2;
}

Bytes AcceptSignedPart(const PublicKey& joiner_eph, ByteSpan rest) {
  uint8_t h[crypto::kBlake2sSize];
  crypto::Hash(h, {rest});
  return Concat({AsBytes(kAcceptLabel), joiner_eph, ByteSpan(h, sizeof h)});
}

}  // namespace

Bytes SealJoinRequest(const JoinKey& key, const PublicKey& joiner_eph, const TokenId& id,
                      const JoinRequestPlain& p) {
  Bytes plain;
  Writer w(plain);
  w.U64(uint64_t(p.timestamp));
  w.U8(uint8_t(p.role));
  w.Raw(p.wg_public);
  w.Str8(p.name);
  w.U8(PqCode(p.pq_algorithm));
  w.Bytes16(p.pq_public_key);
  w.U16(p.listen_port);
  Bytes out = SealJoinRequestBytes(key, joiner_eph, id, plain);
  SecureZero(plain.data(), plain.size());
  return out;
}

Bytes SealJoinRequestBytes(const JoinKey& key, const PublicKey& joiner_eph, const TokenId& id,
                           ByteSpan plain) {
  Bytes out = Concat({joiner_eph, id});
  const size_t head = out.size();
  out.resize(head + plain.size() + crypto::kAeadTagSize);
  const Secret<32> k1 = RequestKey(key, joiner_eph, id);
  crypto::ChaChaPolySeal(k1.data(), 0, plain, Concat({AsBytes(kRequestLabel), joiner_eph, id}),
                         out.data() + head);
  return out;
}

std::optional<JoinRequestOuter> ParseJoinRequest(ByteSpan body) {
  Reader rd(body);
  JoinRequestOuter r;
  rd.Fixed(r.joiner_eph);
  rd.Fixed(r.token_id);
  if (!rd.ok() || rd.remaining() < crypto::kAeadTagSize) return std::nullopt;
  r.sealed = rd.rest();
  return r;
}

std::optional<JoinRequestPlain> OpenJoinRequest(const JoinKey& key, const JoinRequestOuter& req) {
  Bytes plain(req.sealed.size() - crypto::kAeadTagSize);
  const Secret<32> k1 = RequestKey(key, req.joiner_eph, req.token_id);
  if (!crypto::ChaChaPolyOpen(k1.data(), 0, req.sealed,
                              Concat({AsBytes(kRequestLabel), req.joiner_eph, req.token_id}),
                              plain.data())) {
    return std::nullopt;
  }
  Reader rd(plain);
  JoinRequestPlain p;
  p.timestamp = int64_t(rd.U64());
  const uint8_t role = rd.U8();
  rd.Fixed(p.wg_public);
  p.name = rd.Str8();
  bool pq_ok = false;
  p.pq_algorithm = PqFromCode(rd.U8(), pq_ok);
  ByteSpan pq_key = rd.Bytes16();
  p.listen_port = rd.U16();
  if (!rd.ok() || rd.remaining() != 0 || !pq_ok || !IsValidRole(role) || !IsValidName(p.name)) {
    return std::nullopt;
  }
  const size_t want = p.pq_algorithm ? pq::SizesOf(*p.pq_algorithm).ek : 0;
  if (pq_key.size() != want) return std::nullopt;
  p.role = Role(role);
  p.pq_public_key.assign(pq_key.begin(), pq_key.end());
  return p;
}

Bytes SealJoinAccept(const JoinKey& key, const crypto::X25519Private& member_eph,
                     const PublicKey& joiner_eph, const ClusterKeys& signer,
                     const JoinAcceptPlain& p) {
  Bytes rest;
  EncodeMember(p.joiner, rest);
  Writer w(rest);
  w.U8(p.keys ? 1 : 0);
  if (p.keys) {
    w.Raw(p.keys->seed.span());
    w.Raw(p.keys->secret.span());
  }
  const size_t n = std::min(p.members.size(), kMaxAcceptMembers);
  w.U8(uint8_t(n));
  for (size_t i = 0; i < n; ++i) EncodeMember(p.members[i], rest);

  Bytes plain = Concat({p.cluster_public});
  const Signature sig = Sign(signer, AcceptSignedPart(joiner_eph, rest));
  plain.insert(plain.end(), sig.begin(), sig.end());
  plain.insert(plain.end(), rest.begin(), rest.end());
  SecureZero(rest.data(), rest.size());

  const PublicKey member_pub = crypto::PublicKeyOf(member_eph);
  crypto::SharedSecret dh;
  Bytes out(member_pub.begin(), member_pub.end());
  if (!crypto::X25519(member_eph, joiner_eph, dh)) return {};
  const Secret<32> k2 = AcceptKey(key, joiner_eph, member_pub, dh);
  out.resize(kKeySize + plain.size() + crypto::kAeadTagSize);
  crypto::ChaChaPolySeal(k2.data(), 0, plain,
                         Concat({AsBytes(kAcceptLabel), joiner_eph, member_pub}),
                         out.data() + kKeySize);
  SecureZero(plain.data(), plain.size());
  return out;
}

std::optional<JoinAcceptPlain> OpenJoinAccept(const JoinKey& key,
                                              const crypto::X25519Private& joiner_eph,
                                              ByteSpan body) {
  if (body.size() < kKeySize + crypto::kAeadTagSize) return std::nullopt;
  PublicKey member_pub;
  std::copy(body.begin(), body.begin() + kKeySize, member_pub.begin());
  const PublicKey joiner_pub = crypto::PublicKeyOf(joiner_eph);
  crypto::SharedSecret dh;
  if (!crypto::X25519(joiner_eph, member_pub, dh)) return std::nullopt;
  const Secret<32> k2 = AcceptKey(key, joiner_pub, member_pub, dh);
  const ByteSpan sealed = body.subspan(kKeySize);
  Bytes plain(sealed.size() - crypto::kAeadTagSize);
  if (!crypto::ChaChaPolyOpen(k2.data(), 0, sealed,
                              Concat({AsBytes(kAcceptLabel), joiner_pub, member_pub}),
                              plain.data())) {
    return std::nullopt;
  }
  struct Wipe {
    Bytes& b;
    ~Wipe() { SecureZero(b.data(), b.size()); }
  } wipe{plain};
  Reader rd(plain);
  JoinAcceptPlain p;
  Signature sig;
  rd.Fixed(p.cluster_public);
  rd.Fixed(sig);
  if (!rd.ok()) return std::nullopt;
  const ByteSpan rest = rd.rest();
  if (!Verify(p.cluster_public, AcceptSignedPart(joiner_pub, rest), sig)) return std::nullopt;
  ByteSpan in = rest;
  auto joiner = DecodeMember(in);
  if (!joiner) return std::nullopt;
  p.joiner = std::move(*joiner);
  Reader r2(in);
  const uint8_t has_keys = r2.U8();
  if (has_keys > 1) return std::nullopt;
  if (has_keys) {
    Secret<32> seed;
    ClusterSecret secret;
    r2.Copy(seed.data(), seed.size());
    r2.Copy(secret.data(), secret.size());
    if (!r2.ok()) return std::nullopt;
    p.keys = ClusterKeysFromSeed(seed, secret);
    if (p.keys->public_key != p.cluster_public) return std::nullopt;
  }
  const size_t n = r2.U8();
  if (!r2.ok() || n > kMaxAcceptMembers) return std::nullopt;
  in = r2.rest();
  for (size_t i = 0; i < n; ++i) {
    auto m = DecodeMember(in);
    if (!m) return std::nullopt;
    p.members.push_back(std::move(*m));
  }
  if (!in.empty()) return std::nullopt;
  return p;
}

SummaryEntry SummaryOf(const MemberRecord& r) {
  SummaryEntry e;
  e.key = r.key;
  e.version = r.version;
  e.removed = r.removed;
  Bytes enc;
  EncodeMember(r, enc);
  uint8_t h[crypto::kBlake2sSize];
  crypto::Hash(h, {enc});
  std::copy(h, h + 8, e.digest.begin());
  return e;
}

Bytes EncodeDigest(const RosterDigest& d) {
  Bytes out;
  Writer w(out);
  w.Raw(d.hash);
  w.U32(d.count);
  return out;
}

std::optional<RosterDigest> ParseDigest(ByteSpan body) {
  Reader rd(body);
  RosterDigest d;
  rd.Fixed(d.hash);
  d.count = rd.U32();
  if (!rd.ok() || rd.remaining() != 0) return std::nullopt;
  return d;
}

Bytes EncodeSummary(const RosterSummary& s) {
  Bytes out;
  Writer w(out);
  w.U8(s.want_reply ? 1 : 0);
  w.U16(uint16_t(s.entries.size()));
  for (const auto& e : s.entries) {
    w.Raw(e.key);
    w.U64(e.version);
    w.U8(e.removed ? 1 : 0);
    w.Raw(e.digest);
  }
  return out;
}

std::optional<RosterSummary> ParseSummary(ByteSpan body) {
  Reader rd(body);
  RosterSummary s;
  const uint8_t want = rd.U8();
  const size_t n = rd.U16();
  if (!rd.ok() || want > 1 || n > kMaxMembers) return std::nullopt;
  s.want_reply = want == 1;
  for (size_t i = 0; i < n; ++i) {
    SummaryEntry e;
    rd.Fixed(e.key);
    e.version = rd.U64();
    const uint8_t removed = rd.U8();
    rd.Fixed(e.digest);
    if (!rd.ok() || removed > 1) return std::nullopt;
    e.removed = removed == 1;
    s.entries.push_back(e);
  }
  if (rd.remaining() != 0) return std::nullopt;
  return s;
}

Bytes EncodeDelta(const std::vector<MemberRecord>& records) {
  Bytes out;
  Writer(out).U16(uint16_t(records.size()));
  for (const auto& r : records) EncodeMember(r, out);
  return out;
}

std::optional<std::vector<MemberRecord>> ParseDelta(ByteSpan body) {
  Reader rd(body);
  const size_t n = rd.U16();
  if (!rd.ok() || n > kMaxMembers) return std::nullopt;
  ByteSpan in = rd.rest();
  std::vector<MemberRecord> out;
  for (size_t i = 0; i < n; ++i) {
    auto m = DecodeMember(in);
    if (!m) return std::nullopt;
    out.push_back(std::move(*m));
  }
  if (!in.empty()) return std::nullopt;
  return out;
}

Bytes EncodeTokenDelta(const std::vector<TokenRecord>& tokens) {
  Bytes out;
  Writer(out).U16(uint16_t(tokens.size()));
  for (const auto& t : tokens) EncodeTokenRecord(t, out);
  return out;
}

std::optional<std::vector<TokenRecord>> ParseTokenDelta(ByteSpan body) {
  Reader rd(body);
  const size_t n = rd.U16();
  if (!rd.ok() || n > kMaxTokens) return std::nullopt;
  ByteSpan in = rd.rest();
  std::vector<TokenRecord> out;
  for (size_t i = 0; i < n; ++i) {
    auto t = DecodeTokenRecord(in);
    if (!t) return std::nullopt;
    out.push_back(std::move(*t));
  }
  if (!in.empty()) return std::nullopt;
  return out;
}

}  // namespace dlog::cluster
