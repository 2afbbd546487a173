// Enrollment: both sides of the join protocol, driven by hand (no simulator).
#include <gtest/gtest.h>

#include "base/rng.h"
#include "cluster/messages.h"
#include "cluster/node.h"
#include "sim.h"

namespace dlog::cluster {
namespace {

using test::At;
using test::Ep;

struct Party {
  NodeKeys keys;
  std::unique_ptr<Node> node;
  wg::Endpoint ep;
};

class Enrollment : public ::testing::Test {
 protected:
  Enrollment() : rng_(11) {}
  Party Make(const std::string& name, uint8_t host, Role role = Role::kNode) {
    Party p;
    p.keys = GenerateNodeKeys(pq::Algorithm::kKyber1024, rng_, name);
    p.ep = Ep(host);
    NodeOptions o;
    o.role = role;
    p.node = std::make_unique<Node>(p.keys.Clone(), o, std::nullopt, rng_);
    return p;
  }
  void SetUp() override {
    member_ = Make("node-a", 10);
    cluster_ = GenerateClusterKeys(rng_);
    ASSERT_TRUE(member_.node->Bootstrap(cluster_, At(now_)).ok());
    member_.node->TakeOutput();
  }
  std::string Token(Role role, int64_t ttl, uint32_t uses) {
    auto t = member_.node->CreateToken(role, At(now_).UnixSeconds() + ttl, uses, At(now_));
    EXPECT_TRUE(t.ok());
    member_.node->TakeOutput();
    return *t;
  }
  // Joiner → member: returns how many datagrams the member sent back.
  size_t Exchange(Party& joiner, TimePoint member_now) {
    Output req = joiner.node->TakeOutput();
    size_t answered = 0;
    for (auto& d : req.underlay) {
      member_.node->OnUnderlayDatagram(joiner.ep, d.bytes, At(member_now));
    }
    Output resp = member_.node->TakeOutput();
    for (auto& d : resp.underlay) {
      EXPECT_EQ(d.to, joiner.ep);
      ++answered;
      joiner.node->OnUnderlayDatagram(member_.ep, d.bytes, At(member_now));
    }
    last_requests_ = std::move(req.underlay);
    return answered;
  }

