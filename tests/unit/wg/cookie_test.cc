#include "wg/cookie.h"

#include <gtest/gtest.h>

#include <cstring>

#include "crypto/blake2s.h"

namespace dlog::wg {
namespace {

using std::chrono::seconds;

class CookieTest : public ::testing::Test {
 protected:
  SeededRng rng{3};
  crypto::X25519Public responder = crypto::PublicKeyOf(crypto::GeneratePrivateKey(rng));
  crypto::X25519Public other = crypto::PublicKeyOf(crypto::GeneratePrivateKey(rng));
  CookieChecker checker{responder};
  CookieGenerator generator{responder};
  Endpoint source = *Endpoint::Parse("192.0.2.7:40000");
  TimePoint t0{seconds(1000)};

  MessageInitiation Message(uint8_t fill) {
    MessageInitiation m;
    std::memset(&m, fill, sizeof m);
    StoreLE32(m.type, kMessageInitiation);
    StoreLE32(m.sender, 0xabcdef01);
    return m;
  }
};

TEST_F(CookieTest, Mac1IsKeyedByReceiverPublicKey) {
  MessageInitiation m = Message(1);
  generator.AddMacs(m, t0);
  EXPECT_TRUE(checker.CheckMac1(m));
  // Explicit formula: MAC(HASH("mac1----" || pub), msg[0:116]).
  uint8_t key[32], mac[16];
  crypto::Hash(key, {AsBytes("mac1----"), responder});
  crypto::Mac16(mac, {key, 32}, {reinterpret_cast<uint8_t*>(&m), 116});
  EXPECT_EQ(0, std::memcmp(mac, m.mac1, 16));
  EXPECT_FALSE(CookieChecker(other).CheckMac1(m));
  m.ephemeral[3] ^= 1;
  EXPECT_FALSE(checker.CheckMac1(m));
}

TEST_F(CookieTest, Mac2IsZeroWithoutCookieAndFailsCheck) {
  MessageInitiation m = Message(2);
  generator.AddMacs(m, t0);
  EXPECT_EQ(Bytes(m.mac2, m.mac2 + 16), Bytes(16, 0));
  EXPECT_FALSE(checker.CheckMac2(m, source, t0));
}

TEST_F(CookieTest, ReplyRoundTripEnablesMac2FromSameSourceOnly) {
  MessageInitiation m = Message(3);
  generator.AddMacs(m, t0);
  MessageCookieReply reply = checker.CreateReply(m, source, t0, rng);
  EXPECT_EQ(LoadLE32(reply.type), uint32_t(kMessageCookieReply));
  EXPECT_EQ(LoadLE32(reply.receiver), 0xabcdef01u);
  ASSERT_TRUE(generator.ConsumeReply(reply, t0));
  EXPECT_FALSE(generator.ConsumeReply(reply, t0)) << "one reply per MAC1 sent";

  MessageInitiation retry = Message(4);
  generator.AddMacs(retry, t0 + seconds(5));
  EXPECT_NE(Bytes(retry.mac2, retry.mac2 + 16), Bytes(16, 0));
  EXPECT_TRUE(checker.CheckMac1(retry));
  EXPECT_TRUE(checker.CheckMac2(retry, source, t0 + seconds(5)));
  Endpoint moved = source;
  moved.port++;
  EXPECT_FALSE(checker.CheckMac2(retry, moved, t0 + seconds(5)));
}

TEST_F(CookieTest, ReplyIsBoundToTheMac1WeSent) {
  MessageInitiation m = Message(5);
  generator.AddMacs(m, t0);
  MessageInitiation other_msg = Message(6);
  CookieGenerator stranger(responder);
  stranger.AddMacs(other_msg, t0);
  // A reply to someone else's message (different MAC1 as AD) does not decrypt.
  MessageCookieReply reply = checker.CreateReply(other_msg, source, t0, rng);
  EXPECT_FALSE(generator.ConsumeReply(reply, t0));
  reply = checker.CreateReply(m, source, t0, rng);
  reply.encrypted_cookie[0] ^= 1;
  EXPECT_FALSE(generator.ConsumeReply(reply, t0));
}

TEST_F(CookieTest, NoReplyConsumedBeforeAnyMac1Sent) {
  MessageInitiation m = Message(7);
  CookieGenerator helper(responder);
  helper.AddMacs(m, t0);
  MessageCookieReply reply = checker.CreateReply(m, source, t0, rng);
  EXPECT_FALSE(generator.ConsumeReply(reply, t0));
}

TEST_F(CookieTest, CookieAgesOutAtGeneratorAndSecretAtChecker) {
  MessageInitiation m = Message(8);
  generator.AddMacs(m, t0);
  ASSERT_TRUE(generator.ConsumeReply(checker.CreateReply(m, source, t0, rng), t0));
  EXPECT_TRUE(generator.HasFreshCookie(t0 + seconds(115)));
  EXPECT_FALSE(generator.HasFreshCookie(t0 + seconds(116)));
  MessageInitiation late = Message(9);
  generator.AddMacs(late, t0 + seconds(116));
  EXPECT_EQ(Bytes(late.mac2, late.mac2 + 16), Bytes(16, 0));

  // The checker's secret is valid for 120 s; after that no MAC2 verifies.
  MessageInitiation fresh = Message(10);
  generator.AddMacs(fresh, t0 + seconds(10));
  EXPECT_TRUE(checker.CheckMac2(fresh, source, t0 + seconds(120)));
  EXPECT_FALSE(checker.CheckMac2(fresh, source, t0 + seconds(121)));
  // A new reply renews the secret; the old cookie no longer matches.
  generator.AddMacs(m, t0 + seconds(121));
  ASSERT_TRUE(generator.ConsumeReply(checker.CreateReply(m, source, t0 + seconds(121), rng),
                                     t0 + seconds(121)));
  EXPECT_FALSE(checker.CheckMac2(fresh, source, t0 + seconds(122)));
  MessageInitiation renewed = Message(11);
  generator.AddMacs(renewed, t0 + seconds(122));
  EXPECT_TRUE(checker.CheckMac2(renewed, source, t0 + seconds(122)));
}

}  // namespace
}  // namespace dlog::wg
