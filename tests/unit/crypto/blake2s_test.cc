// BLAKE2s (RFC 7693): known answers, and cross-checks against OpenSSL 3's independent
// implementation (digest "BLAKE2S-256", EVP_MAC "BLAKE2SMAC", EVP_MAC "HMAC").
#include "crypto/blake2s.h"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <string>
#include <vector>

#include "base/hex.h"
#include "base/rng.h"

namespace dlog::crypto {
namespace {

Bytes Seq(size_t n) {  // 00 01 02 ... as the reference KAT files use
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = uint8_t(i);
  return b;
}

Bytes Blake(ByteSpan data, size_t out_len = kBlake2sSize, ByteSpan key = {}) {
  Bytes out(out_len);
  Blake2s(out_len, key).Update(data).Final(out.data());
  return out;
}

Bytes RandomBytes(Rng& rng, size_t n) {
  Bytes b(n);
  if (n != 0) rng.Fill(b);  // SeededRng::Fill passes data() to libsodium, null when empty
  return b;
}

// Feeds `data` in random pieces (empty ones included).
Bytes BlakeSplit(Rng& rng, ByteSpan data, size_t out_len, ByteSpan key) {
  Blake2s h(out_len, key);
  size_t pos = 0;
  while (pos < data.size()) {
    size_t take = rng.Uniform(uint32_t(data.size() - pos + 1));
    h.Update(data.subspan(pos, take));
    pos += take;
  }
  Bytes out(out_len);
  h.Final(out.data());
  return out;
}

Bytes OsslDigest(ByteSpan data) {
  Bytes out(32);
  unsigned n = 0;
  EVP_MD* md = EVP_MD_fetch(nullptr, "BLAKE2S-256", nullptr);
  EXPECT_EQ(EVP_Digest(data.data(), data.size(), out.data(), &n, md, nullptr), 1);
  EVP_MD_free(md);
  EXPECT_EQ(n, 32u);
  return out;
}

Bytes OsslMac(const char* name, OSSL_PARAM* params, ByteSpan key, ByteSpan data, size_t out_len) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, name, nullptr);
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  Bytes out(out_len);
  size_t n = 0;
  static const uint8_t kNoKey[1] = {0};  // a null pointer would mean "no key set"
  EXPECT_EQ(EVP_MAC_init(ctx, key.empty() ? kNoKey : key.data(), key.size(), params), 1);
  EXPECT_EQ(EVP_MAC_update(ctx, data.data(), data.size()), 1);
  EXPECT_EQ(EVP_MAC_final(ctx, out.data(), &n, out.size()), 1);
  EXPECT_EQ(n, out_len);
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
  return out;
}

// Keyed BLAKE2s with an `out_len`-byte output (OpenSSL needs a key of 1..32 bytes).
Bytes OsslBlake2sMac(ByteSpan key, ByteSpan data, size_t out_len) {
  OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &out_len),
                         OSSL_PARAM_END};
  return OsslMac("BLAKE2SMAC", params, key, data, out_len);
}

Bytes OsslHmac(ByteSpan key, ByteSpan data) {
  char digest[] = "BLAKE2S-256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_END};
  return OsslMac("HMAC", params, key, data, 32);
}

