#include "crypto/keccak.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "base/hex.h"
#include "base/rng.h"

namespace dlog::crypto {
namespace {

std::string Sha3_256Hex(ByteSpan m) {
  uint8_t out[kSha3_256Size];
  Sha3_256::Hash({m}, out);
  return ToHex({out, sizeof out});
}

std::string Sha3_512Hex(ByteSpan m) {
  uint8_t out[kSha3_512Size];
  Sha3_512::Hash({m}, out);
  return ToHex({out, sizeof out});
}

template <typename Xof>
std::string XofHex(ByteSpan m, size_t n) {
  Bytes out(n);
  Xof::Hash({m}, out);
  return ToHex(out);
}

const Bytes kA3x200(200, 0xA3);  // the 1600-bit message of the NIST SHA-3 examples

TEST(Keccak, Sha3_256KnownAnswers) {
  EXPECT_EQ(Sha3_256Hex({}), "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
  EXPECT_EQ(Sha3_256Hex(AsBytes("abc")),
            "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532");
  EXPECT_EQ(Sha3_256Hex(kA3x200),
            "79f38adec5c20307a98ef76e8324afbfd46cfd81b22e3973c65fa1bd9de31787");
}

TEST(Keccak, Sha3_512KnownAnswers) {
  EXPECT_EQ(Sha3_512Hex({}),
            "a69f73cca23a9ac5c8b567dc185a756e97c982164fe25859e0d1dcc1475c80a6"
            "15b2123af1f5f94c11e3e9402c3ac558f500199d95b6d3e301758586281dcd26");
  EXPECT_EQ(Sha3_512Hex(AsBytes("abc")),
            "b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e"
            "10e116e9192af3c91a7ec57647e3934057340b4cf408d5a56592f8274eec53f0");
  EXPECT_EQ(Sha3_512Hex(kA3x200),
            "e76dfad22084a8b1467fcf2ffa58361bec7628edf5f3fdc0e4805dc48caeeca8"
            "1b7c13c30adf52a3659584739a2df46be589c51ca1a4a8416df6545a1ce8ba00");
}

TEST(Keccak, ShakeKnownAnswers) {
  EXPECT_EQ(XofHex<Shake128>({}, 32),
            "7f9c2ba4e88f827d616045507605853ed73b8093f6efbc88eb1a6eacfa66ef26");
  EXPECT_EQ(XofHex<Shake128>(AsBytes("abc"), 32),
            "5881092dd818bf5cf8a3ddb793fbcba74097d5c526a6d35f97b83351940f2cc8");
  EXPECT_EQ(XofHex<Shake128>(kA3x200, 32),
            "131ab8d2b594946b9c81333f9bb6e0ce75c3b93104fa3469d3917457385da037");
  // Bytes 168..199 of SHAKE128(""): the second squeezed block.
  EXPECT_EQ(XofHex<Shake128>({}, 200).substr(2 * 168),
            "767be1fda69419dfb927e9df07348b196691abaeb580b32def58538b8d23f877");
  EXPECT_EQ(XofHex<Shake256>({}, 64),
            "46b9dd2b0ba88d13233b3feb743eeb243fcd52ea62b81b82b50c27646ed5762f"
            "d75dc4ddd8c0f200cb05019d67b592f6fc821c49479ab48640292eacb3b7c4be");
  EXPECT_EQ(XofHex<Shake256>(AsBytes("abc"), 64),
            "483366601360a8771c6863080cc4114d8db44530f8f1e1ee4f94ea37e78b5739"
            "d5a15bef186a5386c75744c0527e1faa9f8726e462a12a4feb06bd8801e751e4");
  EXPECT_EQ(XofHex<Shake256>(kA3x200, 64),
            "cd8a920ed141aa0407a22d59288652e9d9f1a7ee0c1e7c1ca699424da84a904d"
            "2d700caae7396ece96604440577da4f3aa22aeb8857f961c4cd8e06f0ae6610b");
}

// rng.Fill of an empty buffer would hand libsodium a null pointer (UBSan), so skip it.
void FillRandom(Rng& rng, Bytes& m) {
  if (!m.empty()) rng.Fill(m);
}

// OpenSSL's digest (or XOF output of `out_len` bytes) of `m`.
Bytes OpenSslDigest(const EVP_MD* md, ByteSpan m, size_t out_len) {
  Bytes out(out_len);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EXPECT_EQ(EVP_DigestInit_ex(ctx, md, nullptr), 1);
  EXPECT_EQ(EVP_DigestUpdate(ctx, m.data(), m.size()), 1);
  if (EVP_MD_get_flags(md) & EVP_MD_FLAG_XOF) {
    EXPECT_EQ(EVP_DigestFinalXOF(ctx, out.data(), out.size()), 1);
  } else {
    unsigned n = 0;
    EXPECT_EQ(EVP_DigestFinal_ex(ctx, out.data(), &n), 1);
    EXPECT_EQ(n, out_len);
  }
  EVP_MD_CTX_free(ctx);
  return out;
}

// Lengths that straddle every rate boundary (72, 136, 168) plus random ones.
std::vector<size_t> InterestingLengths(Rng& rng) {
  std::vector<size_t> lens;
  for (size_t n = 0; n <= 3 * 168 + 1; ++n) lens.push_back(n);
  for (int i = 0; i < 200; ++i) lens.push_back(rng.Uniform(5000));
  return lens;
}

TEST(Keccak, MatchesOpenSslOverManyLengths) {
  SeededRng rng(202);
  for (size_t len : InterestingLengths(rng)) {
    Bytes m(len);
    FillRandom(rng, m);
    size_t xof_len = 1 + rng.Uniform(600);
    SCOPED_TRACE(testing::Message() << "len=" << len << " xof_len=" << xof_len);
    uint8_t d256[kSha3_256Size], d512[kSha3_512Size];
    Sha3_256::Hash({m}, d256);
    Sha3_512::Hash({m}, d512);
    ASSERT_EQ(Bytes(d256, d256 + 32), OpenSslDigest(EVP_sha3_256(), m, 32));
    ASSERT_EQ(Bytes(d512, d512 + 64), OpenSslDigest(EVP_sha3_512(), m, 64));
    Bytes s128(xof_len), s256(xof_len);
    Shake128::Hash({m}, s128);
    Shake256::Hash({m}, s256);
    ASSERT_EQ(s128, OpenSslDigest(EVP_shake128(), m, xof_len));
    ASSERT_EQ(s256, OpenSslDigest(EVP_shake256(), m, xof_len));
  }
}

// Absorbing in random pieces and squeezing in random pieces equals one-shot.
template <typename Xof>
void CheckIncrementalEqualsOneShot(uint64_t seed) {
  SeededRng rng(seed);
  for (int trial = 0; trial < 200; ++trial) {
    Bytes m(rng.Uniform(1000));
    FillRandom(rng, m);
    size_t out_len = rng.Uniform(1200);
    Bytes one_shot(out_len);
    Xof::Hash({m}, one_shot);

    Xof x;
    for (size_t off = 0; off < m.size();) {
      size_t n = std::min<size_t>(rng.Uniform(300), m.size() - off);
      x.Absorb(ByteSpan(m).subspan(off, n));
      off += n;
    }
    Bytes pieces(out_len);
    for (size_t off = 0; off < out_len;) {
      size_t n = std::min<size_t>(rng.Uniform(400), out_len - off);
      x.Squeeze(MutableByteSpan(pieces).subspan(off, n));
      off += n;
    }
    ASSERT_EQ(pieces, one_shot) << "trial " << trial;
  }
}

TEST(Keccak, Shake128IncrementalEqualsOneShot) { CheckIncrementalEqualsOneShot<Shake128>(1); }
TEST(Keccak, Shake256IncrementalEqualsOneShot) { CheckIncrementalEqualsOneShot<Shake256>(2); }

TEST(Keccak, Sha3IncrementalUpdateEqualsOneShot) {
  SeededRng rng(3);
  Bytes m(777);
  rng.Fill(m);
  uint8_t one_shot[kSha3_512Size], pieces[kSha3_512Size];
  Sha3_512::Hash({m}, one_shot);
  Sha3_512 h;
  h.Update(ByteSpan(m).first(71))
      .Update(ByteSpan(m).subspan(71, 1))
      .Update(ByteSpan(m).subspan(72));
  h.Final(pieces);
  EXPECT_EQ(ToHex(one_shot), ToHex(pieces));
}

}  // namespace
}  // namespace dlog::crypto
