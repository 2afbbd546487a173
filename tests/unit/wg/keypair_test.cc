#include "wg/keypair.h"

#include <gtest/gtest.h>

#include <set>

#include "wg/constants.h"
#include "wg/index_table.h"
#include "wg/peer.h"

namespace dlog::wg {
namespace {

using std::chrono::seconds;

KeypairPtr Make(uint32_t index, bool initiator, TimePoint created = TimePoint{}) {
  SessionKeys k;
  k.local_index = index;
  k.initiator = initiator;
  return std::make_shared<Keypair>(k, created);
}

bool Has(const RetiredKeypairs& r, const KeypairPtr& kp) {
  for (const auto& x : r)
    if (x == kp) return true;
  return false;
}

TEST(KeypairSetTest, InitiatorUsesNewSessionAtOnce) {
  KeypairSet set;
  auto k1 = Make(1, true), k2 = Make(2, true), k3 = Make(3, true);
  set.InstallAsInitiator(k1);
  EXPECT_EQ(set.current(), k1);
  set.InstallAsInitiator(k2);
  EXPECT_EQ(set.current(), k2);
  EXPECT_EQ(set.previous(), k1);
  RetiredKeypairs r = set.InstallAsInitiator(k3);
  EXPECT_TRUE(Has(r, k1));
  EXPECT_EQ(set.previous(), k2);
  EXPECT_EQ(set.current(), k3);
}

TEST(KeypairSetTest, InitiatorReplacesUnconfirmedNext) {
  KeypairSet set;
  auto cur = Make(1, true), nxt = Make(2, false), mine = Make(3, true);
  set.InstallAsInitiator(cur);
  set.InstallAsResponder(nxt);
  RetiredKeypairs r = set.InstallAsInitiator(mine);
  EXPECT_TRUE(Has(r, cur));
  EXPECT_EQ(set.previous(), nxt);
  EXPECT_EQ(set.current(), mine);
  EXPECT_FALSE(set.next());
}

TEST(KeypairSetTest, ResponderWaitsForConfirmation) {
  KeypairSet set;
  auto cur = Make(1, true), old = Make(0, true), nxt = Make(2, false), newer = Make(4, false);
  set.InstallAsInitiator(old);
  set.InstallAsInitiator(cur);
  RetiredKeypairs r = set.InstallAsResponder(nxt);
  EXPECT_TRUE(Has(r, old)) << "previous dropped";
  EXPECT_EQ(set.current(), cur);
  EXPECT_EQ(set.next(), nxt);
  r = set.InstallAsResponder(newer);
  EXPECT_TRUE(Has(r, nxt)) << "an unconfirmed next is replaced";
  KeypairPtr retired;
  EXPECT_FALSE(set.ConfirmNext(cur, retired));
  EXPECT_TRUE(set.ConfirmNext(newer, retired));
  EXPECT_EQ(set.current(), newer);
  EXPECT_EQ(set.previous(), cur);
  EXPECT_FALSE(set.next());
  EXPECT_FALSE(set.ConfirmNext(newer, retired)) << "only once";
}

TEST(KeypairSetTest, ClearRetiresAll) {
  KeypairSet set;
  set.InstallAsInitiator(Make(1, true));
  set.InstallAsInitiator(Make(2, true));
  set.InstallAsResponder(Make(3, false));
  RetiredKeypairs r = set.Clear();
  int n = 0;
  for (const auto& k : r) n += k != nullptr;
  EXPECT_EQ(n, 2);  // responder install dropped previous already
  EXPECT_TRUE(set.empty());
}

TEST(KeypairTest, SendLimitsByCountAndAge) {
  TimePoint t0{seconds(10)};
  auto kp = Make(1, true, t0);
  EXPECT_EQ(kp->NextSendCounter(), 0u);
  EXPECT_EQ(kp->NextSendCounter(), 1u);
  EXPECT_TRUE(kp->UsableForSending(t0 + kRejectAfterTime - seconds(1)));
  EXPECT_FALSE(kp->UsableForSending(t0 + kRejectAfterTime));
  EXPECT_FALSE(kp->ExpiredForReceiving(t0 + kRejectAfterTime));
  EXPECT_TRUE(kp->ExpiredForReceiving(t0 + kRejectAfterTime + seconds(1)));
  kp->ExhaustSendCounter();
  EXPECT_FALSE(kp->UsableForSending(t0));
  EXPECT_FALSE(kp->NextSendCounter());
  EXPECT_FALSE(kp->NextSendCounter()) << "stays exhausted";
}

TEST(KeypairTest, ReceiveWindowRejectsReplays) {
  auto kp = Make(1, false);
  EXPECT_TRUE(kp->AcceptReceiveCounter(5));
  EXPECT_FALSE(kp->AcceptReceiveCounter(5));
  EXPECT_TRUE(kp->AcceptReceiveCounter(3));
  EXPECT_FALSE(kp->AcceptReceiveCounter(kRejectAfterMessages));
}

TEST(IndexTableTest, UniqueNonZeroIndicesAndKeypairSwap) {
  SeededRng rng(1);
  IndexTable table;
  auto peer = std::make_shared<Peer>(1, crypto::X25519Public{});
  std::set<uint32_t> seen;
  for (int i = 0; i < 1000; ++i) {
    uint32_t idx = table.NewHandshakeIndex(peer, rng);
    EXPECT_NE(idx, 0u);
    EXPECT_TRUE(seen.insert(idx).second);
  }
  EXPECT_EQ(table.size(), 1000u);
  uint32_t idx = *seen.begin();
  auto entry = table.Lookup(idx);
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->peer, peer);
  EXPECT_FALSE(entry->keypair);
  auto kp = Make(idx, true);
  table.SwapForKeypair(idx, kp);
  EXPECT_EQ(table.Lookup(idx)->keypair, kp);
  table.RemoveKeypair(Make(idx, true));  // another keypair with the same number
  EXPECT_TRUE(table.Lookup(idx));
  table.RemoveKeypair(kp);
  EXPECT_FALSE(table.Lookup(idx));
  table.Remove(*seen.rbegin());
  EXPECT_EQ(table.size(), 998u);
}

}  // namespace
}  // namespace dlog::wg
