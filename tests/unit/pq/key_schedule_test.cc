// The key schedule: the label tree is the nested keyed hash it claims to be, labels
// separate domains and configurations, and the handshake steps agree side by side.
#include "pq/key_schedule.h"

#include <gtest/gtest.h>

#include <set>

#include "crypto/blake2s.h"
#include "pq/cookie.h"
#include "pq/handshake.h"
#include "pq_sim.h"

namespace dlog::pq {
namespace {

using namespace std::chrono_literals;
using testing::Ep;
using testing::MakeKeys;
using testing::T0;

Label H(ByteSpan k, ByteSpan d) {
  Label out;
  crypto::Hmac(out.data(), k, d);
  return out;
}

TEST(KeySchedule, KeyedHashIsHmacBlake2s) {
  // RFC 2104 over BLAKE2s by hand: H((K ^ opad) || H((K ^ ipad) || m)).
  const Bytes key(32, 0x0b);
  const std::string m = "dlog";
  uint8_t ipad[64], opad[64];
  for (int i = 0; i < 64; ++i) {
    uint8_t k = i < 32 ? key[i] : 0;
    ipad[i] = k ^ 0x36;
    opad[i] = k ^ 0x5c;
  }
  uint8_t inner[32], outer[32];
  crypto::Hash(inner, {ByteSpan(ipad, 64), AsBytes(m)});
  crypto::Hash(outer, {ByteSpan(opad, 64), ByteSpan(inner, 32)});
  uint8_t got[32];
  KeyedHash(got, key, AsBytes(m));
  EXPECT_EQ(Bytes(got, got + 32), Bytes(outer, outer + 32));
}

TEST(KeySchedule, LabelsAreTheNestedHashOfTheirPath) {
  const Labels l = Labels::Make(Algorithm::kKyber1024);
  EXPECT_NE(l.protocol.find("ekem=ML-KEM-1024"), std::string::npos);
  EXPECT_NE(l.protocol.find("skem=ML-KEM-1024"), std::string::npos);
  EXPECT_NE(l.protocol.find("hash=hmac-blake2s"), std::string::npos);
  const Label root = H(Label{}, AsBytes(l.protocol));
  EXPECT_EQ(l.mac, H(root, AsBytes("mac")));
  EXPECT_EQ(l.peer_id, H(root, AsBytes("peer id")));
  const Label extract = H(root, AsBytes("chaining key extract"));
  EXPECT_EQ(l.mix, H(extract, AsBytes("mix")));
  EXPECT_EQ(l.wireguard_psk,
            H(H(H(extract, AsBytes("user")), AsBytes("dlog")), AsBytes("wireguard psk")));
  EXPECT_EQ(HashChain(l.mac, {AsBytes("a"), AsBytes("b")}),
            H(H(l.mac, AsBytes("a")), AsBytes("b")));
}

TEST(KeySchedule, EveryLabelIsDistinctAndDependsOnTheAlgorithm) {
  const Labels a = Labels::Make(Algorithm::kKyber1024);
  const Labels b = Labels::Make(Algorithm::kKyber768);
  std::set<Label> all;
  for (const Labels* l : {&a, &b})
    for (const Label* x :
         {&l->mac, &l->cookie, &l->cookie_value, &l->cookie_key, &l->peer_id, &l->biscuit_ad,
          &l->ck_init, &l->mix, &l->hs_enc, &l->ini_enc, &l->res_enc, &l->wireguard_psk})
      all.insert(*x);
  EXPECT_EQ(all.size(), 24u);
}

TEST(KeySchedule, ChainingKeyOperations) {
  const Labels l = Labels::Make(Algorithm::kKyber768);
  ChainingKey x(l, AsBytes("spkr")), y(l, AsBytes("spkr"));
  EXPECT_EQ(x.value(), y.value());
  EXPECT_EQ(x.value(), Key(H(l.ck_init, AsBytes("spkr"))));
  x.Mix(AsBytes("d"));
  EXPECT_NE(x.value(), y.value());
  const Label mix_key = H(y.value().span(), l.mix);
  EXPECT_EQ(x.value(), Key(H(mix_key, AsBytes("d"))));
  y.Mix(AsBytes("d"));
  uint8_t ct[4 + 16], pt[4];
  x.EncryptAndMix(AsBytes("ping"), ct);
  EXPECT_TRUE(y.DecryptAndMix(ct, pt));
  EXPECT_EQ(std::string(pt, pt + 4), "ping");
  EXPECT_EQ(x.value(), y.value());
  ct[0] ^= 1;
  const Key before = y.value();
  EXPECT_FALSE(y.DecryptAndMix(ct, pt));
  EXPECT_EQ(y.value(), before) << "a failed decryption leaves the state alone";
}

TEST(KeySchedule, KemMixingAgreesAndImplicitRejectionDiverges) {
  for (Algorithm a : {Algorithm::kKyber768, Algorithm::kKyber1024}) {
    const Labels l = Labels::Make(a);
    SeededRng rng(3);
    KemKeyPair kp = KemKeyGen(a, rng);
    ChainingKey x(l, kp.ek), y(l, kp.ek);
    Bytes ct(SizesOf(a).ct);
    ASSERT_TRUE(x.EncapsAndMix(a, kp.ek, rng, ct.data()).ok());
    ChainingKey z = y;
    ASSERT_TRUE(y.DecapsAndMix(a, kp.dk.span(), kp.ek, ct).ok());
    EXPECT_EQ(x.value(), y.value());
    ct[5] ^= 1;
    ASSERT_TRUE(z.DecapsAndMix(a, kp.dk.span(), kp.ek, ct).ok());
    EXPECT_NE(z.value(), x.value());
    Bytes bad_ek(SizesOf(a).ek, 0xFF);
    EXPECT_FALSE(x.EncapsAndMix(a, bad_ek, rng, ct.data()).ok());
  }
}

TEST(Handshake, StepsAgreeSideBySide) {
  const Algorithm a = Algorithm::kKyber1024;
  const Labels l = Labels::Make(a);
  auto ki = MakeKeys(a, 1), kr = MakeKeys(a, 2);
  SeededRng ri(3), rr(4);
  Identity idi = MakeIdentity(l, a, ki.pk, crypto::MlKemDecapsKey(ki.sk));
  Identity idr = MakeIdentity(l, a, kr.pk, crypto::MlKemDecapsKey(kr.sk));
  Key psk;
  psk.data()[0] = 7;
  PeerKeys r_at_i = MakePeerKeys(l, kr.pk, psk);
  PeerKeys i_at_r = MakePeerKeys(l, ki.pk, psk);
  Context ci{a, l, idi, ri}, cr{a, l, idr, rr};
  BiscuitKeys biscuits(rr, T0());
  PeerLookup lookup = [&](const Label& pid) { return pid == i_at_r.pid ? &i_at_r : nullptr; };

  Bytes ih, rh, ic;
  auto hs = CreateInitHello(ci, r_at_i, ih);
  ASSERT_TRUE(hs.ok());
  Failure f = Failure::kNone;
  auto h = ConsumeInitHello(cr, ih, lookup, f);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->peer, &i_at_r);
  EXPECT_EQ(h->ck.value(), hs->ck.value());
  ASSERT_TRUE(CreateRespHello(cr, *h, ih, biscuits, rh).ok());
  ASSERT_TRUE(ConsumeRespHello(ci, rh, *hs));
  EXPECT_EQ(h->ck.value(), hs->ck.value());
  SessionKeys ki_keys = CreateInitConf(ci, *hs, rh, ic);
  auto conf = ConsumeInitConf(cr, ic, biscuits, lookup, f);
  ASSERT_TRUE(conf.has_value());
  EXPECT_EQ(conf->keys.osk, ki_keys.osk);
  EXPECT_EQ(conf->keys.txkr, ki_keys.txkr);
  EXPECT_NE(ki_keys.osk, ki_keys.txki);
  EXPECT_EQ(conf->biscuit_no, 1u);
  EXPECT_TRUE(ConsumeEmptyData(CreateEmptyData(hs->sidi, conf->keys), hs->sidi, ki_keys));
  EXPECT_FALSE(ConsumeEmptyData(CreateEmptyData(hs->sidi, conf->keys), hs->sidi + 1, ki_keys));

