#include "cluster/token.h"

#include <gtest/gtest.h>

#include "base/rng.h"
#include "cluster/base32.h"

namespace dlog::cluster {
namespace {

JoinToken MakeToken(uint64_t seed) {
  SeededRng rng(seed);
  JoinToken t;
  rng.Fill(t.pin);
  rng.Fill(t.id);
  rng.Fill(t.secret.span());
  return t;
}

TEST(Base32, RoundTripsEveryLength) {
  SeededRng rng(1);
  for (size_t n = 0; n < 40; ++n) {
    Bytes b(n);
    rng.Fill(b);
    const std::string s = ToBase32(b);
    EXPECT_EQ(s.size(), (n * 8 + 4) / 5);
    auto back = FromBase32(s);
    ASSERT_TRUE(back) << n;
    EXPECT_EQ(*back, b);
  }
}

TEST(Base32, KnownVectorsAndRefusals) {
  // RFC 4648 §10, lower case without padding.
  EXPECT_EQ(ToBase32(AsBytes("foobar")), "mzxw6ytboi");
  EXPECT_EQ(ToBase32(AsBytes("f")), "my");
  EXPECT_EQ(*FromBase32("MZXW6YTBOI"), Bytes(AsBytes("foobar").begin(), AsBytes("foobar").end()));
  EXPECT_FALSE(FromBase32("my======"));  // padding
  EXPECT_FALSE(FromBase32("mz"));        // non-canonical trailing bits
  EXPECT_FALSE(FromBase32("m"));         // impossible length
  EXPECT_FALSE(FromBase32("m1"));        // not in the alphabet
}

TEST(Token, FormatParseRoundTrip) {
  const JoinToken t = MakeToken(7);
  const std::string text = FormatToken(t);
  EXPECT_EQ(text.rfind("dlog1.", 0), 0u);
  EXPECT_EQ(text.size(), 5 + 1 + 26 + 1 + 13 + 1 + 52);
  auto back = ParseToken("  " + text + "\n");
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(back->pin, t.pin);
  EXPECT_EQ(back->id, t.id);
  EXPECT_TRUE(back->secret == t.secret);
  std::string upper = text;
  for (char& c : upper) c = char(std::toupper(uint8_t(c)));
  EXPECT_TRUE(ParseToken(upper).ok());
}

TEST(Token, ParseRefusesMalformedWithAMessage) {
  const std::string text = FormatToken(MakeToken(8));
  EXPECT_NE(ParseToken("dlog2" + text.substr(5)).error().find("dlog1"), std::string::npos);
  EXPECT_NE(ParseToken(text.substr(0, text.size() - 1)).error().find("secret"), std::string::npos);
  EXPECT_FALSE(ParseToken(text + ".x").ok());
  EXPECT_FALSE(ParseToken("dlog1...").ok());
  EXPECT_FALSE(ParseToken("").ok());
  std::string bad = text;
  bad[8] = '!';
  EXPECT_NE(ParseToken(bad).error().find("pin"), std::string::npos);
}

TEST(Token, JoinKeyDependsOnTheSecret) {
  JoinToken a = MakeToken(1), b = MakeToken(2);
  EXPECT_TRUE(JoinKeyOf(a.secret) == JoinKeyOf(a.secret));
  EXPECT_FALSE(JoinKeyOf(a.secret) == JoinKeyOf(b.secret));
}

TEST(TokenRecord, ExpiryUsesRevocation) {
  TokenRecord r;
  r.expiry_unix = 1000;
  r.max_uses = 2;
  EXPECT_EQ(r.Unusable(999), nullptr);
  EXPECT_STREQ(r.Unusable(1000), "expired");
  PublicKey n1{}, n2{};
  n1[0] = 1;
  n2[0] = 2;
  r.CountUse(n1);
  EXPECT_EQ(r.Unusable(10), nullptr);
  r.CountUse(n2);
  EXPECT_EQ(r.TotalUses(), 2u);
  EXPECT_STREQ(r.Unusable(10), "used up");
  r.revoked = true;
  EXPECT_STREQ(r.Unusable(10), "revoked");
  TokenRecord unlimited;
  unlimited.expiry_unix = 1000;
  unlimited.max_uses = 0;
  for (int i = 0; i < 100; ++i) unlimited.CountUse(n1);
  EXPECT_EQ(unlimited.Unusable(10), nullptr);
}

TEST(TokenRecord, MergeIsAGrowOnlyCounterAndCommutes) {
  TokenRecord base;
  base.expiry_unix = 1000;
  base.max_uses = 5;
  PublicKey n1{}, n2{};
  n1[0] = 1;
  n2[0] = 2;
  TokenRecord a = base, b = base;
  a.CountUse(n1);
  a.CountUse(n1);
  b.CountUse(n2);
  b.revoked = true;
  TokenRecord ab = a, ba = b;
  EXPECT_TRUE(ab.Merge(b));
  EXPECT_TRUE(ba.Merge(a));
  EXPECT_EQ(ab.uses, ba.uses);
  EXPECT_EQ(ab.TotalUses(), 3u);
  EXPECT_TRUE(ab.revoked && ba.revoked);
  EXPECT_FALSE(ab.Merge(b));  // idempotent
}

TEST(TokenRecord, EncodeDecode) {
  TokenRecord r;
  SeededRng rng(3);
  rng.Fill(r.id);
  r.role = Role::kAdmin;
  r.expiry_unix = 1234567;
  r.max_uses = 9;
  r.revoked = true;
  rng.Fill(r.join_key.span());
  PublicKey n{};
  n[5] = 7;
  r.CountUse(n);
  Bytes enc;
  EncodeTokenRecord(r, enc);
  ByteSpan in = enc;
  auto back = DecodeTokenRecord(in);
  ASSERT_TRUE(back);
  EXPECT_TRUE(in.empty());
  EXPECT_EQ(back->id, r.id);
  EXPECT_EQ(back->role, r.role);
  EXPECT_EQ(back->expiry_unix, r.expiry_unix);
  EXPECT_EQ(back->uses, r.uses);
  EXPECT_TRUE(back->join_key == r.join_key);
  for (size_t cut = 0; cut < enc.size(); ++cut) {
    ByteSpan part(enc.data(), cut);
    EXPECT_FALSE(DecodeTokenRecord(part)) << cut;
  }
}

}  // namespace
}  // namespace dlog::cluster
