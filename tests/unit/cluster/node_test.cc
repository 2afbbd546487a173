// cluster::Node inputs that do not need a whole simulated cluster.
#include "cluster/node.h"

#include <gtest/gtest.h>

#include "base/rng.h"
#include "cluster/envelope.h"
#include "cluster/messages.h"
#include "sim.h"

namespace dlog::cluster {
namespace {

using test::At;
using test::Ep;

class NodeTest : public ::testing::Test {
 protected:
  NodeTest() : rng_(21) {
    keys_ = GenerateNodeKeys(pq::Algorithm::kKyber768, rng_, "node-a");
    node_ = std::make_unique<Node>(keys_.Clone(), NodeOptions{}, std::nullopt, rng_);
    cluster_ = GenerateClusterKeys(rng_);
    EXPECT_TRUE(node_->Bootstrap(cluster_, At(now_)).ok());
    node_->TakeOutput();
  }
  std::vector<Bytes> Frags(MsgType t, const Bytes& body) { return MakeFragments(t, 7, body); }

  SeededRng rng_;
  TimePoint now_{std::chrono::seconds(10)};
  NodeKeys keys_;
  std::unique_ptr<Node> node_;
  ClusterKeys cluster_;
};

TEST(OverlayPrefix, ParsesAndRefuses) {
  auto p = OverlayPrefix::Parse("10.0.0.0/24");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->FirstHost(), 0x0a000001u);
  EXPECT_EQ(p->LastHost(), 0x0a0000feu);
  EXPECT_TRUE(p->Contains(0x0a000005));
  EXPECT_FALSE(p->Contains(0x0a0000ff));
  auto q = OverlayPrefix::Parse("172.16.0.0/12");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->LastHost(), 0xac1ffffeu);
  for (const char* bad : {"10.0.0.1/24", "10.0.0.0", "10.0.0.0/31", "10.0.0/24", "10.0.0.256/24",
                          "a.b.c.d/8", "10.0.0.0/24x", ""}) {
    EXPECT_FALSE(OverlayPrefix::Parse(bad).ok()) << bad;
  }
}

TEST_F(NodeTest, BootstrapTakesTheFirstAddressAndPrintsTheSteps) {
  EXPECT_EQ(*node_->overlay_address(), 0x0a000001u);
  EXPECT_TRUE(node_->joined());
  EXPECT_FALSE(node_->Bootstrap(cluster_, At(now_)).ok());
  EXPECT_FALSE(node_->Join("dlog1.x.y.z", {}, Role::kNode, At(now_)).ok());
  Node fresh(keys_.Clone(), NodeOptions{}, std::nullopt, rng_);
  ASSERT_TRUE(fresh.Bootstrap(cluster_, At(now_)).ok());
  Output o = fresh.TakeOutput();
  ASSERT_GE(o.events.size(), 3u);
  EXPECT_EQ(o.events[1], "Cluster ready! Node ID: node-a");
  EXPECT_EQ(o.events[2], "WireGuard endpoint: 10.0.0.1");
  EXPECT_TRUE(o.address_changed && o.state_changed);
}

TEST_F(NodeTest, MeshDatagramFromAStrangerIsDropped) {
  PublicKey stranger{};
  stranger[0] = 5;
  for (auto& d : Frags(MsgType::kRosterDigest, EncodeDigest({}))) {
    node_->OnMeshDatagram(stranger, d, At(now_));
  }
  EXPECT_EQ(node_->counters().mesh_not_member, 1u);
  EXPECT_TRUE(node_->TakeOutput().mesh.empty());
}

TEST_F(NodeTest, RecordsNotSignedByTheClusterAreRefused) {
  PublicKey b{};
  b[0] = 0x42;
  ASSERT_TRUE(node_->AddMember(b, "node-b", Role::kNode, At(now_)).ok());
  node_->TakeOutput();
  MemberRecord forged;
  forged.key = b;
  forged.version = 99;
  forged.overlay = 0x0a000001;  // try to take node-a's address
  forged.name = "node-b";
  SignMember(GenerateClusterKeys(rng_), forged);
  for (auto& d : Frags(MsgType::kRosterDelta, EncodeDelta({forged}))) {
    node_->OnMeshDatagram(b, d, At(now_));
  }
  EXPECT_EQ(node_->counters().mesh_bad_signature, 1u);
  for (const auto& v : node_->ListMembers()) {
    if (v.record.key == b) {
      EXPECT_EQ(v.record.version, 1u);
    }
  }
}

