#include "cluster/token.h"

#include <algorithm>

#include "cluster/base32.h"
#include "cluster/codec.h"
#include "crypto/blake2s.h"

namespace dlog::cluster {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Splits on '.'; at most `max` parts.
std::vector<std::string_view> Split(std::string_view s, size_t max) {
  std::vector<std::string_view> parts;
  while (parts.size() < max) {
    const size_t dot = s.find('.');
    parts.push_back(s.substr(0, dot));
    if (dot == std::string_view::npos) return parts;
    s.remove_prefix(dot + 1);
  }
  parts.push_back(s);  // one too many: the caller rejects
  return parts;
}

template <size_t N>
bool DecodeFixed(std::string_view text, uint8_t* out) {
  auto b = FromBase32(text);
  if (!b || b->size() != N) return false;
  std::copy(b->begin(), b->end(), out);
  SecureZero(b->data(), b->size());
  return true;
}

}  // namespace

std::string FormatToken(const JoinToken& t) {
  return std::string(kTokenPrefix) + "." + ToBase32(t.pin) + "." + ToBase32(t.id) + "." +
         ToBase32(t.secret.span());
}

Result<JoinToken> ParseToken(std::string_view text) {
  text = Trim(text);
  const auto parts = Split(text, 4);
  if (parts.size() != 4) {
    return Status::Error("a join token has four parts separated by '.': dlog1.<pin>.<id>.<secret>");
  }
  if (parts[0] != kTokenPrefix && parts[0] != "DLOG1") {
    return Status::Error("a join token starts with \"dlog1.\"");
  }
  JoinToken t;
  if (!DecodeFixed<kPinSize>(parts[1], t.pin.data())) {
    return Status::Error("the join token's pin (second part) is not 26 base32 characters");
  }
  if (!DecodeFixed<kTokenIdSize>(parts[2], t.id.data())) {
    return Status::Error("the join token's id (third part) is not 13 base32 characters");
  }
  if (!DecodeFixed<kTokenSecretSize>(parts[3], t.secret.data())) {
    return Status::Error("the join token's secret (fourth part) is not 52 base32 characters");
  }
  return t;
}

JoinKey JoinKeyOf(const TokenSecret& secret) {
  JoinKey k;
  crypto::Hmac(k.data(), secret.span(), AsBytes("dlog join key v1"));
  return k;
}

uint64_t TokenRecord::TotalUses() const {
  uint64_t n = 0;
  for (const auto& u : uses) n += u.count;
  return n;
}

const char* TokenRecord::Unusable(int64_t now_unix) const {
  if (revoked) return "revoked";
  if (now_unix >= expiry_unix) return "expired";
  if (max_uses != 0 && TotalUses() >= max_uses) return "used up";
  return nullptr;
}

void TokenRecord::CountUse(const PublicKey& node) {
  auto it = std::lower_bound(uses.begin(), uses.end(), node,
                             [](const TokenUse& u, const PublicKey& k) { return u.node < k; });
  if (it != uses.end() && it->node == node) {
    ++it->count;
    return;
  }
  if (uses.size() >= kMaxTokenNodes) {
    // Bound reached: charge the use to the largest counter's node so the total grows.
    std::max_element(uses.begin(), uses.end(), [](const TokenUse& a, const TokenUse& b) {
      return a.count < b.count;
    })->count++;
    return;
  }
  uses.insert(it, TokenUse{node, 1});
}

bool TokenRecord::Merge(const TokenRecord& other) {
  bool changed = false;
  if (other.revoked && !revoked) {
    revoked = true;
    changed = true;
  }
  for (const auto& u : other.uses) {
    auto it = std::lower_bound(uses.begin(), uses.end(), u.node,
                               [](const TokenUse& a, const PublicKey& k) { return a.node < k; });
    if (it != uses.end() && it->node == u.node) {
      if (u.count > it->count) {
        it->count = u.count;
        changed = true;
      }
    } else if (uses.size() < kMaxTokenNodes) {
      uses.insert(it, u);
      changed = true;
    }
  }
  return changed;
}

void EncodeTokenRecord(const TokenRecord& r, Bytes& out) {
  Writer w(out);
  w.Raw(r.id);
  w.U8(uint8_t(r.role));
  w.U64(uint64_t(r.expiry_unix));
  w.U32(r.max_uses);
  w.U8(r.revoked ? 1 : 0);
  w.Raw(r.join_key.span());
  w.U8(uint8_t(r.uses.size()));
  for (const auto& u : r.uses) {
    w.Raw(u.node);
    w.U32(u.count);
  }
}

std::optional<TokenRecord> DecodeTokenRecord(ByteSpan& in) {
  Reader rd(in);
  TokenRecord r;
  rd.Fixed(r.id);
  const uint8_t role = rd.U8();
  r.expiry_unix = int64_t(rd.U64());
  r.max_uses = rd.U32();
  const uint8_t revoked = rd.U8();
  rd.Copy(r.join_key.data(), r.join_key.size());
  const size_t n = rd.U8();
  if (!rd.ok() || !IsValidRole(role) || revoked > 1 || n > kMaxTokenNodes) return std::nullopt;
  r.role = Role(role);
  r.revoked = revoked == 1;
  for (size_t i = 0; i < n; ++i) {
    TokenUse u;
    rd.Fixed(u.node);
    u.count = rd.U32();
    if (!r.uses.empty() && !(r.uses.back().node < u.node)) return std::nullopt;  // sorted
    r.uses.push_back(u);
  }
  if (!rd.ok()) return std::nullopt;
  in = rd.rest();
  return r;
}

}  // namespace dlog::cluster