TEST(Blake2s, Rfc7693AppendixB) {
  uint8_t out[32];
  Hash(out, {AsBytes("abc")});
  EXPECT_EQ(ToHex({out, 32}), "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
}

TEST(Blake2s, EmptyInput) {
  EXPECT_EQ(ToHex(Blake({})), "69217a3079908094e11121d042354a7c1f55b6482ca1a51e1b250dfd1ed0eef9");
}

// The reference blake2s-kat.txt (github.com/BLAKE2/BLAKE2, testvectors/): key 00..1f,
// input 00..(len-1), 32-byte output. Lengths around the 64-byte block included.
TEST(Blake2s, ReferenceKeyedKat) {
  struct Kat {
    size_t len;
    const char* hash;
  };
  const Kat kats[] = {
      {0, "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49"},
      {1, "40d15fee7c328830166ac3f918650f807e7e01e177258cdc0a39b11f598066f1"},
      {2, "6bb71300644cd3991b26ccd4d274acd1adeab8b1d7914546c1198bbe9fc9d803"},
      {63, "c65382513f07460da39833cb666c5ed82e61b9e998f4b0c4287cee56c3cc9bcd"},
      {78, "172ffc67153d12e0ca76a8b6cd5d4731885b39ce0cac93a8972a18006c8b8baf"},
      {164, "4f8ce1e51d2fe7f24043a904d898ebfc91975418753413aa099b795ecb35cedb"},
      {255, "3fb735061abc519dfe979e54c1ee5bfad0a9d858b3315bad34bde999efd724dd"},
  };
  const Bytes key = Seq(32);
  for (const Kat& k : kats) EXPECT_EQ(ToHex(Blake(Seq(k.len), 32, key)), k.hash) << k.len;
}

// RFC 7693 Appendix E: BLAKE2s self-test over output lengths 16/20/28/32, keyed and
// unkeyed, input lengths 0..1024, folded into one 32-byte hash.
Bytes SelftestSeq(size_t len, uint32_t seed) {
  uint32_t a = 0xDEAD4BADu * seed, b = 1;
  Bytes out(len);
  for (size_t i = 0; i < len; ++i) {
    uint32_t t = a + b;
    a = b;
    b = t;
    out[i] = uint8_t(t >> 24);
  }
  return out;
}

TEST(Blake2s, Rfc7693AppendixESelfTest) {
  Blake2s acc;
  for (size_t outlen : {16, 20, 28, 32}) {
    for (size_t inlen : {0, 3, 64, 65, 255, 1024}) {
      Bytes in = SelftestSeq(inlen, uint32_t(inlen));
      acc.Update(Blake(in, outlen));
      Bytes key = SelftestSeq(outlen, uint32_t(outlen));
      acc.Update(Blake(in, outlen, key));
    }
  }
  uint8_t out[32];
  acc.Final(out);
  EXPECT_EQ(ToHex({out, 32}), "6a411f08ce25adcdfb02aba641451cec53c598b24f4fc787fbdc88797f4c1dfe");
}

// Unkeyed truncated outputs (OpenSSL 3.0's digest has a fixed 32-byte output, so these
// answers come from CPython's hashlib.blake2s(bytes(range(100)), digest_size=n)).
TEST(Blake2s, UnkeyedOutputLengths) {
  const char* want[33] = {
      "",
      "a5",
      "efc4",
      "187aef",
      "f6bcd572",
      "9feac97bbc",
      "8aa410eace3e",
      "219785f69d1358",
      "9249ad160f418f3d",
      "98191b834832e1b831",
      "f872388d1eef78fa7cfc",
      "63fa41eabf3952ece189d2",
      "55e22bd5205b7df8f7c06ecb",
      "280879b368b2c8c0c1aff8eb6e",
      "5b3483ea561fa2ecf29aa4cd257b",
      "4dbd1695f82bd063c29ef45ebe188a",
      "666a861d60a4c86bf684fe089cfba8cc",
      "c711cbb8362eafdc47f4300cbb29d4485a",
      "a726b5e61d7d6d275c3f33ac73b01b6192a2",
      "08e030736186e237e19faa4ac0f081a93d665a",
      "680d1a3bda75f684618cbdc2863a76719155ee53",
      "a1bd85bda37f7ec0ef9e844dd9508f04365467562d",
      "19a4466b15090c9af06b06370d2a9fc8128a059eb21a",
      "7986f63a8496d237fee43910ee98c1d5d9851c08685ebe",
      "1f28bddf2ce8fb3860cc28397cbc78e176e42957af489c4d",
      "375f1d78d21b554ec6f3c6ae134282a0ff2442a0e489212a42",
      "d07ea0341107f969af33bf675e8af1b10800fde5e0b7ef718914",
      "9c5fdf56a1a4893dc15001b678b406e8738d3ef133cb860868a0ed",
      "d578424ca09a3900792dc6f4d3dd0282b80c39415c0db9283806a07b",
      "7d8950833f4b26f242ad933b624e0b55f71f3ad008ea984c05a5a2a45b",
      "00fdfff4c6a7a708827c522eab0e64422fc4a7d9db2772f5e549b677997c",
      "826e9c2fe29dd98b0cb9abb0becc3f4cef3c3cb21f9a6f2aa7329d52efc01f",
      "81dcc3a505eace3f879d8f702776770f9df50e521d1428a85daf04f9ad2150e0",
  };
  const Bytes msg = Seq(100);
  for (size_t n = 1; n <= 32; ++n) EXPECT_EQ(ToHex(Blake(msg, n)), want[n]) << n;
}

TEST(Blake2s, UnkeyedMatchesOpenSslAtRandomLengthsAndSplits) {
  SeededRng rng(1);
  for (int i = 0; i < 400; ++i) {
    size_t len = (i < 200) ? size_t(i) : rng.Uniform(5000);
    Bytes data = RandomBytes(rng, len);
    Bytes want = OsslDigest(data);
    ASSERT_EQ(Blake(data), want) << len;
    ASSERT_EQ(BlakeSplit(rng, data, 32, {}), want) << len;
    uint8_t h[32];
    Hash(h, {ByteSpan(data).first(len / 3), ByteSpan(data).subspan(len / 3)});
    ASSERT_EQ(Bytes(h, h + 32), want) << len;
  }
}

TEST(Blake2s, KeyedMatchesOpenSslBlake2sMac) {
  SeededRng rng(2);
  for (size_t out_len = 1; out_len <= 32; ++out_len) {
    for (size_t key_len = 1; key_len <= 32; key_len += 1 + rng.Uniform(4)) {
      Bytes key = RandomBytes(rng, key_len);
      for (int j = 0; j < 6; ++j) {
        size_t len = (j == 0) ? 0 : (j == 1) ? 64 : rng.Uniform(700);
        Bytes data = RandomBytes(rng, len);
        Bytes want = OsslBlake2sMac(key, data, out_len);
        ASSERT_EQ(Blake(data, out_len, key), want) << out_len << "/" << key_len << "/" << len;
        ASSERT_EQ(BlakeSplit(rng, data, out_len, key), want)
            << out_len << "/" << key_len << "/" << len;
      }
    }
  }
}

TEST(Blake2s, Mac16MatchesOpenSsl) {
  SeededRng rng(3);
  for (int i = 0; i < 100; ++i) {
    Bytes key = RandomBytes(rng, 32);
    Bytes data = RandomBytes(rng, rng.Uniform(300));
    uint8_t mac[16];
    Mac16(mac, key, data);
    ASSERT_EQ(Bytes(mac, mac + 16), OsslBlake2sMac(key, data, 16));
  }
}

TEST(Blake2s, HmacMatchesOpenSslHmac) {
  SeededRng rng(4);
  for (int i = 0; i < 300; ++i) {
    // Keys shorter than, equal to and longer than the 64-byte block (hashed first).
    size_t key_len = (i < 130) ? size_t(i) : rng.Uniform(300);
    Bytes key = RandomBytes(rng, key_len);
    Bytes data = RandomBytes(rng, rng.Uniform(500));
    uint8_t mac[32];
    Hmac(mac, key, data);
    ASSERT_EQ(Bytes(mac, mac + 32), OsslHmac(key, data)) << key_len;
  }
}

TEST(Blake2s, HmacAllowsOutputToAliasData) {
  SeededRng rng(5);
  Bytes key = RandomBytes(rng, 32);
  Bytes buf = RandomBytes(rng, 32);
  Bytes want = OsslHmac(key, buf);
  Hmac(buf.data(), key, buf);
  EXPECT_EQ(buf, want);
}

TEST(Blake2s, WireGuardConstructionHashes) {
  // Initial chaining key and hash of WireGuard's Noise_IKpsk2 handshake; the published
  // constants of boringtun (noise/handshake.rs INITIAL_CHAIN_KEY / INITIAL_CHAIN_HASH).
  uint8_t ck[32], h[32];
  Hash(ck, {AsBytes("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s")});
  EXPECT_EQ(ToHex({ck, 32}), "60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36");
  Hash(h, {ByteSpan(ck, 32), AsBytes("WireGuard v1 zx2c4 Jason@zx2c4.com")});
  EXPECT_EQ(ToHex({h, 32}), "2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3");
}

}  // namespace
}  // namespace dlog::crypto
