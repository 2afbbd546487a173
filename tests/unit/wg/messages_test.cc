// Message layouts, checked against stock traffic: the wireguard-go capture in
// /work/shared/anchors (a handshake and ~300 transport messages, MTU 1420).
#include "wg/messages.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <map>

#include "wg/transport.h"

namespace dlog::wg {
namespace {

struct UdpPayload {
  uint16_t src_port;
  uint16_t dst_port;
  Bytes bytes;
};

// Classic little-endian pcap with Ethernet frames; UDP over IPv4 only.
std::vector<UdpPayload> ReadPcap(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  Bytes d((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::vector<UdpPayload> out;
  if (d.size() < 24 || LoadLE32(d.data()) != 0xa1b2c3d4) return out;
  for (size_t off = 24; off + 16 <= d.size();) {
    uint32_t len = LoadLE32(d.data() + off + 8);
    const uint8_t* frame = d.data() + off + 16;
    off += 16 + len;
    if (off > d.size() || len < 14 + 20 + 8) break;
    if (frame[12] != 0x08 || frame[13] != 0x00) continue;
    const uint8_t* ip = frame + 14;
    size_t ihl = (ip[0] & 15) * 4;
    if (ip[9] != 17) continue;
    const uint8_t* udp = ip + ihl;
    size_t udp_len = (size_t(udp[4]) << 8 | udp[5]) - 8;
    out.push_back({uint16_t(udp[0] << 8 | udp[1]), uint16_t(udp[2] << 8 | udp[3]),
                   Bytes(udp + 8, udp + 8 + udp_len)});
  }
  return out;
}

TEST(MessagesTest, LayoutsArePinned) {
  EXPECT_EQ(sizeof(MessageInitiation), 148u);
  EXPECT_EQ(sizeof(MessageResponse), 92u);
  EXPECT_EQ(sizeof(MessageCookieReply), 64u);
  EXPECT_EQ(kKeepaliveSize, 32u);
  EXPECT_EQ(offsetof(MessageInitiation, mac2), 132u);
  EXPECT_EQ(offsetof(MessageResponse, mac2), 76u);
  EXPECT_EQ(offsetof(MessageCookieReply, encrypted_cookie), 32u);
}

TEST(MessagesTest, ParseRequiresExactSize) {
  Bytes b(148, 0);
  b[0] = 1;
  EXPECT_TRUE(ParseMessage<MessageInitiation>(b));
  b.push_back(0);
  EXPECT_FALSE(ParseMessage<MessageInitiation>(b));
  EXPECT_EQ(MessageTypeOf(Bytes{4, 0, 0}), 0u);
  EXPECT_EQ(MessageTypeOf(Bytes{4, 0, 0, 0}), 4u);
  EXPECT_EQ(MessageTypeOf(Bytes{4, 0, 1, 0}), 0x10004u) << "reserved bytes must be zero";
}

TEST(MessagesTest, WireguardGoCaptureMatchesOurLayouts) {
  auto packets = ReadPcap(std::string(DLOG_SHARED_DIR) + "/anchors/wireguard-go-handshake.pcap");
  ASSERT_GT(packets.size(), 100u);
  auto init = ParseMessage<MessageInitiation>(packets[0].bytes);
  ASSERT_TRUE(init);
  EXPECT_EQ(MessageTypeOf(packets[0].bytes), uint32_t(kMessageInitiation));
  auto resp = ParseMessage<MessageResponse>(packets[1].bytes);
  ASSERT_TRUE(resp);
  EXPECT_EQ(MessageTypeOf(packets[1].bytes), uint32_t(kMessageResponse));
  EXPECT_EQ(LoadLE32(resp->receiver), LoadLE32(init->sender));
  EXPECT_EQ(packets[1].src_port, packets[0].dst_port);
  EXPECT_EQ(Bytes(init->mac2, init->mac2 + 16), Bytes(16, 0)) << "no cookie in play";

  // Transport: receiver indices per direction, counters from 0 upwards, padding.
  uint32_t initiator_index = LoadLE32(init->sender), responder_index = LoadLE32(resp->sender);
  std::map<uint32_t, uint64_t> next_counter;
  size_t transports = 0;
  for (size_t i = 2; i < packets.size(); ++i) {
    const Bytes& m = packets[i].bytes;
    ASSERT_EQ(MessageTypeOf(m), uint32_t(kMessageTransport)) << i;
    ASSERT_GE(m.size(), kKeepaliveSize);
    uint32_t receiver = LoadLE32(m.data() + 4);
    bool to_responder = packets[i].src_port == packets[0].src_port;
    EXPECT_EQ(receiver, to_responder ? responder_index : initiator_index);
    uint64_t counter = LoadLE64(m.data() + 8);
    EXPECT_GE(counter, next_counter[receiver]);
    next_counter[receiver] = counter + 1;
    size_t padded = m.size() - kKeepaliveSize;
    EXPECT_TRUE(padded % 16 == 0 || padded == 1420) << padded;
    EXPECT_EQ(padded, PaddedSize(padded, 1420));
    ++transports;
  }
  EXPECT_EQ(transports, packets.size() - 2);
  EXPECT_EQ(next_counter.size(), 2u);
}

}  // namespace
}  // namespace dlog::wg
