#include "net/offload.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

namespace dlog::net {
namespace {

// --- An independent, deliberately naive model of the headers and checksums ---

constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10, kUrg = 0x20,
                  kCwr = 0x80;

uint16_t Get16(const Bytes& b, size_t at) { return uint16_t(b[at] << 8 | b[at + 1]); }
uint32_t Get32(const Bytes& b, size_t at) {
  return uint32_t(Get16(b, at)) << 16 | Get16(b, at + 2);
}
void Put16(Bytes& b, size_t at, uint32_t v) {
  b[at] = uint8_t(v >> 8);
  b[at + 1] = uint8_t(v);
}
void Put32(Bytes& b, size_t at, uint32_t v) {
  Put16(b, at, v >> 16);
  Put16(b, at + 2, v);
}

// RFC 1071, one big-endian word at a time, folded at the end.
uint32_t NaiveSum(const Bytes& data, uint32_t sum = 0) {
  for (size_t i = 0; i < data.size(); i += 2) {
    sum += uint32_t(data[i]) << 8;
    if (i + 1 < data.size()) sum += data[i + 1];
  }
  return sum;
}
uint16_t NaiveFold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(sum);
}

bool IsV6(const Bytes& p) { return (p[0] >> 4) == 6; }
size_t IpHdrLen(const Bytes& p) { return IsV6(p) ? 40 : (p[0] & 0x0f) * 4u; }
size_t TcpHdrLen(const Bytes& p) { return (p[IpHdrLen(p) + 12] >> 4) * 4u; }
size_t HdrLen(const Bytes& p) { return IpHdrLen(p) + TcpHdrLen(p); }

// Pseudo-header bytes (RFC 9293 §3.1 / RFC 8200 §8.1) for the L4 part of `p`.
Bytes Pseudo(const Bytes& p, uint8_t proto) {
  const uint32_t l4 = uint32_t(p.size() - IpHdrLen(p));
  Bytes ph;
  if (IsV6(p)) {
    ph.assign(p.begin() + 8, p.begin() + 40);
    ph.insert(ph.end(), {uint8_t(l4 >> 24), uint8_t(l4 >> 16), uint8_t(l4 >> 8), uint8_t(l4), 0, 0,
                         0, proto});
  } else {
    ph.assign(p.begin() + 12, p.begin() + 20);
    ph.insert(ph.end(), {0, proto, uint8_t(l4 >> 8), uint8_t(l4)});
  }
  return ph;
}
Bytes L4(const Bytes& p) { return Bytes(p.begin() + IpHdrLen(p), p.end()); }

bool L4ChecksumValid(const Bytes& p, uint8_t proto) {
  return NaiveFold(NaiveSum(L4(p), NaiveSum(Pseudo(p, proto)))) == 0xffff;
}
bool Ipv4ChecksumValid(const Bytes& p) {
  return NaiveFold(NaiveSum(Bytes(p.begin(), p.begin() + IpHdrLen(p)))) == 0xffff;
}
void FixIpv4Checksum(Bytes& p) {
  Put16(p, 10, 0);
  Put16(p, 10, uint16_t(~NaiveFold(NaiveSum(Bytes(p.begin(), p.begin() + IpHdrLen(p))))));
}
// Linux CHECKSUM_PARTIAL: the folded pseudo-header sum, not complemented.
void SetPartialChecksum(Bytes& p, uint8_t proto, size_t csum_at) {
  Put16(p, IpHdrLen(p) + csum_at, NaiveFold(NaiveSum(Pseudo(p, proto))));
}
void SetFullChecksum(Bytes& p, uint8_t proto, size_t csum_at) {
  Put16(p, IpHdrLen(p) + csum_at, 0);
  Put16(p, IpHdrLen(p) + csum_at,
        uint16_t(~NaiveFold(NaiveSum(L4(p), NaiveSum(Pseudo(p, proto))))));
}

struct TcpSpec {
  bool v6 = false;
  size_t payload = 1000;
  uint8_t flags = kAck;
  uint32_t seq = 0x10000000;
  uint32_t ack = 0x20000000;
  uint16_t id = 0x1234;
  uint8_t ttl = 64;
  uint8_t tos = 0;
  uint16_t sport = 40000, dport = 5201;
  uint8_t src_last = 1;
  Bytes tcp_options = {};  // a multiple of 4
  Bytes ip_options = {};   // IPv4 only, a multiple of 4
  uint32_t payload_seed = 1;
};

// An IPv4/IPv6 TCP packet as Linux would hand it over: lengths set, IPv4 header
// checksum valid, TCP checksum partial (super-packet) or full (`full_csum`).
Bytes MakeTcp(const TcpSpec& s, bool full_csum) {
  const size_t ip_len = s.v6 ? 40 : 20 + s.ip_options.size();
  const size_t tcp_len = 20 + s.tcp_options.size();
  Bytes p(ip_len + tcp_len + s.payload, 0);
  if (s.v6) {
    p[0] = 0x60 | (s.tos >> 4);
    p[1] = uint8_t(s.tos << 4) | 0x0a;  // flow label 0xabcde
    p[2] = 0xbc;
    p[3] = 0xde;
    Put16(p, 4, uint32_t(p.size() - 40));
    p[6] = 6;
    p[7] = s.ttl;
    for (int i = 0; i < 16; ++i) p[8 + i] = uint8_t(0xf0 + i);
    for (int i = 0; i < 16; ++i) p[24 + i] = uint8_t(0xa0 + i);
    p[23] = s.src_last;
  } else {
    p[0] = uint8_t(0x40 | (ip_len / 4));
    p[1] = s.tos;
    Put16(p, 2, uint32_t(p.size()));
    Put16(p, 4, s.id);
    Put16(p, 6, 0x4000);  // DF
    p[8] = s.ttl;
    p[9] = 6;
    p[12] = 10, p[13] = 99, p[14] = 0, p[15] = s.src_last;
    p[16] = 10, p[17] = 99, p[18] = 0, p[19] = 2;
    std::copy(s.ip_options.begin(), s.ip_options.end(), p.begin() + 20);
    FixIpv4Checksum(p);
  }
  Put16(p, ip_len, s.sport);
  Put16(p, ip_len + 2, s.dport);
  Put32(p, ip_len + 4, s.seq);
  Put32(p, ip_len + 8, s.ack);
  p[ip_len + 12] = uint8_t((tcp_len / 4) << 4);
  p[ip_len + 13] = s.flags;
  Put16(p, ip_len + 14, 501);
  std::copy(s.tcp_options.begin(), s.tcp_options.end(), p.begin() + ip_len + 20);
  std::mt19937 rng(s.payload_seed);
  for (size_t i = ip_len + tcp_len; i < p.size(); ++i) p[i] = uint8_t(rng());
  if (full_csum) {
    SetFullChecksum(p, 6, 16);
  } else {
    SetPartialChecksum(p, 6, 16);
  }
  return p;
}

const Bytes kTimestamps = {1, 1, 8, 10, 0, 0, 0x12, 0x34, 0, 0, 0x56, 0x78};

VirtioNetHdr TsoHdr(const Bytes& p, uint16_t gso_size) {
  return {.flags = kVirtioNetHdrFNeedsCsum,
          .gso_type = IsV6(p) ? kVirtioNetHdrGsoTcpV6 : kVirtioNetHdrGsoTcpV4,
          .hdr_len = uint16_t(HdrLen(p)),
          .gso_size = gso_size,
          .csum_start = uint16_t(IpHdrLen(p)),
          .csum_offset = 16};
}

std::vector<Bytes> ToVectors(const PacketList& b) {
  std::vector<Bytes> v;
  for (size_t i = 0; i < b.size(); ++i) v.emplace_back(b[i].begin(), b[i].end());
  return v;
}

std::vector<Bytes> Split(const VirtioNetHdr& hdr, const Bytes& p, size_t mtu = 65535) {
  PacketList out;
  const Status s = SplitSuperPacket(hdr, p, mtu, out);
  EXPECT_TRUE(s.ok()) << s.message();
  return ToVectors(out);
}

struct Write {
  VirtioNetHdr hdr;
  Bytes packet;
};
std::vector<Write> Coalesce(const std::vector<Bytes>& packets, GroOptions options = {}) {
  std::vector<ByteSpan> spans(packets.begin(), packets.end());
  PacketList out;
  TunCoalescer(options).Coalesce(spans, out);
  std::vector<Write> writes;
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_GE(out[i].size(), kVirtioNetHdrSize);
    writes.push_back(
        {LoadVirtioNetHdr(out[i].data()), Bytes(out[i].begin() + kVirtioNetHdrSize, out[i].end())});
  }
  return writes;
}

