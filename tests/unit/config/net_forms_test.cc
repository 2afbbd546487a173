// Address, name and key forms.
#include "config/net_forms.h"

#include <gtest/gtest.h>

#include "base/hex.h"

namespace dlog::config {
namespace {

TEST(NetFormsTest, Hostnames) {
  for (const char* ok : {"a", "node-a", "dlog.example.com", "dlog.example.com.", "x1.y2", "1a"})
    EXPECT_TRUE(IsHostname(ok)) << ok;
  for (const char* bad : {"", ".", "-a", "a-", "a..b", "a_b", "a b", "ä.example", ".a", "a.-b.c"})
    EXPECT_FALSE(IsHostname(bad)) << bad;
  EXPECT_TRUE(IsHostname(std::string(63, 'a')));
  EXPECT_FALSE(IsHostname(std::string(64, 'a')));
  std::string long_name;
  for (int i = 0; i < 64; ++i) long_name += "abc.";
  EXPECT_FALSE(IsHostname(long_name));
}

TEST(NetFormsTest, Addresses) {
  EXPECT_TRUE(IsIpv4("192.0.2.1"));
  EXPECT_TRUE(IsIpv4("0.0.0.0"));
  for (const char* bad :
       {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4 ", "a.b.c.d", "1..2.3"})
    EXPECT_FALSE(IsIpv4(bad)) << bad;
  EXPECT_TRUE(IsIpv6("2001:db8::7"));
  EXPECT_TRUE(IsIpv6("::1"));
  for (const char* bad : {"", "1.2.3.4", "2001:db8::7::1", "fe80::1%eth0", "[::1]"})
    EXPECT_FALSE(IsIpv6(bad)) << bad;
}

TEST(NetFormsTest, HostPort) {
  for (const char* ok : {"node-a:51820", "192.0.2.1:1", "[2001:db8::7]:51820", "a.example.:65535"})
    EXPECT_TRUE(IsHostPort(ok)) << ok;
  for (const char* bad : {"node-a", "node-a:", "node-a:0", "node-a:65536", "node-a:051820",
                          "2001:db8::7:51820", "[2001:db8::7]", ":51820", "[1.2.3.4]:1", "a b:1"})
    EXPECT_FALSE(IsHostPort(bad)) << bad;
}

TEST(NetFormsTest, Prefixes) {
  std::string net;
  EXPECT_TRUE(IsCidr("10.0.0.0/24", Family::kIpv4, 8, 30, &net));
  EXPECT_EQ(net, "10.0.0.0/24");
  EXPECT_FALSE(IsCidr("10.0.0.1/24", Family::kIpv4, 8, 30, &net));
  EXPECT_EQ(net, "10.0.0.0/24");
  EXPECT_FALSE(IsCidr("10.0.0.0/31", Family::kIpv4, 8, 30, nullptr));
  EXPECT_FALSE(IsCidr("10.0.0.0/7", Family::kIpv4, 8, 30, nullptr));
  EXPECT_FALSE(IsCidr("10.0.0.0", Family::kIpv4, 8, 30, nullptr));
  EXPECT_FALSE(IsCidr("fd00::/64", Family::kIpv4, 8, 30, nullptr));
  EXPECT_TRUE(IsCidr("fd00:d10::/64", Family::kIpv6, 16, 124, nullptr));
  EXPECT_FALSE(IsCidr("fd00:d10::1/64", Family::kIpv6, 16, 124, &net));
  EXPECT_EQ(net, "fd00:d10::/64");
  EXPECT_FALSE(IsCidr("10.0.0.0/24", Family::kIpv6, 16, 124, nullptr));
}

TEST(NetFormsTest, StockPeersTakeObfsForms) {
  for (const char* ok : {"192.0.2.0/24", "192.0.2.7", "192.0.2.7:51820", "192.0.2.0/24:51820",
                         "fd00::/64", "2001:db8::7", "[2001:db8::7]:51820", "[fd00::/64]:1"})
    EXPECT_TRUE(IsStockPeer(ok)) << ok;
  for (const char* bad : {"", "192.0.2.0/33", "192.0.2.7:0", "host.example", "[192.0.2.7]:1",
                          "fd00::/129", "[2001:db8::7]", "[2001:db8::7]:"})
    EXPECT_FALSE(IsStockPeer(bad)) << bad;
}

TEST(NetFormsTest, Names) {
  for (const char* ok : {"a", "node-a", "eu_west.1", "0"}) EXPECT_TRUE(IsName(ok)) << ok;
  for (const char* bad : {"", "-a", ".a", "a b", "a/b", "ä"}) EXPECT_FALSE(IsName(bad)) << bad;
  EXPECT_TRUE(IsName(std::string(63, 'a')));
  EXPECT_FALSE(IsName(std::string(64, 'a')));
}

TEST(NetFormsTest, WireguardKeys) {
  const char* key = "uDDwCvWdsbXaAnyK1LNFMl1eZ+1O0+qO/VxqBkgbtlU=";
  std::optional<ByteArray<32>> k = ParseWireguardKey(key);
  ASSERT_TRUE(k.has_value());
  EXPECT_EQ(ToBase64(*k), key);
  for (const char* bad : {"", "not-a-key", "uDDwCvWdsbXaAnyK1LNFMl1eZ+1O0+qO/VxqBkgbtlU",
                          "uDDwCvWdsbXaAnyK1LNFMl1eZ+1O0+qO/VxqBkgbtlV=",   // stray low bits
                          "uDDwCvWdsbXaAnyK1LNFMl1eZ-1O0-qO_VxqBkgbtlU=",   // URL alphabet
                          "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="})  // 31 bytes
    EXPECT_FALSE(ParseWireguardKey(bad).has_value()) << bad;
}

}  // namespace
}  // namespace dlog::config
