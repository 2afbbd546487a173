#include "admin/wg_quick.h"

#include <gtest/gtest.h>

namespace dlog::admin {
namespace {

const char* kKeyA = "aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd28=";
const char* kKeyB = "d29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGU=";

WgQuickConfig Sample() {
  WgQuickConfig c;
  c.private_key = kKeyA;
  c.addresses = {"10.0.0.7/32"};
  WgQuickPeer p;
  p.comment = "node-A";
  p.public_key = kKeyB;
  p.endpoint = "192.168.1.10:51820";
  p.allowed_ips = {"10.0.0.1/32"};
  p.persistent_keepalive = 25;
  c.peers.push_back(p);
  return c;
}

TEST(WgQuickTest, RendersInterfaceAndPeers) {
  auto text = RenderWgQuick(Sample());
  ASSERT_TRUE(text.ok()) << text.status().message();
  EXPECT_EQ(*text, std::string("[Interface]\nPrivateKey = ") + kKeyA +
                       "\nAddress = 10.0.0.7/32\n\n# node-A\n[Peer]\nPublicKey = " + kKeyB +
                       "\nEndpoint = 192.168.1.10:51820\nAllowedIPs = 10.0.0.1/32\n"
                       "PersistentKeepalive = 25\n");
}

TEST(WgQuickTest, OptionalFieldsAppearOnlyWhenSet) {
  auto c = Sample();
  c.listen_port = 51821;
  c.mtu = 1420;
  c.peers[0].preshared_key = kKeyA;
  c.peers[0].allowed_ips.push_back("fd00::1/128");
  auto text = RenderWgQuick(c);
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("ListenPort = 51821\nMTU = 1420\n"), std::string::npos);
  EXPECT_NE(text->find(std::string("PresharedKey = ") + kKeyA), std::string::npos);
  EXPECT_NE(text->find("AllowedIPs = 10.0.0.1/32, fd00::1/128\n"), std::string::npos);
}

TEST(WgQuickTest, BadFieldsAreNamed) {
  struct Case {
    void (*mutate)(WgQuickConfig&);
    const char* message;
  } cases[] = {
      {[](WgQuickConfig& c) { c.private_key = "short"; }, "interface private key"},
      {[](WgQuickConfig& c) { c.addresses = {"10.0.0.300/32"}; }, "interface address"},
      {[](WgQuickConfig& c) { c.peers[0].public_key = ""; }, "peer 1 public key"},
      {[](WgQuickConfig& c) { c.peers[0].allowed_ips = {"nonsense"}; }, "peer 1 allowed IPs"},
      {[](WgQuickConfig& c) { c.peers[0].comment = "a\n[Peer]"; }, "peer 1 comment"},
      {[](WgQuickConfig& c) { c.peers[0].persistent_keepalive = 70000; }, "keepalive"},
      {[](WgQuickConfig& c) { c.mtu = 100; }, "MTU"},
  };
  for (const auto& k : cases) {
    auto c = Sample();
    k.mutate(c);
    auto text = RenderWgQuick(c);
    ASSERT_FALSE(text.ok()) << k.message;
    EXPECT_NE(text.status().message().find(k.message), std::string::npos)
        << text.status().message();
  }
}

}  // namespace
}  // namespace dlog::admin