// Checks every segment of `super` split at `gso_size` against the naive model.
void CheckSegments(const Bytes& super, uint16_t gso_size, const std::vector<Bytes>& segs) {
  const size_t h = HdrLen(super), ip = IpHdrLen(super);
  const size_t payload = super.size() - h;
  ASSERT_EQ(segs.size(), std::max<size_t>(1, (payload + gso_size - 1) / gso_size));
  Bytes reassembled;
  for (size_t i = 0; i < segs.size(); ++i) {
    SCOPED_TRACE("segment " + std::to_string(i));
    const Bytes& s = segs[i];
    const bool last = i + 1 == segs.size();
    ASSERT_EQ(s.size(), h + (last ? payload - i * gso_size : gso_size));
    if (IsV6(super)) {
      EXPECT_EQ(Get16(s, 4), s.size() - 40);
      EXPECT_TRUE(std::equal(s.begin(), s.begin() + 4, super.begin()));
      EXPECT_TRUE(std::equal(s.begin() + 6, s.begin() + 40, super.begin() + 6));
    } else {
      EXPECT_EQ(Get16(s, 2), s.size());
      EXPECT_EQ(Get16(s, 4), uint16_t(Get16(super, 4) + i));
      EXPECT_TRUE(Ipv4ChecksumValid(s));
      EXPECT_TRUE(std::equal(s.begin() + 6, s.begin() + 10, super.begin() + 6));
      EXPECT_TRUE(std::equal(s.begin() + 12, s.begin() + ip, super.begin() + 12));
    }
    EXPECT_EQ(Get32(s, ip + 4), Get32(super, ip + 4) + uint32_t(i * gso_size));
    uint8_t flags = super[ip + 13];
    if (!last) flags &= ~(kFin | kPsh);
    if (i > 0) flags &= ~kCwr;
    EXPECT_EQ(s[ip + 13], flags);
    EXPECT_TRUE(std::equal(s.begin() + ip + 8, s.begin() + ip + 13, super.begin() + ip + 8));
    EXPECT_TRUE(std::equal(s.begin() + ip + 14, s.begin() + ip + 16, super.begin() + ip + 14));
    EXPECT_TRUE(std::equal(s.begin() + ip + 18, s.begin() + h, super.begin() + ip + 18));
    EXPECT_TRUE(L4ChecksumValid(s, 6));
    reassembled.insert(reassembled.end(), s.begin() + h, s.end());
  }
  EXPECT_EQ(reassembled, Bytes(super.begin() + h, super.end()));
}