  // A different psk on one side: InitHello fails at IHR8.
  PeerKeys other = MakePeerKeys(l, ki.pk, Key{});
  PeerLookup lookup2 = [&](const Label&) { return &other; };
  EXPECT_FALSE(ConsumeInitHello(cr, ih, lookup2, f).has_value());
  EXPECT_EQ(f, Failure::kAuth);
  // An unconfigured initiator: IHR6 opens, the lookup fails.
  PeerLookup none = [&](const Label&) -> const PeerKeys* { return nullptr; };
  EXPECT_FALSE(ConsumeInitHello(cr, ih, none, f).has_value());
  EXPECT_EQ(f, Failure::kUnknownPeer);
}

TEST(Handshake, BiscuitsOpenAcrossOneRotationOnly) {
  const Algorithm a = Algorithm::kKyber768;
  const Labels l = Labels::Make(a);
  auto ki = MakeKeys(a, 1), kr = MakeKeys(a, 2);
  SeededRng ri(3), rr(4);
  Identity idi = MakeIdentity(l, a, ki.pk, crypto::MlKemDecapsKey(ki.sk));
  Identity idr = MakeIdentity(l, a, kr.pk, crypto::MlKemDecapsKey(kr.sk));
  PeerKeys r_at_i = MakePeerKeys(l, kr.pk, Key{}), i_at_r = MakePeerKeys(l, ki.pk, Key{});
  Context ci{a, l, idi, ri}, cr{a, l, idr, rr};
  PeerLookup lookup = [&](const Label&) { return &i_at_r; };
  auto run_to_conf = [&](BiscuitKeys& b) {
    Bytes ih, rh, ic;
    auto hs = CreateInitHello(ci, r_at_i, ih);
    Failure f;
    auto h = ConsumeInitHello(cr, ih, lookup, f);
    EXPECT_TRUE(CreateRespHello(cr, *h, ih, b, rh).ok());
    EXPECT_TRUE(ConsumeRespHello(ci, rh, *hs));
    CreateInitConf(ci, *hs, rh, ic);
    return ic;
  };
  BiscuitKeys b(rr, T0());
  Bytes ic = run_to_conf(b);
  Failure f;
  b.MaybeRotate(rr, T0() + kBiscuitKeyLifetime - 1s);
  EXPECT_TRUE(ConsumeInitConf(cr, ic, b, lookup, f).has_value());
  b.MaybeRotate(rr, T0() + kBiscuitKeyLifetime);
  EXPECT_TRUE(ConsumeInitConf(cr, ic, b, lookup, f).has_value()) << "previous key";
  b.MaybeRotate(rr, T0() + 2 * kBiscuitKeyLifetime);
  EXPECT_FALSE(ConsumeInitConf(cr, ic, b, lookup, f).has_value());
  EXPECT_EQ(f, Failure::kAuth);
}

TEST(Cookie, ReplyRoundTripAndBinding) {
  const Labels l = Labels::Make(Algorithm::kKyber1024);
  SeededRng rng(1);
  const Label reply_key = HashChain(l.cookie_key, {AsBytes("responder pk")});
  CookieChecker checker(l, reply_key, rng, T0());
  Bytes frag = MakeFragments(MsgType::kInitConf, 77, Bytes(136, 1), Label{})[0];
  EXPECT_FALSE(checker.Check(frag, Ep(1)));
  Bytes reply = checker.MakeReply(frag, Ep(1), rng);
  ASSERT_EQ(CookieReplyMsgId(reply), 77u);
  EXPECT_FALSE(OpenCookieReply(reply, MacOf(frag), Label{}).has_value()) << "wrong key";
  Bytes other_mac(16, 0);
  EXPECT_FALSE(OpenCookieReply(reply, other_mac, reply_key).has_value()) << "wrong AD";
  auto value = OpenCookieReply(reply, MacOf(frag), reply_key);
  ASSERT_TRUE(value.has_value());
  SetCookie(frag, l, value);
  EXPECT_TRUE(checker.Check(frag, Ep(1)));
  EXPECT_FALSE(checker.Check(frag, Ep(2))) << "bound to the source";
  checker.MaybeRotate(rng, T0() + kCookieSecretLifetime);
  EXPECT_TRUE(checker.Check(frag, Ep(1))) << "previous secret";
  checker.MaybeRotate(rng, T0() + 2 * kCookieSecretLifetime);
  EXPECT_FALSE(checker.Check(frag, Ep(1)));
}

}  // namespace
}  // namespace dlog::pq