  SeededRng rng_;
  TimePoint now_{std::chrono::seconds(100)};
  Party member_;
  ClusterKeys cluster_;
  std::vector<UnderlayDatagram> last_requests_;
};

TEST_F(Enrollment, ValidTokenAdmitsAndHandsOverTheCluster) {
  const std::string token = Token(Role::kNode, 3600, 2);
  Party b = Make("node-b", 11);
  ASSERT_TRUE(b.node->Join(token, {member_.ep}, Role::kNode, At(now_)).ok());
  EXPECT_GT(Exchange(b, now_), 0u);
  ASSERT_TRUE(b.node->joined());
  EXPECT_EQ(*b.node->overlay_address(), 0x0a000002u);
  EXPECT_EQ(b.node->cluster_pin(), member_.node->cluster_pin());
  ASSERT_NE(b.node->cluster_secret(), nullptr);
  EXPECT_TRUE(*b.node->cluster_secret() == cluster_.secret);
  EXPECT_EQ(member_.node->counters().join_admitted, 1u);
  EXPECT_EQ(member_.node->ListTokens()[0].TotalUses(), 1u);
  // Both want each other as WireGuard peers, with PQ keys and the learned endpoint.
  Output bo = b.node->TakeOutput();
  ASSERT_EQ(bo.peers.size(), 1u);
  EXPECT_EQ(bo.peers[0].key, member_.keys.wg_public);
  EXPECT_EQ(bo.peers[0].allowed_ip, 0x0a000001u);
  EXPECT_EQ(bo.peers[0].pq_public_key, member_.keys.pq.public_key);
  // The member's record lists no endpoint; the JoinAccept's source is used.
  ASSERT_TRUE(bo.peers[0].endpoint);
  EXPECT_EQ(*bo.peers[0].endpoint, member_.ep);
  EXPECT_TRUE(bo.address_changed && bo.state_changed);
  bool admitted_peer = false;
  for (const auto& v : member_.node->ListMembers()) {
    if (v.record.key == b.keys.wg_public) {
      admitted_peer = true;
      EXPECT_EQ(v.record.endpoints.at(0), b.ep);
      EXPECT_EQ(v.record.pq_public_key, b.keys.pq.public_key);
    }
  }
  EXPECT_TRUE(admitted_peer);
}

TEST_F(Enrollment, ClientRoleGetsNoClusterSecret) {
  const std::string token = Token(Role::kClient, 3600, 1);
  Party c = Make("client-1", 12, Role::kClient);
  ASSERT_TRUE(c.node->Join(token, {member_.ep}, Role::kClient, At(now_)).ok());
  Exchange(c, now_);
  ASSERT_TRUE(c.node->joined());
  EXPECT_EQ(c.node->cluster_secret(), nullptr);
  EXPECT_FALSE(c.node->CreateToken(Role::kNode, At(now_).UnixSeconds() + 10, 1, At(now_)).ok());
}

TEST_F(Enrollment, WrongRoleForTheTokenIsSilent) {
  const std::string token = Token(Role::kClient, 3600, 1);
  Party c = Make("sneaky", 12);
  ASSERT_TRUE(c.node->Join(token, {member_.ep}, Role::kNode, At(now_)).ok());
  EXPECT_EQ(Exchange(c, now_), 0u);
  EXPECT_FALSE(c.node->joined());
}

TEST_F(Enrollment, UnknownTokenIsSilent) {
  // A token of another cluster: the id is unknown here.
  SeededRng other_rng(99);
  Party other = Make("other", 50);
  ASSERT_TRUE(other.node->Bootstrap(GenerateClusterKeys(other_rng), At(now_)).ok());
  const std::string foreign =
      *other.node->CreateToken(Role::kNode, At(now_).UnixSeconds() + 60, 1, At(now_));
  Party x = Make("x", 13);
  ASSERT_TRUE(x.node->Join(foreign, {member_.ep}, Role::kNode, At(now_)).ok());
  EXPECT_EQ(Exchange(x, now_), 0u);
  EXPECT_EQ(member_.node->counters().join_unknown_token, 1u);
  EXPECT_FALSE(x.node->joined());
}

TEST_F(Enrollment, WrongSecretIsSilent) {
  JoinToken t = *ParseToken(Token(Role::kNode, 3600, 1));
  t.secret.data()[0] ^= 1;  // same id, another secret
  const std::string token = FormatToken(t);
  Party x = Make("x", 13);
  ASSERT_TRUE(x.node->Join(token, {member_.ep}, Role::kNode, At(now_)).ok());
  EXPECT_EQ(Exchange(x, now_), 0u);
  EXPECT_EQ(member_.node->counters().join_bad_aead, 1u);
}

TEST_F(Enrollment, ExpiredTokenIsSilent) {
  const std::string token = Token(Role::kNode, 60, 5);
  Party x = Make("x", 13);
  ASSERT_TRUE(
      x.node->Join(token, {member_.ep}, Role::kNode, At(now_ + std::chrono::seconds(61))).ok());
  EXPECT_EQ(Exchange(x, now_ + std::chrono::seconds(61)), 0u);
  EXPECT_EQ(member_.node->counters().join_expired, 1u);
}

TEST_F(Enrollment, UsedUpTokenIsSilentAndReplayUsesNothing) {
  const std::string token = Token(Role::kNode, 3600, 1);
  Party b = Make("node-b", 11);
  ASSERT_TRUE(b.node->Join(token, {member_.ep}, Role::kNode, At(now_)).ok());
  EXPECT_GT(Exchange(b, now_), 0u);
  ASSERT_TRUE(b.node->joined());
  // A replay of b's request (same joiner key): answered again, no use counted.
  for (auto& d : last_requests_) member_.node->OnUnderlayDatagram(b.ep, d.bytes, At(now_));
  EXPECT_GT(member_.node->TakeOutput().underlay.size(), 0u);
  EXPECT_EQ(member_.node->counters().join_readmitted, 1u);
  EXPECT_EQ(member_.node->ListTokens()[0].TotalUses(), 1u);
  // A second joiner with the same single-use token learns nothing.
  Party c = Make("node-c", 12);
  ASSERT_TRUE(c.node->Join(token, {member_.ep}, Role::kNode, At(now_)).ok());
  EXPECT_EQ(Exchange(c, now_), 0u);
  EXPECT_EQ(member_.node->counters().join_used_up, 1u);
  EXPECT_FALSE(c.node->joined());
}

TEST_F(Enrollment, RevokedTokenIsSilent) {
  const std::string token = Token(Role::kNode, 3600, 5);
  ASSERT_TRUE(member_.node->RevokeToken(ParseToken(token)->id, At(now_)).ok());
  Party x = Make("x", 13);
  ASSERT_TRUE(x.node->Join(token, {member_.ep}, Role::kNode, At(now_)).ok());
  EXPECT_EQ(Exchange(x, now_), 0u);
  EXPECT_EQ(member_.node->counters().join_revoked, 1u);
}

TEST_F(Enrollment, StaleRequestIsSilent) {
  const std::string token = Token(Role::kNode, 86400, 5);
  Party x = Make("x", 13);
  ASSERT_TRUE(x.node->Join(token, {member_.ep}, Role::kNode, At(now_)).ok());
  EXPECT_EQ(Exchange(x, now_ + kJoinClockSkew + std::chrono::seconds(1)), 0u);
  EXPECT_EQ(member_.node->counters().join_stale, 1u);
}

TEST_F(Enrollment, RemovedKeyCannotComeBack) {
  const std::string token = Token(Role::kNode, 3600, 5);
  Party b = Make("node-b", 11);
  ASSERT_TRUE(b.node->Join(token, {member_.ep}, Role::kNode, At(now_)).ok());
  Exchange(b, now_);
  ASSERT_TRUE(member_.node->RemoveMember(b.keys.wg_public, At(now_)).ok());
  member_.node->TakeOutput();
  for (auto& d : last_requests_) member_.node->OnUnderlayDatagram(b.ep, d.bytes, At(now_));
  EXPECT_TRUE(member_.node->TakeOutput().underlay.empty());
  EXPECT_EQ(member_.node->counters().join_removed_key, 1u);
}

TEST_F(Enrollment, RogueClusterWithAnotherSigningKeyIsRejectedByThePin) {
  const std::string token = Token(Role::kNode, 3600, 5);
  const JoinToken parsed = *ParseToken(token);
  // The rogue knows the token (say it was intercepted) but not the cluster's key.
  Party rogue = Make("rogue", 66);
  ClusterState st;
  st.joined = true;
  const ClusterKeys rogue_keys = GenerateClusterKeys(rng_);
  st.cluster_public_key = rogue_keys.public_key;
  st.cluster_keys = rogue_keys;
  MemberRecord self;
  self.key = rogue.keys.wg_public;
  self.version = 1;
  self.overlay = 0x0a000001;
  self.name = "rogue";
  SignMember(rogue_keys, self);
  st.members.push_back(self);
  TokenRecord t;
  t.id = parsed.id;
  t.role = Role::kNode;
  t.expiry_unix = At(now_).UnixSeconds() + 3600;
  t.max_uses = 5;
  t.join_key = JoinKeyOf(parsed.secret);
  st.tokens.push_back(t);
  rogue.node = std::make_unique<Node>(rogue.keys.Clone(), NodeOptions{}, st, rng_);

  Party b = Make("node-b", 11);
  ASSERT_TRUE(b.node->Join(token, {rogue.ep}, Role::kNode, At(now_)).ok());
  Output req = b.node->TakeOutput();
  for (auto& d : req.underlay) rogue.node->OnUnderlayDatagram(b.ep, d.bytes, At(now_));
  Output resp = rogue.node->TakeOutput();
  ASSERT_GT(resp.underlay.size(), 0u);  // the rogue answers...
  for (auto& d : resp.underlay) b.node->OnUnderlayDatagram(rogue.ep, d.bytes, At(now_));
  EXPECT_FALSE(b.node->joined());  // ...and is refused
  EXPECT_EQ(b.node->counters().accept_pin_mismatch, 1u);
  EXPECT_EQ(b.node->cluster_secret(), nullptr);
}

TEST_F(Enrollment, JoinAcceptForAnotherRequestIsRejected) {
  const std::string token = Token(Role::kNode, 3600, 5);
  Party b = Make("node-b", 11);
  Party c = Make("node-c", 12);
  ASSERT_TRUE(b.node->Join(token, {member_.ep}, Role::kNode, At(now_)).ok());
  ASSERT_TRUE(c.node->Join(token, {member_.ep}, Role::kNode, At(now_)).ok());
  Output req = b.node->TakeOutput();
  for (auto& d : req.underlay) member_.node->OnUnderlayDatagram(b.ep, d.bytes, At(now_));
  Output resp = member_.node->TakeOutput();
  c.node->TakeOutput();
  for (auto& d : resp.underlay) c.node->OnUnderlayDatagram(member_.ep, d.bytes, At(now_));
  EXPECT_FALSE(c.node->joined());
  EXPECT_EQ(c.node->counters().accept_bad, 1u);
}

TEST_F(Enrollment, FloodFromOneSourceIsRateLimited) {
  const std::string token = Token(Role::kNode, 3600, 1000);
  Party x = Make("x", 13);
  ASSERT_TRUE(x.node->Join(token, {member_.ep}, Role::kNode, At(now_)).ok());
  Output req = x.node->TakeOutput();
  for (int i = 0; i < 100; ++i) {
    for (auto& d : req.underlay) member_.node->OnUnderlayDatagram(x.ep, d.bytes, At(now_));
  }
  EXPECT_GE(member_.node->counters().join_rate_limited, 150u);
  EXPECT_EQ(member_.node->counters().join_admitted, 1u);
}

TEST_F(Enrollment, JoinerRetriesWithBackoffThenGivesUp) {
  const std::string token = Token(Role::kNode, 3600, 1);
  Party x = Make("x", 13);
  TimePoint t = now_;
  ASSERT_TRUE(x.node->Join(token, {Ep(99)}, Role::kNode, At(t)).ok());
  size_t rounds = x.node->TakeOutput().underlay.empty() ? 0 : 1;
  for (int i = 0; i < 2000 && !x.node->join_failed(); ++i) {
    t = std::max(t + std::chrono::milliseconds(100), x.node->NextDeadline());
    x.node->Tick(At(t));
    if (!x.node->TakeOutput().underlay.empty()) ++rounds;
  }
  EXPECT_TRUE(x.node->join_failed());
  EXPECT_EQ(rounds, kJoinMaxAttempts);
  EXPECT_LT(t - now_, std::chrono::seconds(kJoinMaxAttempts * 9));
}

TEST_F(Enrollment, NotANodeStaysSilent) {
  Party lonely = Make("lonely", 20);  // never joined
  Party x = Make("x", 13);
  const std::string token = Token(Role::kNode, 3600, 1);
  ASSERT_TRUE(x.node->Join(token, {lonely.ep}, Role::kNode, At(now_)).ok());
  for (auto& d : x.node->TakeOutput().underlay)
    lonely.node->OnUnderlayDatagram(x.ep, d.bytes, At(now_));
  EXPECT_TRUE(lonely.node->TakeOutput().underlay.empty());
  EXPECT_GT(lonely.node->counters().join_not_node, 0u);
}

}  // namespace
}  // namespace dlog::cluster