// --- Splitting ---

TEST(SplitSuperPacket, Ipv4TsoWithFinPshCwr) {
  TcpSpec spec{.payload = 60000, .flags = kAck | kPsh | kFin | kCwr, .tcp_options = kTimestamps};
  const Bytes super = MakeTcp(spec, false);
  const auto segs = Split(TsoHdr(super, 1448), super, 1500);
  CheckSegments(super, 1448, segs);
  EXPECT_EQ(segs.size(), 42u);
}

TEST(SplitSuperPacket, Ipv6TsoWithFinPshCwr) {
  TcpSpec spec{
      .v6 = true, .payload = 65000, .flags = kAck | kPsh | kFin | kCwr, .tcp_options = kTimestamps};
  const Bytes super = MakeTcp(spec, false);
  const auto segs = Split(TsoHdr(super, 1348), super, 1420);
  CheckSegments(super, 1348, segs);
}

TEST(SplitSuperPacket, Ipv4OptionsAreCopied) {
  TcpSpec spec{.payload = 5000, .ip_options = {0x94, 4, 0, 0}};  // Router Alert
  const Bytes super = MakeTcp(spec, false);
  CheckSegments(super, 1000, Split(TsoHdr(super, 1000), super));
}

TEST(SplitSuperPacket, IdAndSequenceWrapAround) {
  TcpSpec spec{.payload = 4000, .seq = 0xffffff00, .id = 0xfffe};
  const Bytes super = MakeTcp(spec, false);
  const auto segs = Split(TsoHdr(super, 1000), super);
  CheckSegments(super, 1000, segs);
  EXPECT_EQ(Get16(segs[2], 4), 0);
  EXPECT_EQ(Get32(segs[1], 24), 0x000002e8u);
}

TEST(SplitSuperPacket, RandomShapesAgainstNaiveModel) {
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    TcpSpec spec;
    spec.v6 = rng() % 2;
    const size_t max_payload = 65535 - (spec.v6 ? 40 : 0) - 60 - 20;
    spec.payload = rng() % 4 == 0 ? rng() % 3000 : rng() % max_payload;
    spec.flags = uint8_t(rng()) & (kAck | kPsh | kFin | kCwr);
    spec.seq = rng();
    spec.id = uint16_t(rng());
    spec.tcp_options.assign(4 * (rng() % 11), 1);
    spec.payload_seed = rng();
    const Bytes super = MakeTcp(spec, false);
    const uint16_t gso = uint16_t(500 + rng() % 9000);
    CheckSegments(super, gso, Split(TsoHdr(super, gso), super));
  }
}

