#include "crypto/blake2s.h"

#include <cassert>
#include <cstring>

#include "base/secret.h"

namespace dlog::crypto {
namespace {

// RFC 7693 §2.6 and §2.7.
constexpr uint32_t kIV[8] = {0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
                             0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19};
constexpr uint8_t kSigma[10][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
};

inline uint32_t Rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

inline void G(uint32_t v[16], int a, int b, int c, int d, uint32_t x, uint32_t y) {
  v[a] = v[a] + v[b] + x;
  v[d] = Rotr(v[d] ^ v[a], 16);
  v[c] = v[c] + v[d];
  v[b] = Rotr(v[b] ^ v[c], 12);
  v[a] = v[a] + v[b] + y;
  v[d] = Rotr(v[d] ^ v[a], 8);
  v[c] = v[c] + v[d];
  v[b] = Rotr(v[b] ^ v[c], 7);
}

}  // namespace

Blake2s::Blake2s(size_t out_len, ByteSpan key) : out_len_(out_len) {
  assert(out_len >= 1 && out_len <= kBlake2sSize && key.size() <= kBlake2sSize);
  std::memcpy(h_, kIV, sizeof h_);
  h_[0] ^= 0x01010000u ^ uint32_t(key.size() << 8) ^ uint32_t(out_len);
  std::memset(buf_, 0, sizeof buf_);
  if (!key.empty()) {
    std::memcpy(buf_, key.data(), key.size());
    buf_len_ = kBlake2sBlock;
  }
}

Blake2s::~Blake2s() {
  SecureZero(h_, sizeof h_);
  SecureZero(buf_, sizeof buf_);
}

void Blake2s::Compress(bool last) {
  uint32_t m[16], v[16];
  for (int i = 0; i < 16; ++i) m[i] = LoadLE32(buf_ + 4 * i);
  for (int i = 0; i < 8; ++i) {
    v[i] = h_[i];
    v[i + 8] = kIV[i];
  }
  v[12] ^= t_[0];
  v[13] ^= t_[1];
  if (last) v[14] = ~v[14];
  for (const auto& s : kSigma) {
    G(v, 0, 4, 8, 12, m[s[0]], m[s[1]]);
    G(v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
    G(v, 2, 6, 10, 14, m[s[4]], m[s[5]]);
    G(v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
    G(v, 0, 5, 10, 15, m[s[8]], m[s[9]]);
    G(v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
    G(v, 2, 7, 8, 13, m[s[12]], m[s[13]]);
    G(v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
  }
  for (int i = 0; i < 8; ++i) h_[i] ^= v[i] ^ v[i + 8];
  SecureZero(m, sizeof m);
  SecureZero(v, sizeof v);
}

Blake2s& Blake2s::Update(ByteSpan data) {
  const uint8_t* p = data.data();
  size_t n = data.size();
  while (n > 0) {
    if (buf_len_ == kBlake2sBlock) {  // only compress a full block once more input follows
      t_[0] += kBlake2sBlock;
      if (t_[0] < kBlake2sBlock) ++t_[1];
      Compress(false);
      buf_len_ = 0;
    }
    size_t take = std::min(n, kBlake2sBlock - buf_len_);
    std::memcpy(buf_ + buf_len_, p, take);
    buf_len_ += take;
    p += take;
    n -= take;
  }
  return *this;
}

void Blake2s::Final(uint8_t* out) {
  t_[0] += uint32_t(buf_len_);
  if (t_[0] < buf_len_) ++t_[1];
  std::memset(buf_ + buf_len_, 0, kBlake2sBlock - buf_len_);
  Compress(true);
  uint8_t full[32];
  for (int i = 0; i < 8; ++i) StoreLE32(full + 4 * i, h_[i]);
  std::memcpy(out, full, out_len_);
  SecureZero(full, sizeof full);
}

void Hash(uint8_t out[kBlake2sSize], std::initializer_list<ByteSpan> parts) {
  Blake2s h;
  for (ByteSpan p : parts) h.Update(p);
  h.Final(out);
}

void Mac16(uint8_t out[16], ByteSpan key, ByteSpan data) {
  Blake2s h(16, key);
  h.Update(data).Final(out);
}

void Hmac(uint8_t out[kBlake2sSize], ByteSpan key, ByteSpan data) {
  uint8_t k[kBlake2sBlock] = {};
  if (key.size() > kBlake2sBlock) {
    Hash(k, {key});
  } else if (!key.empty()) {  // an empty span's data() may be null
    std::memcpy(k, key.data(), key.size());
  }
  uint8_t pad[kBlake2sBlock];
  uint8_t inner[kBlake2sSize];
  for (size_t i = 0; i < kBlake2sBlock; ++i) pad[i] = k[i] ^ 0x36;
  Blake2s().Update(pad).Update(data).Final(inner);
  for (size_t i = 0; i < kBlake2sBlock; ++i) pad[i] = k[i] ^ 0x5c;
  Blake2s().Update(pad).Update({inner, sizeof inner}).Final(out);
  SecureZero(k, sizeof k);
  SecureZero(pad, sizeof pad);
  SecureZero(inner, sizeof inner);
}

void Kdf(ByteSpan key, ByteSpan input, uint8_t* out1, uint8_t* out2, uint8_t* out3) {
  uint8_t t0[kBlake2sSize];
  uint8_t t[kBlake2sSize + 1];
  Hmac(t0, key, input);
  t[0] = 1;
  Hmac(t, t0, {t, 1});
  std::memcpy(out1, t, kBlake2sSize);
  uint8_t* outs[2] = {out2, out3};
  for (int i = 0; i < 2 && outs[i]; ++i) {
    t[kBlake2sSize] = uint8_t(i + 2);
    uint8_t next[kBlake2sSize];
    Hmac(next, t0, {t, sizeof t});
    std::memcpy(t, next, kBlake2sSize);
    std::memcpy(outs[i], next, kBlake2sSize);
    SecureZero(next, sizeof next);
  }
  SecureZero(t0, sizeof t0);
  SecureZero(t, sizeof t);
}

}  // namespace dlog::crypto