TEST_F(NodeTest, TokenDeltaOnlyFromNodes) {
  PublicKey c{};
  c[0] = 0x43;
  ASSERT_TRUE(node_->AddMember(c, "client-c", Role::kClient, At(now_)).ok());
  TokenRecord t;
  t.id[0] = 1;
  t.expiry_unix = At(now_).UnixSeconds() + 100;
  for (auto& d : Frags(MsgType::kTokenDelta, EncodeTokenDelta({t}))) {
    node_->OnMeshDatagram(c, d, At(now_));
  }
  EXPECT_EQ(node_->counters().token_from_non_node, 1u);
  EXPECT_TRUE(node_->ListTokens().empty());
}

TEST_F(NodeTest, AddMemberAssignsTheNextAddressOnce) {
  PublicKey k{};
  k[0] = 0x44;
  auto r = node_->AddMember(k, "admin-1", Role::kAdmin, At(now_));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->overlay, 0x0a000002u);
  EXPECT_TRUE(VerifyMember(cluster_.public_key, *r));
  EXPECT_FALSE(node_->AddMember(k, "admin-1", Role::kAdmin, At(now_)).ok());
  EXPECT_FALSE(node_->AddMember(PublicKey{1}, "bad name", Role::kAdmin, At(now_)).ok());
  Output o = node_->TakeOutput();
  ASSERT_EQ(o.peers.size(), 1u);
  EXPECT_EQ(o.peers[0].allowed_ip, 0x0a000002u);
  EXPECT_FALSE(o.peers[0].pq_algorithm);  // a stock WireGuard member has no PQ key
}

TEST_F(NodeTest, OwnEndpointsArePublishedUnderANewVersion) {
  node_->SetOwnEndpoints({Ep(10), Ep(20)}, At(now_));
  EXPECT_TRUE(node_->TakeOutput().state_changed);
  for (const auto& v : node_->ListMembers()) {
    if (!v.self) continue;
    EXPECT_EQ(v.record.version, 2u);
    EXPECT_EQ(v.record.endpoints.size(), 2u);
    EXPECT_TRUE(VerifyMember(cluster_.public_key, v.record));
  }
  node_->SetOwnEndpoints({Ep(10), Ep(20)}, At(now_));  // unchanged: nothing new
  EXPECT_FALSE(node_->TakeOutput().state_changed);
}

TEST_F(NodeTest, DiscoveryCannotIntroduceAPeer) {
  // An announcement with a key that is not in the signed roster (a false key for a
  // member's name, or a stranger) makes no WireGuard peer; it is only reported.
  PublicKey rogue{};
  rogue[0] = 0x66;
  node_->OnCandidate(rogue, "node-b", Ep(66), At(now_));
  node_->OnCandidate(std::nullopt, "node-c", Ep(67), At(now_));
  Output o = node_->TakeOutput();
  EXPECT_TRUE(o.peers.empty());
  EXPECT_TRUE(o.underlay.empty() && o.mesh.empty());
  ASSERT_EQ(o.events.size(), 2u);
  EXPECT_EQ(o.events[0], "Found node-b at 192.168.1.66");
  EXPECT_EQ(node_->ListMembers().size(), 1u);
}

TEST_F(NodeTest, TokensExpireAndRevokeAsAdminOpsSay) {
  EXPECT_FALSE(node_->CreateToken(Role::kNode, At(now_).UnixSeconds() - 1, 1, At(now_)).ok());
  auto t = node_->CreateToken(Role::kAdmin, At(now_).UnixSeconds() + 60, 3, At(now_));
  ASSERT_TRUE(t.ok());
  const JoinToken parsed = *ParseToken(*t);
  EXPECT_EQ(parsed.pin, node_->cluster_pin());
  ASSERT_EQ(node_->ListTokens().size(), 1u);
  EXPECT_EQ(node_->ListTokens()[0].role, Role::kAdmin);
  EXPECT_TRUE(node_->RevokeToken(parsed.id, At(now_)).ok());
  EXPECT_TRUE(node_->ListTokens()[0].revoked);
  EXPECT_FALSE(node_->RevokeToken(TokenId{}, At(now_)).ok());
  EXPECT_FALSE(node_->RemoveMember(keys_.wg_public, At(now_)).ok());
}

}  // namespace
}  // namespace dlog::cluster