Bytes MakeUdp(bool v6, size_t payload, uint32_t seed) {
  TcpSpec spec{.v6 = v6, .payload = payload, .payload_seed = seed};
  Bytes p = MakeTcp(spec, false);  // 20-byte TCP header; reshape into 8-byte UDP
  p.erase(p.begin() + IpHdrLen(p) + 8, p.begin() + IpHdrLen(p) + 20);
  const size_t ip = IpHdrLen(p);
  if (v6) {
    p[6] = 17;
    Put16(p, 4, uint32_t(p.size() - 40));
  } else {
    p[9] = 17;
    Put16(p, 2, uint32_t(p.size()));
    FixIpv4Checksum(p);
  }
  Put16(p, ip + 4, uint32_t(p.size() - ip));
  SetPartialChecksum(p, 17, 6);
  return p;
}

TEST(SplitSuperPacket, UdpL4Segments) {
  for (bool v6 : {false, true}) {
    const Bytes super = MakeUdp(v6, 10000, 3);
    const size_t ip = IpHdrLen(super);
    VirtioNetHdr hdr{.flags = kVirtioNetHdrFNeedsCsum,
                     .gso_type = kVirtioNetHdrGsoUdpL4,
                     .hdr_len = uint16_t(ip + 8),
                     .gso_size = 1200,
                     .csum_start = uint16_t(ip),
                     .csum_offset = 6};
    const auto segs = Split(hdr, super, 1500);
    ASSERT_EQ(segs.size(), 9u);
    Bytes reassembled;
    for (size_t i = 0; i < segs.size(); ++i) {
      const Bytes& s = segs[i];
      EXPECT_EQ(s.size(), ip + 8 + (i < 8 ? 1200 : 400));
      EXPECT_EQ(Get16(s, ip + 4), s.size() - ip);
      EXPECT_TRUE(L4ChecksumValid(s, 17));
      if (!v6) {
        EXPECT_TRUE(Ipv4ChecksumValid(s));
        EXPECT_EQ(Get16(s, 4), uint16_t(0x1234 + i));
      }
      reassembled.insert(reassembled.end(), s.begin() + ip + 8, s.end());
    }
    EXPECT_EQ(reassembled, Bytes(super.begin() + ip + 8, super.end()));
  }
}

TEST(SplitSuperPacket, PlainPacketPassesThrough) {
  const Bytes p = MakeTcp({.payload = 100}, true);
  const auto segs = Split(VirtioNetHdr{}, p);
  ASSERT_EQ(segs.size(), 1u);
  EXPECT_EQ(segs[0], p);
  const Bytes junk = {1, 2, 3};  // not parsed at all without NEEDS_CSUM
  EXPECT_EQ(Split(VirtioNetHdr{}, junk), std::vector<Bytes>{junk});
}

TEST(SplitSuperPacket, PlainPacketChecksumCompleted) {
  for (bool v6 : {false, true}) {
    for (size_t payload : {0, 1, 7, 100}) {
      Bytes udp = MakeUdp(v6, payload, 9);  // partial checksum, as Linux leaves it
      const size_t ip = IpHdrLen(udp);
      EXPECT_FALSE(L4ChecksumValid(udp, 17));
      VirtioNetHdr hdr{
          .flags = kVirtioNetHdrFNeedsCsum, .csum_start = uint16_t(ip), .csum_offset = 6};
      const auto segs = Split(hdr, udp);
      ASSERT_EQ(segs.size(), 1u);
      EXPECT_TRUE(L4ChecksumValid(segs[0], 17));
      EXPECT_NE(Get16(segs[0], ip + 6), 0);
      Bytes tcp = MakeTcp({.v6 = v6, .payload = payload}, false);
      hdr.csum_offset = 16;
      const auto tsegs = Split(hdr, tcp);
      ASSERT_EQ(tsegs.size(), 1u);
      EXPECT_TRUE(L4ChecksumValid(tsegs[0], 6));
      Put16(tcp, IpHdrLen(tcp) + 16, Get16(tsegs[0], IpHdrLen(tcp) + 16));
      EXPECT_EQ(tsegs[0], tcp);
    }
  }
}

