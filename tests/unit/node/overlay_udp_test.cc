#include "node/overlay_udp.h"

#include <gtest/gtest.h>

namespace dlog::node {
namespace {

const Ipv4 kA{10, 0, 0, 1};
const Ipv4 kB{10, 0, 0, 2};

Bytes Payload(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = uint8_t(i * 7 + 1);
  return b;
}

TEST(OverlayUdp, RoundTrips) {
  for (size_t n : {0, 1, 2, 3, 100, 1371}) {
    Bytes payload = Payload(n);
    Bytes p = BuildIpv4Udp(kA, kB, 1234, kMembershipPort, payload);
    ASSERT_EQ(p.size(), kIpv4HeaderSize + kUdpHeaderSize + n);
    auto u = ParseIpv4Udp(p);
    ASSERT_TRUE(u) << n;
    EXPECT_EQ(u->src, kA);
    EXPECT_EQ(u->dst, kB);
    EXPECT_EQ(u->src_port, 1234);
    EXPECT_EQ(u->dst_port, kMembershipPort);
    EXPECT_EQ(Bytes(u->payload.begin(), u->payload.end()), payload);
  }
}

// A packet as Linux builds it (ping-free reference: RFC 1071's worked example idea, checked
// by recomputing from scratch): header checksum verifies to zero over the header.
TEST(OverlayUdp, ChecksumsVerifyToZero) {
  Bytes p = BuildIpv4Udp(kA, kB, 9094, 9094, Payload(33));
  EXPECT_EQ(InternetChecksum({p.data(), kIpv4HeaderSize}), 0);
  EXPECT_EQ(p[0], 0x45);
  EXPECT_EQ(p[9], 17);
  EXPECT_EQ(p[8], 64);
}

// RFC 1071 section 3 example: 0x0001 0xf203 0xf4f5 0xf6f7 sums to 0xddf2 (before ~).
TEST(OverlayUdp, Rfc1071Example) {
  const uint8_t d[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(InternetChecksum(d), uint16_t(~0xddf2));
}

TEST(OverlayUdp, EveryFlippedBitIsRefusedOrHarmless) {
  Bytes good = BuildIpv4Udp(kA, kB, 9094, 9094, Payload(20));
  size_t accepted = 0;
  for (size_t i = 0; i < good.size() * 8; ++i) {
    Bytes p = good;
    p[i / 8] ^= uint8_t(1 << (i % 8));
    if (ParseIpv4Udp(p)) ++accepted;
  }
  // Only flips of the TOS byte and of the identification field pass (not covered by
  // anything but the header checksum, which they break) — i.e. nothing passes.
  EXPECT_EQ(accepted, 0u);
}

TEST(OverlayUdp, RefusesWhatIsNotOneWholeDatagram) {
  Bytes p = BuildIpv4Udp(kA, kB, 9094, 9094, Payload(20));
  EXPECT_FALSE(ParseIpv4Udp(ByteSpan(p).first(p.size() - 1)));  // truncated
  EXPECT_FALSE(ParseIpv4Udp(ByteSpan(p).first(27)));
  Bytes frag = p;
  frag[6] = 0x20;  // MF, header checksum fixed below
  frag[10] = frag[11] = 0;
  uint16_t c = InternetChecksum({frag.data(), kIpv4HeaderSize});
  frag[10] = uint8_t(c >> 8), frag[11] = uint8_t(c);
  EXPECT_FALSE(ParseIpv4Udp(frag));
  Bytes tcp = p;
  tcp[9] = 6;
  tcp[10] = tcp[11] = 0;
  c = InternetChecksum({tcp.data(), kIpv4HeaderSize});
  tcp[10] = uint8_t(c >> 8), tcp[11] = uint8_t(c);
  EXPECT_FALSE(ParseIpv4Udp(tcp));
  Bytes v6 = p;
  v6[0] = 0x65;
  EXPECT_FALSE(ParseIpv4Udp(v6));
}

TEST(OverlayUdp, ZeroUdpChecksumMeansNone) {
  Bytes p = BuildIpv4Udp(kA, kB, 9094, 9094, Payload(5));
  p[26] = p[27] = 0;
  EXPECT_TRUE(ParseIpv4Udp(p));
}

}  // namespace
}  // namespace dlog::node
