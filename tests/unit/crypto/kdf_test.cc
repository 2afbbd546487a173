// WireGuard's KDF_n (whitepaper §5.4, Noise's HKDF): checked against a naive
// re-derivation from Hmac and against OpenSSL 3's HKDF (RFC 5869) over BLAKE2S-256, of
// which it is the special case salt = key, IKM = input, info = "", L = 32n.
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <vector>

#include "base/hex.h"
#include "base/rng.h"
#include "crypto/blake2s.h"

namespace dlog::crypto {
namespace {

Bytes RandomBytes(Rng& rng, size_t n) {
  Bytes b(n);
  if (n != 0) rng.Fill(b);  // SeededRng::Fill passes data() to libsodium, null when empty
  return b;
}

// T0 = HMAC(key, input); T1 = HMAC(T0, 0x1); Ti = HMAC(T0, T(i-1) || i).
Bytes NaiveKdf(ByteSpan key, ByteSpan input, int n) {
  uint8_t t0[32];
  Hmac(t0, key, input);
  Bytes out, prev;
  for (int i = 1; i <= n; ++i) {
    Bytes msg = prev;
    msg.push_back(uint8_t(i));
    uint8_t t[32];
    Hmac(t, t0, msg);
    prev.assign(t, t + 32);
    out.insert(out.end(), t, t + 32);
  }
  return out;
}

Bytes OsslHkdf(ByteSpan salt, ByteSpan ikm, size_t len) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  char digest[] = "BLAKE2S-256";
  static uint8_t empty[1];
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<uint8_t*>(salt.data()),
                                        salt.size()),
      OSSL_PARAM_construct_octet_string(
          OSSL_KDF_PARAM_KEY, ikm.empty() ? empty : const_cast<uint8_t*>(ikm.data()), ikm.size()),
      OSSL_PARAM_END};
  Bytes out(len);
  EXPECT_EQ(EVP_KDF_derive(ctx, out.data(), out.size(), params), 1);
  EVP_KDF_CTX_free(ctx);
  EVP_KDF_free(kdf);
  return out;
}

Bytes Kdf3(ByteSpan key, ByteSpan input) {
  Bytes out(96);
  Kdf(key, input, out.data(), out.data() + 32, out.data() + 64);
  return out;
}

TEST(Kdf, MatchesNaiveDerivation) {
  SeededRng rng(11);
  for (int i = 0; i < 200; ++i) {
    Bytes key = RandomBytes(rng, 32);
    Bytes input = RandomBytes(rng, (i < 100) ? size_t(i) : rng.Uniform(400));
    ASSERT_EQ(Kdf3(key, input), NaiveKdf(key, input, 3)) << i;
  }
}

TEST(Kdf, MatchesOpenSslHkdfOverBlake2s) {
  SeededRng rng(12);
  for (int i = 0; i < 200; ++i) {
    // WireGuard's key is always a 32-byte chaining key; other lengths check the HMAC
    // key handling too (OpenSSL needs a non-empty salt to use it as given).
    Bytes key = RandomBytes(rng, (i < 100) ? 32 : 1 + rng.Uniform(100));
    Bytes input = RandomBytes(rng, (i % 10 == 0) ? 0 : rng.Uniform(200));
    ASSERT_EQ(Kdf3(key, input), OsslHkdf(key, input, 96)) << i;
  }
}

TEST(Kdf, FewerOutputsArePrefixes) {
  SeededRng rng(13);
  Bytes key = RandomBytes(rng, 32), input = RandomBytes(rng, 32);
  Bytes all = Kdf3(key, input);
  uint8_t a[32], b[32], c[32];
  Kdf(key, input, a);
  EXPECT_EQ(Bytes(a, a + 32), Bytes(all.begin(), all.begin() + 32));
  Kdf(key, input, b, c);
  EXPECT_EQ(Bytes(b, b + 32), Bytes(all.begin(), all.begin() + 32));
  EXPECT_EQ(Bytes(c, c + 32), Bytes(all.begin() + 32, all.begin() + 64));
}

TEST(Kdf, OutputMayAliasKey) {
  // The handshake writes the new chaining key over the old: ck = KDF1(ck, x).
  SeededRng rng(14);
  Bytes ck = RandomBytes(rng, 32), input = RandomBytes(rng, 32);
  Bytes want = NaiveKdf(ck, input, 2);
  uint8_t k[32];
  Kdf(ck, input, ck.data(), k);
  EXPECT_EQ(ck, Bytes(want.begin(), want.begin() + 32));
  EXPECT_EQ(Bytes(k, k + 32), Bytes(want.begin() + 32, want.end()));
}

TEST(Kdf, WireGuardFirstChainStep) {
  // ck0 = HASH(CONSTRUCTION); the initiator's first step is ck1 = KDF1(ck0, e_pub).
  // With e_pub = 32 zero bytes, both derivations must agree with OpenSSL.
  uint8_t ck[32];
  Hash(ck, {AsBytes("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s")});
  const Bytes e(32, 0);
  uint8_t ck1[32];
  Kdf({ck, 32}, e, ck1);
  EXPECT_EQ(Bytes(ck1, ck1 + 32), OsslHkdf({ck, 32}, e, 32));
}

}  // namespace
}  // namespace dlog::crypto