// A UDP checksum that computes to 0 goes out as 0xffff (RFC 768), on both paths.
TEST(SplitSuperPacket, UdpZeroChecksumSentAsAllOnes) {
  for (bool v6 : {false, true}) {
    Bytes udp = MakeUdp(v6, 3000, 5);
    const size_t ip = IpHdrLen(udp);
    Bytes full = udp;
    SetFullChecksum(full, 17, 6);
    // Adding the checksum into a payload word makes the sum 0xffff, the checksum 0.
    Put16(udp, ip + 8, NaiveFold(uint32_t(Get16(udp, ip + 8)) + Get16(full, ip + 6)));
    VirtioNetHdr plain{
        .flags = kVirtioNetHdrFNeedsCsum, .csum_start = uint16_t(ip), .csum_offset = 6};
    const auto one = Split(plain, udp);
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(Get16(one[0], ip + 6), 0xffff);
    EXPECT_TRUE(L4ChecksumValid(one[0], 17));
    VirtioNetHdr uso = plain;
    uso.gso_type = kVirtioNetHdrGsoUdpL4;
    uso.gso_size = 3000;
    const auto seg = Split(uso, udp);
    ASSERT_EQ(seg.size(), 1u);
    EXPECT_EQ(Get16(seg[0], ip + 6), 0xffff);
  }
}

TEST(SplitSuperPacket, SmallGsoPacketIsOneSegment) {
  const Bytes super = MakeTcp({.payload = 500, .flags = kAck | kFin}, false);
  const auto segs = Split(TsoHdr(super, 1448), super);
  CheckSegments(super, 1448, segs);
  ASSERT_EQ(segs.size(), 1u);
  EXPECT_EQ(segs[0][33], kAck | kFin);
}

TEST(SplitSuperPacket, KernelHdrLenIsIgnored) {
  const Bytes super = MakeTcp({.payload = 3000}, false);
  VirtioNetHdr hdr = TsoHdr(super, 1000);
  hdr.hdr_len = 1234;  // Linux reports skb_headlen() here
  CheckSegments(super, 1000, Split(hdr, super));
}

// Each malformed input must be refused with a Status and append nothing.
void ExpectRejected(const VirtioNetHdr& hdr, const Bytes& p, size_t mtu = 65535) {
  PacketList out;
  out.Append(3);
  const Status s = SplitSuperPacket(hdr, p, mtu, out);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(out.size(), 1u);
  EXPECT_NE(s.message().find("tun offload"), std::string::npos) << s.message();
}

TEST(SplitSuperPacket, MalformedInputsRejected) {
  const Bytes v4 = MakeTcp({.payload = 3000}, false);
  const Bytes v6 = MakeTcp({.v6 = true, .payload = 3000}, false);
  const VirtioNetHdr h4 = TsoHdr(v4, 1000), h6 = TsoHdr(v6, 1000);

  ExpectRejected(h4, {});
  for (size_t n : {1, 19, 20, 39, 50}) ExpectRejected(h4, Bytes(v4.begin(), v4.begin() + n));
  for (size_t n : {1, 39, 40, 59, 70}) ExpectRejected(h6, Bytes(v6.begin(), v6.begin() + n));
  ExpectRejected(h4, Bytes(v4.begin(), v4.end() - 1));  // total length != packet
  ExpectRejected(h6, Bytes(v6.begin(), v6.end() - 1));  // payload length != packet

  VirtioNetHdr h = h4;
  h.gso_size = 0;
  ExpectRejected(h, v4);
  ExpectRejected(h4, v4, 1000 + 40 - 1);  // segment above the MTU
  h = h4, h.gso_size = 2;
  ExpectRejected(h, v4);  // 1500 segments > kMaxSplitSegments
  for (uint8_t type : {2, 3, 6, 0x7f, 0x80, 0x83, 0x85}) {
    h = h4, h.gso_type = type;
    ExpectRejected(h, v4);
  }
  h = h4, h.gso_type |= kVirtioNetHdrGsoEcn;
  CheckSegments(v4, 1000, Split(h, v4));  // TCPV4 | ECN is fine
  ExpectRejected(h6, v4);                 // TCPV6 on IPv4
  ExpectRejected(h4, v6);                 // TCPV4 on IPv6
  h = h4, h.csum_start = 0;
  ExpectRejected(h, v4);
  h = h4, h.csum_offset = 6;
  ExpectRejected(h, v4);

  Bytes bad = v4;
  bad[0] = 0x44;  // IHL 16 bytes
  ExpectRejected(h4, bad);
  bad[0] = 0x4f;  // IHL 60 bytes, beyond the 50-byte packet
  bad.resize(50);
  Put16(bad, 2, 50);
  ExpectRejected(h4, bad);
  bad = v4, bad[0] = 0x55;
  ExpectRejected(h4, bad);  // version 5
  bad = v4, Put16(bad, 6, 0x2000);
  ExpectRejected(h4, bad);  // MF: a fragment
  bad = v4, bad[9] = 17;
  ExpectRejected(h4, bad);  // UDP under TCPV4
  bad = v4, bad[32] = 0x40;
  ExpectRejected(h4, bad);  // TCP data offset 16
  bad = v4, bad[32] = 0xf0;
  bad.resize(70), Put16(bad, 2, 70);
  ExpectRejected(h4, bad);  // TCP header beyond the packet
  bad = v6, bad[6] = 0;
  ExpectRejected(h6, bad);  // hop-by-hop extension header
  h = h4, h.gso_type = kVirtioNetHdrGsoUdpL4, h.csum_offset = 6;
  ExpectRejected(h, v4);  // UDP_L4 on TCP

  VirtioNetHdr plain{.flags = kVirtioNetHdrFNeedsCsum, .csum_start = 20, .csum_offset = 16};
  ExpectRejected(plain, Bytes(v4.begin(), v4.begin() + 37));
  plain.csum_start = 0xffff;
  ExpectRejected(plain, v4);
}

