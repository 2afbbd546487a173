// Seeded simulation of a small cluster: bootstrap, joins, convergence, restarts,
// removal, concurrent admissions, key rotation. Loss and reordering from the seed.
#include "sim.h"

#include <gtest/gtest.h>

#include <set>

namespace dlog::cluster {
namespace {

using std::chrono::seconds;
using test::At;
using test::SimWorld;

class ClusterSim : public ::testing::TestWithParam<uint64_t> {
 protected:
  ClusterSim() : w_(GetParam(), 0.1) {}

  // node 0 bootstraps; the others join with one token through node 0's endpoint.
  void Form(size_t n, uint32_t uses = 10) {
    for (size_t i = 0; i < n; ++i) w_.Add("node-" + std::to_string(i), uint8_t(10 + i));
    ASSERT_TRUE(w_[0].node->Bootstrap(GenerateClusterKeys(w_.rng()), At(w_.now())).ok());
    token_ = *w_[0].node->CreateToken(Role::kNode, At(w_.now()).UnixSeconds() + 3600, uses,
                                      At(w_.now()));
    w_.Drain(0);
    for (size_t i = 1; i < n; ++i) {
      ASSERT_TRUE(w_[i].node->Join(token_, {w_[0].endpoint}, Role::kNode, At(w_.now())).ok());
      w_.Drain(i);
    }
  }

  std::set<PublicKey> LiveKeys(size_t i) {
    std::set<PublicKey> out;
    for (const auto& v : w_[i].node->ListMembers()) {
      if (!v.record.removed) out.insert(v.record.key);
    }
    return out;
  }

  void Dump() {
    for (size_t i = 0; i < w_.size(); ++i) {
      std::string line = "member " + std::to_string(i) + " key " +
                         std::to_string(w_[i].node->public_key()[0]) + ":";
      for (const auto& v : w_[i].node->ListMembers())
        line += " " + std::to_string(v.record.key[0]) + "@" + FormatOverlay(v.record.overlay) +
                "v" + std::to_string(v.record.version) + (v.record.removed ? "x" : "") +
                (v.peer_up ? "^" : "");
      const Counters& c = w_[i].node->counters();
      line += " | malformed " + std::to_string(c.malformed) + " not_member " +
              std::to_string(c.mesh_not_member) + " badsig " +
              std::to_string(c.mesh_bad_signature) + " applied " +
              std::to_string(c.records_applied) + " dropped " + std::to_string(c.outbox_dropped);
      line += " | peers:";
      for (const auto& [k, p] : w_[i].peers)
        line += " " + std::to_string(k[0]) + "/" + FormatOverlay(p.allowed_ip);
      std::printf("%s\n", line.c_str());
    }
  }
  void ExpectConverged(const std::vector<size_t>& ids) {
    if (getenv("DUMP")) Dump();
    std::set<uint32_t> addrs;
    for (size_t i : ids) {
      ASSERT_TRUE(w_[i].node->joined()) << i;
      ASSERT_TRUE(w_[i].node->overlay_address()) << i;
      addrs.insert(*w_[i].node->overlay_address());
      EXPECT_EQ(LiveKeys(i), LiveKeys(ids[0])) << i;
      EXPECT_EQ(LiveKeys(i).size(), ids.size()) << i;
      for (size_t j : ids) {
        if (j != i) {
          EXPECT_TRUE(w_.Connected(i, j)) << i << "↔" << j;
        }
      }
    }
    EXPECT_EQ(addrs.size(), ids.size()) << "addresses are unique";
  }

