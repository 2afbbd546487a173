#include "stack/address.h"

#include <gtest/gtest.h>

namespace dlog::stack {
namespace {

TEST(Address, ParsesAndPrintsBothFamilies) {
  auto v4 = SocketAddress::Parse("10.0.0.3:9092");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->ip, IpAddress::V4(10, 0, 0, 3));
  EXPECT_EQ(v4->port, 9092);
  EXPECT_EQ(v4->ToString(), "10.0.0.3:9092");
  auto v6 = SocketAddress::Parse("[fd00::3]:8080");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->ip.v6);
  EXPECT_EQ(v6->ToString(), "[fd00::3]:8080");
  auto iface = IpInterface::Parse("10.0.0.3/24");
  ASSERT_TRUE(iface);
  EXPECT_EQ(iface->prefix_len, 24);
  EXPECT_EQ(iface->ToString(), "10.0.0.3/24");
}

TEST(Address, RejectsMalformed) {
  for (const char* s : {"", "10.0.0.3", "10.0.0.3:", "10.0.0.3:70000", "fd00::3:80",
                        "[10.0.0.3]:80", "[fd00::3]80", "host:80", "10.0.0.3:8x"})
    EXPECT_FALSE(SocketAddress::Parse(s)) << s;
  for (const char* s : {"10.0.0.3", "10.0.0.3/33", "fd00::1/129", "10.0.0.3/"})
    EXPECT_FALSE(IpInterface::Parse(s)) << s;
  EXPECT_TRUE(IpAddress::V4(0, 0, 0, 0).IsUnspecified());
  EXPECT_FALSE(IpAddress::V4(10, 0, 0, 1).IsUnspecified());
}

}  // namespace
}  // namespace dlog::stack