// --- Coalescing ---

// Splits a super-packet with the module under test, for the GRO tests.
std::vector<Bytes> Segments(const TcpSpec& spec, uint16_t gso) {
  const Bytes super = MakeTcp(spec, false);
  return Split(TsoHdr(super, gso), super);
}

void ExpectCoalescedEquals(const Write& w, const Bytes& super, uint16_t gso) {
  EXPECT_EQ(w.hdr, TsoHdr(super, gso));
  EXPECT_EQ(w.packet, super);
}

TEST(TunCoalescer, SplitThenCoalesceRestoresTheSuperPacket) {
  for (bool v6 : {false, true}) {
    TcpSpec spec{.v6 = v6, .payload = 62000, .flags = kAck | kPsh, .tcp_options = kTimestamps};
    const Bytes super = MakeTcp(spec, false);
    const auto writes = Coalesce(Split(TsoHdr(super, 1448), super));
    ASSERT_EQ(writes.size(), 1u);
    ExpectCoalescedEquals(writes[0], super, 1448);
    EXPECT_TRUE(v6 || Ipv4ChecksumValid(writes[0].packet));
  }
}

TEST(TunCoalescer, CoalescedPacketSplitsBackToTheSameSegments) {
  std::mt19937 rng(11);
  for (int round = 0; round < 100; ++round) {
    TcpSpec spec{.v6 = bool(rng() % 2),
                 .payload = 1 + rng() % 60000,
                 .seq = uint32_t(rng()),
                 .payload_seed = uint32_t(rng())};
    const uint16_t gso = uint16_t(536 + rng() % 8000);
    const auto segs = Segments(spec, gso);
    const auto writes = Coalesce(segs, {.verify_checksums = true});
    size_t k = 0;
    for (const Write& w : writes) {
      PacketList again;
      ASSERT_TRUE(SplitSuperPacket(w.hdr, w.packet, 65535, again).ok());
      for (const Bytes& s : ToVectors(again)) {
        ASSERT_LT(k, segs.size());
        EXPECT_EQ(s, segs[k++]);
      }
    }
    EXPECT_EQ(k, segs.size());
    const size_t per_write = std::min<size_t>(kMaxGroSegments, (65535 - (spec.v6 ? 60 : 40)) / gso);
    EXPECT_EQ(writes.size(), (segs.size() + per_write - 1) / per_write);
  }
}

TEST(TunCoalescer, PlainWritesForNonTcpAndSingles) {
  const Bytes udp = MakeUdp(false, 100, 1);
  const Bytes single = MakeTcp({.payload = 100}, true);
  const Bytes junk = {0x45, 0, 0};
  const auto writes = Coalesce({udp, single, junk, {}});
  ASSERT_EQ(writes.size(), 4u);
  EXPECT_EQ(writes[0].packet, udp);
  EXPECT_EQ(writes[1].packet, single);
  EXPECT_EQ(writes[2].packet, junk);
  EXPECT_TRUE(writes[3].packet.empty());
  for (const Write& w : writes) EXPECT_EQ(w.hdr, VirtioNetHdr{});
}

TEST(TunCoalescer, InterleavedFlowsCoalesceSeparately) {
  const auto a = Segments({.payload = 5000, .sport = 1}, 1000);
  const auto b = Segments({.v6 = true, .payload = 3000, .sport = 2}, 1000);
  const auto c = Segments({.payload = 2000, .sport = 3}, 1000);
  const std::vector<Bytes> in = {a[0], b[0], a[1], c[0], b[1], a[2], a[3], b[2], c[1], a[4]};
  const auto writes = Coalesce(in);
  ASSERT_EQ(writes.size(), 3u);
  ExpectCoalescedEquals(writes[0], MakeTcp({.payload = 5000, .sport = 1}, false), 1000);
  ExpectCoalescedEquals(writes[1], MakeTcp({.v6 = true, .payload = 3000, .sport = 2}, false), 1000);
  ExpectCoalescedEquals(writes[2], MakeTcp({.payload = 2000, .sport = 3}, false), 1000);
}

