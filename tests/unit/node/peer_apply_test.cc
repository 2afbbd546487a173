#include "node/peer_apply.h"

#include <gtest/gtest.h>

#include "node/status.h"

namespace dlog::node {
namespace {

TEST(PeerApply, AddBecomesOnePeerWithItsOverlayAddressOnly) {
  cluster::PeerChange c;
  c.kind = cluster::PeerChange::Kind::kAdd;
  c.key.fill(7);
  c.allowed_ip = 0x0a000003;
  c.endpoint = wg::Endpoint::Parse("192.168.1.10:51820");
  c.keepalive_seconds = 25;
  wg::PeerUpdate p = ToPeerUpdate(c);
  EXPECT_FALSE(p.remove);
  EXPECT_EQ(p.public_key, c.key);
  EXPECT_TRUE(p.replace_allowed_ips);
  ASSERT_EQ(p.allowed_ips.size(), 1u);
  EXPECT_EQ(p.allowed_ips[0].prefix.ToString(), "10.0.0.3/32");
  EXPECT_EQ(p.endpoint, c.endpoint);
  EXPECT_EQ(p.persistent_keepalive_interval, 25);
}

TEST(PeerApply, RemoveRemoves) {
  cluster::PeerChange c;
  c.kind = cluster::PeerChange::Kind::kRemove;
  c.key.fill(9);
  wg::PeerUpdate p = ToPeerUpdate(c);
  EXPECT_TRUE(p.remove);
  EXPECT_EQ(p.public_key, c.key);
  EXPECT_TRUE(p.allowed_ips.empty());
}

TEST(PeerApply, HostOrderRoundTrips) {
  EXPECT_EQ(Ipv4FromHost(0x0a000003), (Ipv4{10, 0, 0, 3}));
  EXPECT_EQ(Ipv4ToHost(Ipv4{192, 168, 1, 10}), 0xc0a8010au);
}

TEST(Status, JsonEscapesAndCarriesEveryField) {
  NodeStatus s;
  s.name = "node-\"c\"";
  s.overlay = "10.0.0.3";
  s.stack = "tun";
  s.listen_port = 51820;
  s.joined = true;
  MemberStatus m;
  m.name = "node-a";
  m.endpoint = "192.168.1.10:51820";
  m.last_handshake = 1764082800;
  m.pq = "active";
  m.pq_epoch = 3;
  s.members.push_back(m);
  MemberStatus self;
  self.name = "x\n";
  self.self = true;
  s.members.push_back(self);
  s.counters["join_admitted"] = 2;
  const nlohmann::json j = ToJson(s);
  // Text that must be escaped survives a round trip through the serialised form.
  const nlohmann::json back = nlohmann::json::parse(j.dump());
  EXPECT_EQ(back, j);
  EXPECT_EQ(j["node"], "node-\"c\"");
  EXPECT_EQ(j["overlay"], "10.0.0.3");
  EXPECT_EQ(j["listen_port"], 51820);
  EXPECT_EQ(j["joined"], true);
  ASSERT_EQ(j["members"].size(), 2u);
  EXPECT_EQ(j["members"][0]["endpoint"], "192.168.1.10:51820");
  EXPECT_EQ(j["members"][0]["last_handshake"], 1764082800);
  EXPECT_EQ(j["members"][0]["pq"], "active");
  EXPECT_EQ(j["members"][0]["pq_epoch"], 3);
  EXPECT_TRUE(j["members"][1]["endpoint"].is_null());
  EXPECT_EQ(j["members"][1]["name"], "x\n");
  EXPECT_EQ(j["members"][1]["self"], true);
  EXPECT_EQ(j["counters"], (nlohmann::json{{"join_admitted", 2}}));
}

}  // namespace
}  // namespace dlog::node