  SimWorld w_;
  std::string token_;
};

TEST_P(ClusterSim, ThreeNodesFormAFullMesh) {
  Form(3);
  w_.RunFor(seconds(20));
  ExpectConverged({0, 1, 2});
  // Node 2 learned of node 1 through the mesh, not from node 0's JoinAccept alone.
  for (size_t i : {1u, 2u}) {
    ASSERT_NE(w_[i].node->cluster_secret(), nullptr);
    EXPECT_TRUE(*w_[i].node->cluster_secret() == *w_[0].node->cluster_secret());
  }
  EXPECT_EQ(w_[0].node->ListTokens()[0].TotalUses(), 2u);
  EXPECT_GT(w_.lost(), 0u);  // the run did lose datagrams
}

TEST_P(ClusterSim, RestartKeepsIdentityAndAddress) {
  Form(3);
  w_.RunFor(seconds(20));
  ExpectConverged({0, 1, 2});
  const uint32_t addr1 = *w_[1].node->overlay_address();
  const PublicKey key1 = w_[1].node->public_key();
  w_[1].down = true;
  w_.RunFor(seconds(5));
  w_[1].down = false;
  w_.Restart(1);
  EXPECT_EQ(*w_[1].node->overlay_address(), addr1);
  EXPECT_EQ(w_[1].node->public_key(), key1);
  w_.RunFor(seconds(20));
  ExpectConverged({0, 1, 2});
  EXPECT_EQ(*w_[1].node->overlay_address(), addr1);
}

TEST_P(ClusterSim, RemovalTakesTheMemberOutOfEveryPeerSet) {
  Form(3);
  w_.RunFor(seconds(20));
  ExpectConverged({0, 1, 2});
  const PublicKey gone = w_[2].node->public_key();
  ASSERT_TRUE(w_[0].node->RemoveMember(gone, At(w_.now())).ok());
  w_.Drain(0);
  w_.RunFor(seconds(20));
  for (size_t i : {0u, 1u}) {
    EXPECT_EQ(w_[i].peers.count(gone), 0u) << i;
    EXPECT_FALSE(w_.Connected(i, 2)) << i;
  }
  EXPECT_TRUE(w_.Connected(0, 1));
  // The removed member learned it, and dropped its own tunnels.
  EXPECT_TRUE(w_[2].removed);
  EXPECT_TRUE(w_[2].peers.empty());
  EXPECT_FALSE(w_[2].node->overlay_address());
  // It stays out across a restart of the others.
  w_.Restart(1);
  w_.RunFor(seconds(10));
  EXPECT_EQ(w_[1].peers.count(gone), 0u);
}

TEST_P(ClusterSim, ConcurrentAdmissionsResolveTheAddressCollision) {
  // Nodes 0 and 1 form a cluster; then, cut off from each other, each admits a
  // newcomer: both hand out the same lowest free address.
  Form(2, /*uses=*/3);
  w_.RunFor(seconds(15));
  ExpectConverged({0, 1});
  w_.Add("node-2", 12);
  w_.Add("node-3", 13);
  w_.Block(0, 1);
  w_.Block(0, 3);
  w_.Block(1, 2);
  ASSERT_TRUE(w_[2].node->Join(token_, {w_[0].endpoint}, Role::kNode, At(w_.now())).ok());
  ASSERT_TRUE(w_[3].node->Join(token_, {w_[1].endpoint}, Role::kNode, At(w_.now())).ok());
  w_.Drain(2);
  w_.Drain(3);
  w_.RunFor(seconds(10));
  ASSERT_TRUE(w_[2].node->joined() && w_[3].node->joined());
  EXPECT_EQ(*w_[2].node->overlay_address(), *w_[3].node->overlay_address());
  w_.Block(0, 1, false);
  w_.Block(0, 3, false);
  w_.Block(1, 2, false);
  w_.RunFor(seconds(30));
  ExpectConverged({0, 1, 2, 3});
  // The greater key moved; the smaller kept its address.
  const size_t mover = w_[2].node->public_key() > w_[3].node->public_key() ? 2 : 3;
  EXPECT_NE(*w_[mover].node->overlay_address(), 0x0a000003u);
  EXPECT_EQ(*w_[5 - mover].node->overlay_address(), 0x0a000003u);
  // Concurrent use: within max_uses + (nodes − 1).
  EXPECT_LE(w_[0].node->ListTokens()[0].TotalUses(), 3u + 1u);
  EXPECT_EQ(w_[0].node->ListTokens()[0].TotalUses(), 3u);
}

TEST_P(ClusterSim, KeyRotationKeepsAddressAndMesh) {
  Form(3);
  w_.RunFor(seconds(20));
  ExpectConverged({0, 1, 2});
  const uint32_t addr = *w_[1].node->overlay_address();
  const PublicKey old_key = w_[1].node->public_key();
  auto next = w_[1].node->RotateOwnKeys(At(w_.now()));
  ASSERT_TRUE(next.ok()) << next.error();
  w_.Drain(1);
  // Until the switch the old key carries traffic everywhere.
  w_.RunFor(std::chrono::milliseconds(300));
  EXPECT_TRUE(w_.Connected(0, 1) || w_[1].node->public_key() != old_key);
  w_.RunFor(seconds(25));
  EXPECT_EQ(w_[1].node->public_key(), crypto::PublicKeyOf(*next));
  EXPECT_EQ(*w_[1].node->overlay_address(), addr);
  for (size_t i : {0u, 2u}) EXPECT_EQ(w_[i].peers.count(old_key), 0u) << i;
  ExpectConverged({0, 1, 2});
}

TEST_P(ClusterSim, JoinThroughDiscoveryOnly) {
  // No target at all: the joiner waits for discovery to suggest an endpoint.
  w_.Add("node-0", 10);
  w_.Add("node-1", 11);
  ASSERT_TRUE(w_[0].node->Bootstrap(GenerateClusterKeys(w_.rng()), At(w_.now())).ok());
  token_ = *w_[0].node->CreateToken(Role::kNode, At(w_.now()).UnixSeconds() + 60, 1, At(w_.now()));
  w_.Drain(0);
  ASSERT_TRUE(w_[1].node->Join(token_, {}, Role::kNode, At(w_.now())).ok());
  w_.RunFor(seconds(3));
  EXPECT_FALSE(w_[1].node->joined());
  // A false announcement (wrong address) and the true one.
  w_[1].node->OnCandidate(w_[0].node->public_key(), "node-0", test::Ep(77), At(w_.now()));
  w_[1].node->OnCandidate(w_[0].node->public_key(), "node-0", w_[0].endpoint, At(w_.now()));
  w_.Drain(1);
  w_.RunFor(seconds(20));
  ExpectConverged({0, 1});
  bool found = false;
  for (const auto& e : w_[1].events) found |= e == "Found node-0 at 192.168.1.10";
  EXPECT_TRUE(found);
}

TEST_P(ClusterSim, FalseEndpointFromDiscoveryCostsARetryNotTheTunnel) {
  Form(2);
  w_.RunFor(seconds(15));
  ExpectConverged({0, 1});
  // node 1's device gets told about a bogus address for node 0; the mesh survives.
  w_[1].node->OnCandidate(w_[0].node->public_key(), "node-0", test::Ep(200), At(w_.now()));
  w_.Drain(1);
  w_.RunFor(seconds(20));
  ExpectConverged({0, 1});
}

TEST_P(ClusterSim, ClientsPeerOnlyWithNodes) {
  Form(2);
  const size_t c = w_.Add("client-1", 30, Role::kClient);
  const std::string ct =
      *w_[0].node->CreateToken(Role::kClient, At(w_.now()).UnixSeconds() + 60, 1, At(w_.now()));
  w_.Drain(0);
  ASSERT_TRUE(w_[c].node->Join(ct, {w_[1].endpoint}, Role::kClient, At(w_.now())).ok());
  w_.Drain(c);
  w_.RunFor(seconds(20));
  EXPECT_TRUE(w_.Connected(0, 1));
  ASSERT_TRUE(w_[c].node->joined());
  EXPECT_EQ(w_[c].node->cluster_secret(), nullptr);
  EXPECT_EQ(w_[c].peers.size(), 2u);
  EXPECT_TRUE(w_.Connected(c, 0) && w_.Connected(c, 1));
  // A second client does not become the first one's peer.
  const size_t d = w_.Add("client-2", 31, Role::kClient);
  const std::string ct2 =
      *w_[0].node->CreateToken(Role::kClient, At(w_.now()).UnixSeconds() + 60, 1, At(w_.now()));
  w_.Drain(0);
  ASSERT_TRUE(w_[d].node->Join(ct2, {w_[0].endpoint}, Role::kClient, At(w_.now())).ok());
  w_.Drain(d);
  w_.RunFor(seconds(20));
  EXPECT_EQ(w_[d].peers.size(), 2u);
  EXPECT_EQ(w_[c].peers.count(w_[d].node->public_key()), 0u);
  EXPECT_EQ(w_[0].peers.size(), 3u);
}

TEST_P(ClusterSim, TwentyNodesConvergeQuickly) {
  Form(20, /*uses=*/19);
  std::vector<size_t> all;
  for (size_t i = 0; i < 20; ++i) all.push_back(i);
  int secs = 0;
  auto full = [&] {
    for (size_t i : all) {
      for (size_t j : all) {
        if (i != j && !w_.Connected(i, j)) return false;
      }
    }
    return true;
  };
  while (!full() && secs < 120) {
    w_.RunFor(seconds(1));
    ++secs;
  }
  std::printf("seed %llu: 20-node full mesh after %d simulated seconds (10%% loss)\n",
              (unsigned long long)GetParam(), secs);
  EXPECT_LT(secs, 60);
  ExpectConverged(all);
}

TEST(ClusterSimNoLoss, ThreeNodesFormAMeshWithinTwoSeconds) {
  SimWorld w(7, 0.0);
  for (size_t i = 0; i < 3; ++i) w.Add("node-" + std::to_string(i), uint8_t(10 + i));
  ASSERT_TRUE(w[0].node->Bootstrap(GenerateClusterKeys(w.rng()), At(w.now())).ok());
  const std::string token =
      *w[0].node->CreateToken(Role::kNode, At(w.now()).UnixSeconds() + 60, 2, At(w.now()));
  w.Drain(0);
  const TimePoint start = w.now();
  for (size_t i : {1u, 2u}) {
    ASSERT_TRUE(w[i].node->Join(token, {w[0].endpoint}, Role::kNode, At(w.now())).ok());
    w.Drain(i);
  }
  auto full = [&] { return w.Connected(0, 1) && w.Connected(0, 2) && w.Connected(1, 2); };
  while (!full() && w.now() - start < seconds(30)) w.RunFor(std::chrono::milliseconds(50));
  const double took = std::chrono::duration<double>(w.now() - start).count();
  std::printf("3-node full mesh, no loss: %.2f simulated seconds\n", took);
  EXPECT_LT(took, 2.0);
}

INSTANTIATE_TEST_SUITE_P(Seeds, ClusterSim, ::testing::Values(1, 2, 3));

}  // namespace
}  // namespace dlog::cluster
