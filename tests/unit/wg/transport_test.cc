#include "wg/transport.h"

#include <gtest/gtest.h>

#include "wire_harness.h"

namespace dlog::wg {
namespace {

TEST(TransportTest, PaddingMatchesWireguardGo) {
  struct Case {
    size_t in, mtu, out;
  } cases[] = {
      {0, 1420, 0},       {1, 1420, 16},      {15, 1420, 16},     {16, 1420, 16},
      {17, 1420, 32},     {1408, 1420, 1408}, {1409, 1420, 1420}, {1420, 1420, 1420},
      {1500, 1420, 1500}, {1501, 1420, 1516}, {2840, 1420, 2840}, {33, 0, 48},
  };
  for (const Case& c : cases) EXPECT_EQ(PaddedSize(c.in, c.mtu), c.out) << c.in << "/" << c.mtu;
}

TEST(TransportTest, SealOpenRoundTripAndTamper) {
  SessionKeys keys;
  std::memset(keys.send.data(), 1, 32);
  std::memset(keys.receive.data(), 1, 32);  // loopback: the same key both ways
  keys.remote_index = 0x01020304;
  Keypair kp(keys, TimePoint{});
  Bytes packet = wgtest::Ipv4Packet("10.0.0.1", "10.0.0.2", 7);
  size_t padded = PaddedSize(packet.size(), 1420);
  Bytes msg(TransportMessageSize(padded));
  SealTransport(kp, 42, packet, padded, msg.data());
  EXPECT_EQ(MessageTypeOf(msg), uint32_t(kMessageTransport));
  EXPECT_EQ(LoadLE32(msg.data() + 4), 0x01020304u);
  EXPECT_EQ(LoadLE64(msg.data() + 8), 42u);
  ByteSpan ct(msg.data() + 16, msg.size() - 16);
  Bytes plain(ct.size() - 16);
  ASSERT_TRUE(OpenTransport(kp, 42, ct, plain.data()));
  EXPECT_EQ(Bytes(plain.begin(), plain.begin() + packet.size()), packet);
  EXPECT_EQ(Bytes(plain.begin() + packet.size(), plain.end()), Bytes(padded - packet.size(), 0));
  EXPECT_FALSE(OpenTransport(kp, 43, ct, plain.data())) << "the counter is the nonce";
  msg[20] ^= 1;
  EXPECT_FALSE(OpenTransport(kp, 42, ct, plain.data()));
}

TEST(TransportTest, IpHeaders) {
  Bytes v4 = wgtest::Ipv4Packet("10.1.2.3", "10.4.5.6", 10);
  auto h = ParseIpHeader(v4);
  ASSERT_TRUE(h);
  EXPECT_FALSE(h->v6);
  EXPECT_EQ(h->total_length, 30u);
  EXPECT_EQ(h->destination[3], 6);
  EXPECT_EQ(h->source[0], 10);
  EXPECT_EQ(InnerPacketLength(*h, 48), 30u);
  EXPECT_FALSE(InnerPacketLength(*h, 29));
  Bytes v6 = wgtest::Ipv6Packet("fd00::1", "fd00::2", 9);
  h = ParseIpHeader(v6);
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->v6);
  EXPECT_EQ(h->total_length, 49u);
  EXPECT_EQ(h->destination[15], 2);
  EXPECT_FALSE(ParseIpHeader(Bytes(19, 0x45)));
  EXPECT_FALSE(ParseIpHeader(Bytes(39, 0x60)));
  EXPECT_FALSE(ParseIpHeader(Bytes(60, 0x50)));
  EXPECT_FALSE(ParseIpHeader(Bytes{}));
  Bytes short_total = v4;
  short_total[2] = 0;
  short_total[3] = 19;
  EXPECT_FALSE(InnerPacketLength(*ParseIpHeader(short_total), short_total.size()));
}

}  // namespace
}  // namespace dlog::wg
