// X25519 (RFC 7748): §5.2 scalar-multiplication vectors (single and iterated), the
// §6.1 Diffie-Hellman example, and every case of Wycheproof's x25519_test.json subset.
#include "crypto/x25519.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "base/hex.h"
#include "base/rng.h"

namespace dlog::crypto {
namespace {

ByteArray<32> A32(std::string_view hex) {
  auto b = FromHex(hex);
  EXPECT_TRUE(b && b->size() == 32) << hex;
  ByteArray<32> a{};
  if (b && b->size() == 32) std::copy(b->begin(), b->end(), a.begin());
  return a;
}

X25519Private Priv(std::string_view hex) { return X25519Private(A32(hex)); }

std::string Hex32(const uint8_t* p) { return ToHex({p, 32}); }

// X25519(k, u) with the RFC's raw inputs (the scalar is clamped inside).
std::string Mul(std::string_view k, std::string_view u) {
  SharedSecret out;
  EXPECT_TRUE(X25519(Priv(k), A32(u), out));
  return Hex32(out.data());
}

TEST(X25519, Rfc7748Section52Vectors) {
  EXPECT_EQ(Mul("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
                "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"),
            "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
  // The second u has its top bit set, which X25519 must ignore.
  EXPECT_EQ(Mul("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
                "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493"),
            "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957");
}

TEST(X25519, Rfc7748Section52Iterated) {
  // k = u = 9; then repeatedly (k, u) = (X25519(k, u), k).
  X25519Private k;
  X25519Public u{};
  k.data()[0] = 9;
  u[0] = 9;
  for (int i = 1; i <= 1000; ++i) {
    SharedSecret r;
    ASSERT_TRUE(X25519(k, u, r)) << i;
    std::copy(k.data(), k.data() + 32, u.begin());
    std::copy(r.data(), r.data() + 32, k.data());
    if (i == 1) {
      EXPECT_EQ(Hex32(k.data()),
                "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079");
    }
  }
  EXPECT_EQ(Hex32(k.data()), "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51");
}

TEST(X25519, Rfc7748Section61DiffieHellman) {
  X25519Private alice = Priv("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  X25519Private bob = Priv("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
  X25519Public alice_pub = PublicKeyOf(alice), bob_pub = PublicKeyOf(bob);
  EXPECT_EQ(Hex32(alice_pub.data()),
            "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  EXPECT_EQ(Hex32(bob_pub.data()),
            "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  SharedSecret k1, k2;
  ASSERT_TRUE(X25519(alice, bob_pub, k1));
  ASSERT_TRUE(X25519(bob, alice_pub, k2));
  EXPECT_EQ(Hex32(k1.data()), "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  EXPECT_TRUE(k1 == k2);
}

TEST(X25519, ClampIsIdempotentAndMatchesRfc) {
  X25519Private k;
  std::fill(k.data(), k.data() + 32, 0xff);
  ClampPrivateKey(k);
  EXPECT_EQ(k.data()[0], 0xf8);
  EXPECT_EQ(k.data()[31], 0x7f);
  X25519Private again = k;
  ClampPrivateKey(again);
  EXPECT_TRUE(again == k);
  std::fill(k.data(), k.data() + 32, 0x00);
  ClampPrivateKey(k);
  EXPECT_EQ(k.data()[31], 0x40);
}

TEST(X25519, GeneratedKeysAgree) {
  SeededRng rng(21);
  for (int i = 0; i < 20; ++i) {
    X25519Private a = GeneratePrivateKey(rng), b = GeneratePrivateKey(rng);
    X25519Private a_clamped = a;
    ClampPrivateKey(a_clamped);
    EXPECT_TRUE(a == a_clamped);
    SharedSecret ab, ba;
    ASSERT_TRUE(X25519(a, PublicKeyOf(b), ab));
    ASSERT_TRUE(X25519(b, PublicKeyOf(a), ba));
    EXPECT_TRUE(ab == ba);
    EXPECT_FALSE(ab.IsZero());
  }
}

TEST(X25519, LowOrderPointsAreRejectedAndOutputWiped) {
  // u = 0 and u = 1 (points of order 4 and 1), and p + 1 (non-canonical 1).
  X25519Private k = Priv("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  for (const char* u : {"0000000000000000000000000000000000000000000000000000000000000000",
                        "0100000000000000000000000000000000000000000000000000000000000000",
                        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"}) {
    SharedSecret out;
    std::fill(out.data(), out.data() + 32, 0xaa);
    EXPECT_FALSE(X25519(k, A32(u), out)) << u;
    EXPECT_TRUE(out.IsZero()) << u;
  }
}

// Wycheproof x25519_test.json (a faithful subset: tests/data/wycheproof/README.md).
// Private keys are raw (X25519 clamps); `shared` all zero marks a low-order public
// key, for which our X25519() returns false by contract (RFC 7748 §6.1's check);
// every other case, valid or acceptable (twist points, non-canonical encodings), must
// compute exactly `shared`. No case in the file is "invalid".
TEST(X25519, Wycheproof) {
  std::ifstream in(DLOG_TESTDATA_DIR "/wycheproof/x25519_test.json");
  ASSERT_TRUE(in) << "missing x25519_test.json";
  nlohmann::json doc = nlohmann::json::parse(in);
  int ran = 0, zero = 0;
  for (const auto& group : doc["testGroups"]) {
    ASSERT_EQ(group["curve"], "curve25519");
    for (const auto& t : group["tests"]) {
      const int id = t["tcId"];
      const std::string result = t["result"];
      ASSERT_NE(result, "invalid") << id;  // none exist; fail loudly if a new file has some
      ByteArray<32> want = A32(t["shared"].get<std::string>());
      const bool want_zero = std::all_of(want.begin(), want.end(), [](uint8_t b) { return !b; });
      SharedSecret out;
      bool ok =
          X25519(Priv(t["private"].get<std::string>()), A32(t["public"].get<std::string>()), out);
      EXPECT_EQ(ok, !want_zero) << "tcId " << id << " " << t["comment"];
      EXPECT_EQ(Hex32(out.data()), ToHex(want)) << "tcId " << id << " " << t["comment"];
      zero += want_zero;
      ++ran;
    }
  }
  EXPECT_EQ(ran, doc["numberOfTests"].get<int>());
  EXPECT_GT(zero, 0);
}

}  // namespace
}  // namespace dlog::crypto