// Cuts `segs` into writes by group sizes, for readable expectations.
std::vector<size_t> GroupSizes(const std::vector<Write>& writes) {
  std::vector<size_t> sizes;
  for (const Write& w : writes) {
    if (w.hdr.gso_type == kVirtioNetHdrGsoNone) {
      sizes.push_back(1);
    } else {
      PacketList b;
      EXPECT_TRUE(SplitSuperPacket(w.hdr, w.packet, 65535, b).ok());
      sizes.push_back(b.size());
    }
  }
  return sizes;
}

TEST(TunCoalescer, BreaksAtGapsAndOrderChanges) {
  auto s = Segments({.payload = 6000}, 1000);
  // A lost segment (gap), then a retransmission out of order.
  auto w = Coalesce({s[0], s[1], s[3], s[4], s[2], s[5]});
  EXPECT_EQ(GroupSizes(w), (std::vector<size_t>{2, 2, 1, 1}));
}

TEST(TunCoalescer, OtherPacketOfTheFlowClosesIt) {
  auto s = Segments({.payload = 4000}, 1000);
  const Bytes pure_ack = MakeTcp({.payload = 0, .seq = 0x10000000 + 2000}, true);
  auto w = Coalesce({s[0], s[1], pure_ack, s[2], s[3]});
  EXPECT_EQ(GroupSizes(w), (std::vector<size_t>{2, 1, 2}));
  EXPECT_EQ(w[1].packet, pure_ack);
}

TEST(TunCoalescer, FlagRules) {
  // PSH ends a super-packet; SYN/FIN/RST/URG/CWR segments stay alone.
  auto psh = Segments({.payload = 4000, .flags = kAck | kPsh}, 1000);
  psh[1][33] |= kPsh;  // PSH in the middle (a second send)
  EXPECT_EQ(GroupSizes(Coalesce(psh)), (std::vector<size_t>{2, 2}));
  for (uint8_t f : {kSyn, kFin, kRst, kUrg, kCwr}) {
    auto s = Segments({.payload = 3000}, 1000);
    s[1][33] |= f;
    EXPECT_EQ(GroupSizes(Coalesce(s)), (std::vector<size_t>{1, 1, 1})) << int(f);
    s = Segments({.payload = 3000}, 1000);
    s[0][33] |= f;
    EXPECT_EQ(GroupSizes(Coalesce(s)), (std::vector<size_t>{1, 2})) << int(f);
  }
}

TEST(TunCoalescer, HeaderMismatchesBreak) {
  // Mutations of the second segment (offset into an IPv4 packet with 12 option bytes)
  // that must keep it out of the first's super-packet.
  struct Case {
    const char* name;
    size_t at;
    uint8_t value;
  };
  const Case cases[] = {{"tos", 1, 0x10},      {"ttl", 8, 63},        {"df", 6, 0x00},
                        {"ack", 31, 1},        {"window", 34, 0},     {"option", 43, 9},
                        {"urgent ptr", 39, 1}, {"ece flag", 33, 0x50}};
  for (const Case& c : cases) {
    auto s = Segments({.payload = 3000, .tcp_options = kTimestamps}, 1000);
    for (int k : {1, 2}) {
      s[k][c.at] = c.value;
      FixIpv4Checksum(s[k]);
    }
    EXPECT_EQ(GroupSizes(Coalesce(s)), (std::vector<size_t>{1, 2})) << c.name;
  }
  // A different TCP header length cannot join either.
  auto s = Segments({.payload = 2000}, 1000);
  auto t = Segments({.payload = 1000, .seq = 0x10000000 + 2000, .tcp_options = {1, 1, 1, 1}}, 1000);
  EXPECT_EQ(GroupSizes(Coalesce({s[0], s[1], t[0]})), (std::vector<size_t>{2, 1}));
}

TEST(TunCoalescer, Ipv6HeaderMismatchesBreak) {
  for (size_t at : {1, 3, 7}) {
    auto s = Segments({.v6 = true, .payload = 3000}, 1000);
    s[1][at] ^= 1;
    s[2][at] ^= 1;
    EXPECT_EQ(GroupSizes(Coalesce(s)), (std::vector<size_t>{1, 2})) << at;
  }
}

