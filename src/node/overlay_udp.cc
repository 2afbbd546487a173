#include "node/overlay_udp.h"

#include <cassert>
#include <cstring>

namespace dlog::node {
namespace {

constexpr uint8_t kProtoUdp = 17;

uint16_t Get16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
void Put16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}

uint32_t Sum(ByteSpan data, uint32_t sum) {
  size_t i = 0;
  for (; i + 1 < data.size(); i += 2) sum += Get16(&data[i]);
  if (i < data.size()) sum += uint32_t(data[i]) << 8;
  return sum;
}

uint16_t Fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(~sum);
}

// The pseudo-header's share of the UDP checksum (RFC 768).
uint32_t PseudoHeaderSum(const Ipv4& src, const Ipv4& dst, size_t udp_length) {
  uint32_t sum = Sum(src, 0);
  sum = Sum(dst, sum);
  return sum + kProtoUdp + uint32_t(udp_length);
}

}  // namespace

uint16_t InternetChecksum(ByteSpan data, uint32_t sum) { return Fold(Sum(data, sum)); }

Bytes BuildIpv4Udp(const Ipv4& src, const Ipv4& dst, uint16_t src_port, uint16_t dst_port,
                   ByteSpan payload) {
  assert(payload.size() <= kMaxOverlayUdpPayload);
  const size_t udp_len = kUdpHeaderSize + payload.size();
  Bytes p(kIpv4HeaderSize + udp_len, 0);
  uint8_t* ip = p.data();
  ip[0] = 0x45;
  Put16(ip + 2, uint16_t(p.size()));
  Put16(ip + 6, 0x4000);  // DF
  ip[8] = 64;
  ip[9] = kProtoUdp;
  std::memcpy(ip + 12, src.data(), 4);
  std::memcpy(ip + 16, dst.data(), 4);
  Put16(ip + 10, InternetChecksum({ip, kIpv4HeaderSize}));
  uint8_t* udp = ip + kIpv4HeaderSize;
  Put16(udp, src_port);
  Put16(udp + 2, dst_port);
  Put16(udp + 4, uint16_t(udp_len));
  if (!payload.empty()) std::memcpy(udp + kUdpHeaderSize, payload.data(), payload.size());
  uint16_t c = InternetChecksum({udp, udp_len}, PseudoHeaderSum(src, dst, udp_len));
  Put16(udp + 6, c == 0 ? 0xffff : c);  // 0 means "no checksum"
  return p;
}

std::optional<OverlayUdp> ParseIpv4Udp(ByteSpan packet) {
  if (packet.size() < kIpv4HeaderSize + kUdpHeaderSize) return std::nullopt;
  const uint8_t* ip = packet.data();
  if (ip[0] >> 4 != 4) return std::nullopt;
  const size_t ihl = size_t(ip[0] & 0x0f) * 4;
  const size_t total = Get16(ip + 2);
  if (ihl < kIpv4HeaderSize || total > packet.size() || total < ihl + kUdpHeaderSize)
    return std::nullopt;
  if (ip[9] != kProtoUdp) return std::nullopt;
  if ((Get16(ip + 6) & 0x3fff) != 0) return std::nullopt;  // a fragment (MF or offset)
  if (InternetChecksum({ip, ihl}) != 0) return std::nullopt;
  const uint8_t* udp = ip + ihl;
  const size_t udp_len = Get16(udp + 4);
  if (udp_len < kUdpHeaderSize || udp_len != total - ihl) return std::nullopt;
  OverlayUdp u;
  std::memcpy(u.src.data(), ip + 12, 4);
  std::memcpy(u.dst.data(), ip + 16, 4);
  if (Get16(udp + 6) != 0 &&
      InternetChecksum({udp, udp_len}, PseudoHeaderSum(u.src, u.dst, udp_len)) != 0)
    return std::nullopt;
  u.src_port = Get16(udp);
  u.dst_port = Get16(udp + 2);
  u.payload = {udp + kUdpHeaderSize, udp_len - kUdpHeaderSize};
  return u;
}

}  // namespace dlog::node
