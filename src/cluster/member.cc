#include "cluster/member.h"

#include <cstdio>

#include "cluster/codec.h"
#include "crypto/blake2s.h"

namespace dlog::cluster {
namespace {

constexpr char kMemberLabel[] = "dlog member v1";

uint8_t PqCode(const std::optional<pq::Algorithm>& a) {
  if (!a) return 0;
  return *a == pq::Algorithm::kKyber768 ? 1 : 2;
}

void EncodeUnsigned(const MemberRecord& r, Bytes& out) {
  Writer w(out);
  w.Raw(r.key);
  w.U64(r.version);
  w.U8(r.removed ? 1 : 0);
  w.U8(uint8_t(r.role));
  uint8_t ip[4];
  StoreBE32(ip, r.overlay);
  w.Raw({ip, 4});
  w.Str8(r.name);
  w.U8(uint8_t(r.endpoints.size()));
  for (const auto& e : r.endpoints) {
    w.U8(e.v6 ? 6 : 4);
    w.Raw(ByteSpan(e.addr.data(), e.v6 ? 16 : 4));
    w.U8(uint8_t(e.port >> 8));
    w.U8(uint8_t(e.port));
  }
  w.U8(PqCode(r.pq_algorithm));
  w.Bytes16(r.pq_public_key);
  w.Raw(r.successor);
}

}  // namespace

bool MemberRecord::HasSuccessor() const {
  uint8_t acc = 0;
  for (uint8_t b : successor) acc |= b;
  return acc != 0;
}

Bytes SignedPart(const MemberRecord& r) {
  Bytes out(AsBytes(kMemberLabel).begin(), AsBytes(kMemberLabel).end());
  EncodeUnsigned(r, out);
  return out;
}

void EncodeMember(const MemberRecord& r, Bytes& out) {
  EncodeUnsigned(r, out);
  out.insert(out.end(), r.signature.begin(), r.signature.end());
}

std::optional<MemberRecord> DecodeMember(ByteSpan& in) {
  Reader rd(in);
  MemberRecord r;
  rd.Fixed(r.key);
  r.version = rd.U64();
  const uint8_t flags = rd.U8();
  const uint8_t role = rd.U8();
  uint8_t ip[4] = {};
  rd.Fixed(ip);
  r.overlay = LoadBE32(ip);
  r.name = rd.Str8();
  const size_t n_ep = rd.U8();
  if (!rd.ok() || flags > 1 || !IsValidRole(role) || !IsValidName(r.name) || n_ep > kMaxEndpoints) {
    return std::nullopt;
  }
  r.removed = flags == 1;
  r.role = Role(role);
  for (size_t i = 0; i < n_ep; ++i) {
    wg::Endpoint e;
    const uint8_t fam = rd.U8();
    if (fam != 4 && fam != 6) return std::nullopt;
    e.v6 = fam == 6;
    rd.Copy(e.addr.data(), e.v6 ? 16 : 4);
    const uint8_t hi = rd.U8();
    e.port = uint16_t(hi << 8 | rd.U8());
    if (e.port == 0) return std::nullopt;
    r.endpoints.push_back(e);
  }
  const uint8_t pq_code = rd.U8();
  ByteSpan pq_key = rd.Bytes16();
  if (!rd.ok() || pq_code > 2) return std::nullopt;
  if (pq_code == 0) {
    if (!pq_key.empty()) return std::nullopt;
  } else {
    r.pq_algorithm = pq_code == 1 ? pq::Algorithm::kKyber768 : pq::Algorithm::kKyber1024;
    if (pq_key.size() != pq::SizesOf(*r.pq_algorithm).ek) return std::nullopt;
    r.pq_public_key.assign(pq_key.begin(), pq_key.end());
  }
  rd.Fixed(r.successor);
  rd.Fixed(r.signature);
  if (!rd.ok()) return std::nullopt;
  in = rd.rest();
  return r;
}

void SignMember(const ClusterKeys& keys, MemberRecord& r) {
  r.signature = Sign(keys, SignedPart(r));
}

bool VerifyMember(const SigningPublicKey& key, const MemberRecord& r) {
  return Verify(key, SignedPart(r), r.signature);
}

bool Supersedes(const MemberRecord& a, const MemberRecord& b) {
  if (a.removed != b.removed) return a.removed;
  if (a.version != b.version) return a.version > b.version;
  Bytes ea, eb;
  EncodeMember(a, ea);
  EncodeMember(b, eb);
  uint8_t ha[crypto::kBlake2sSize], hb[crypto::kBlake2sSize];
  crypto::Hash(ha, {ea});
  crypto::Hash(hb, {eb});
  return std::lexicographical_compare(hb, hb + sizeof hb, ha, ha + sizeof ha);
}

std::string FormatOverlay(uint32_t addr) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255,
                addr & 255);
  return buf;
}

}  // namespace dlog::cluster