TEST(TunCoalescer, SizeRules) {
  // Larger than the first: starts anew. Shorter: ends the super-packet.
  auto a = Segments({.payload = 1500}, 500);
  auto b = Segments({.payload = 2000, .seq = 0x10000000 + 1500}, 1000);
  EXPECT_EQ(GroupSizes(Coalesce({a[0], a[1], a[2], b[0], b[1]})), (std::vector<size_t>{3, 2}));
  auto c = Segments({.payload = 2500}, 1000);
  auto d = Segments({.payload = 1000, .seq = 0x10000000 + 2500}, 1000);
  EXPECT_EQ(GroupSizes(Coalesce({c[0], c[1], c[2], d[0]})), (std::vector<size_t>{3, 1}));
}

TEST(TunCoalescer, BoundsOnSegmentsAndBytes) {
  auto many = Segments({.payload = 100 * 100}, 100);  // 100 segments
  EXPECT_EQ(GroupSizes(Coalesce(many)), (std::vector<size_t>{64, 36}));
  // 40 + 1448 * 46 > 65535: at most 45 segments of 1448 bytes fit.
  auto big = Segments({.payload = 1448 * 44}, 1448);
  auto more = Segments({.payload = 1448 * 4, .seq = 0x10000000 + 1448 * 44}, 1448);
  big.insert(big.end(), more.begin(), more.end());
  const auto w = Coalesce(big);
  EXPECT_EQ(GroupSizes(w), (std::vector<size_t>{45, 3}));
  EXPECT_LE(w[0].packet.size(), kMaxSuperPacketSize);
}

TEST(TunCoalescer, FlowTableIsBounded) {
  std::vector<Bytes> in;
  for (uint16_t f = 0; f < kMaxGroFlows + 4; ++f) {
    auto s = Segments({.payload = 2000, .sport = uint16_t(1000 + f)}, 1000);
    in.insert(in.end(), s.begin(), s.end());
  }
  std::vector<size_t> expected(kMaxGroFlows, 2);
  expected.insert(expected.end(), 8, 1);
  EXPECT_EQ(GroupSizes(Coalesce(in)), expected);
}

TEST(TunCoalescer, BadChecksums) {
  auto s = Segments({.payload = 3000}, 1000);
  s[1][10] ^= 1;  // IPv4 header checksum: always checked
  EXPECT_EQ(GroupSizes(Coalesce(s)), (std::vector<size_t>{1, 1, 1}));
  s = Segments({.payload = 3000}, 1000);
  s[1][36] ^= 1;  // TCP checksum: trusted by default, checked on request
  EXPECT_EQ(GroupSizes(Coalesce(s)), (std::vector<size_t>{3}));
  EXPECT_EQ(GroupSizes(Coalesce(s, {.verify_checksums = true})), (std::vector<size_t>{1, 1, 1}));
  s = Segments({.payload = 3000}, 1000);
  s[1].back() ^= 0x10;  // a payload bit flip
  EXPECT_EQ(GroupSizes(Coalesce(s)), (std::vector<size_t>{3}));
  EXPECT_EQ(GroupSizes(Coalesce(s, {.verify_checksums = true})), (std::vector<size_t>{1, 1, 1}));
}

TEST(TunCoalescer, PlainPacketsKeepTheirOrderAroundGroups) {
  auto a = Segments({.payload = 3000}, 1000);
  const Bytes udp = MakeUdp(true, 50, 2);
  const auto w = Coalesce({a[0], udp, a[1], a[2]});
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].hdr.gso_type, kVirtioNetHdrGsoTcpV4);
  EXPECT_EQ(w[1].packet, udp);
}

TEST(PacketList, AppendTruncateClear) {
  PacketList b;
  for (int i = 0; i < 100; ++i) {
    auto s = b.Append(i);
    std::fill(s.begin(), s.end(), uint8_t(i));
  }
  ASSERT_EQ(b.size(), 100u);
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(b[i].size(), size_t(i));
    for (uint8_t x : b[i]) ASSERT_EQ(x, i);
  }
  b.Truncate(10);
  EXPECT_EQ(b.size(), 10u);
  b.Append(5);
  EXPECT_EQ(b[10].size(), 5u);
  b.Clear();
  EXPECT_TRUE(b.empty());
}

TEST(VirtioNetHdr, RoundTripsInHostOrder) {
  const VirtioNetHdr h{1, 4, 0x0102, 0x0304, 0x0506, 0x0708};
  uint8_t raw[kVirtioNetHdrSize];
  StoreVirtioNetHdr(h, raw);
  EXPECT_EQ(raw[0], 1);
  EXPECT_EQ(raw[1], 4);
  uint16_t gso_size;
  std::memcpy(&gso_size, raw + 4, 2);
  EXPECT_EQ(gso_size, 0x0304);
  EXPECT_EQ(LoadVirtioNetHdr(raw), h);
}

}  // namespace
}  // namespace dlog::net
