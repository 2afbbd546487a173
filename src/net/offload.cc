// TSO/USO splitting and TCP GRO for a TUN with virtio-net headers (offload.h).
//
// Header fields used (offsets from the start of each header):
//   IPv4 (RFC 791)   0 version|IHL, 1 TOS, 2 total length, 4 id, 6 flags|fragment
//                    offset (DF 0x4000, MF 0x2000), 8 TTL, 9 protocol, 10 header
//                    checksum, 12 source, 16 destination
//   IPv6 (RFC 8200)  0 version|traffic class|flow label, 4 payload length, 6 next
//                    header, 7 hop limit, 8 source, 24 destination
//   TCP (RFC 9293)   0 ports, 4 seq, 8 ack, 12 data offset, 13 flags, 14 window,
//                    16 checksum, 18 urgent pointer, 20 options
//   UDP (RFC 768)    0 ports, 4 length, 6 checksum
#include "net/offload.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <optional>
#include <string>

namespace dlog::net {
namespace {

constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
constexpr size_t kIpv4MinHdr = 20;
constexpr size_t kIpv6Hdr = 40;
constexpr size_t kTcpMinHdr = 20;
constexpr size_t kUdpHdr = 8;
constexpr size_t kTcpCsumOffset = 16;
constexpr size_t kUdpCsumOffset = 6;
constexpr uint16_t kIpv4FragMask = 0x3fff;  // MF and fragment offset

constexpr uint8_t kTcpFin = 0x01;
constexpr uint8_t kTcpSyn = 0x02;
constexpr uint8_t kTcpRst = 0x04;
constexpr uint8_t kTcpPsh = 0x08;
constexpr uint8_t kTcpUrg = 0x20;
constexpr uint8_t kTcpCwr = 0x80;

uint16_t LoadBE16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
void StoreBE16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}

// --- Internet checksum (RFC 1071) ---
//
// Sum() adds bytes, read as 64-bit host-order words, into a ones-complement
// accumulator (end-around carry); Fold() reduces it to 16 bits and returns the
// big-endian sum (RFC 1071 §2(B): the sum is byte-order independent up to one final
// swap). Pieces summed in sequence must each start at an even offset of the whole.
uint64_t Sum(const uint8_t* p, size_t n, uint64_t acc = 0) {
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    acc += w;
    acc += acc < w;
  }
  if (n > 0) {
    uint64_t w = 0;
    std::memcpy(&w, p, n);
    acc += w;
    acc += acc < w;
  }
  return acc;
}

uint16_t Fold(uint64_t acc) {
  acc = (acc & 0xffffffff) + (acc >> 32);
  acc = (acc & 0xffffffff) + (acc >> 32);
  acc = (acc & 0xffff) + (acc >> 16);
  acc = (acc & 0xffff) + (acc >> 16);
  const auto v = uint16_t(acc);
  if constexpr (std::endian::native == std::endian::little) return uint16_t(v << 8 | v >> 8);
  return v;
}

// The pseudo-header of RFC 9293 §3.1 (IPv4) or RFC 8200 §8.1 (IPv6) of `ip`, for an L4
// header + payload of `l4_len` bytes.
uint64_t PseudoHeaderSum(const uint8_t* ip, bool ipv6, uint8_t proto, uint32_t l4_len) {
  if (!ipv6) {
    const uint8_t tail[4] = {0, proto, uint8_t(l4_len >> 8), uint8_t(l4_len)};
    return Sum(tail, 4, Sum(ip + 12, 8));
  }
  uint8_t tail[8] = {0, 0, 0, 0, 0, 0, 0, proto};
  StoreBE32(tail, l4_len);
  return Sum(tail, 8, Sum(ip + 8, 32));
}

void SetIpv4HeaderChecksum(uint8_t* ip, size_t ip_hdr_len) {
  StoreBE16(ip + 10, 0);
  StoreBE16(ip + 10, uint16_t(~Fold(Sum(ip, ip_hdr_len))));
}

bool Ipv4HeaderChecksumValid(const uint8_t* ip, size_t ip_hdr_len) {
  return Fold(Sum(ip, ip_hdr_len)) == 0xffff;
}

// --- Transmit side ---

// Where the headers of a GSO super-packet end, read from the packet itself.
struct Layout {
  bool ipv6 = false;
  uint8_t proto = 0;
  size_t ip_hdr_len = 0;
  size_t hdr_len = 0;  // IP + L4 headers
};

Status Error(const std::string& what) { return Status::Error("tun offload: " + what); }

Result<Layout> ParseIpHeader(const VirtioNetHdr& hdr, ByteSpan p) {
  Layout l;
  if (p.empty()) return Error("empty super-packet");
  const int version = p[0] >> 4;
  const uint8_t gso = hdr.gso_type & ~kVirtioNetHdrGsoEcn;
  if (version == 4) {
    if (p.size() < kIpv4MinHdr) return Error("IPv4 header truncated");
    l.ip_hdr_len = size_t(p[0] & 0x0f) * 4;
    if (l.ip_hdr_len < kIpv4MinHdr || l.ip_hdr_len > p.size()) return Error("bad IPv4 IHL");
    if (LoadBE16(&p[2]) != p.size()) return Error("IPv4 total length != packet length");
    if (LoadBE16(&p[6]) & kIpv4FragMask) return Error("GSO on an IPv4 fragment");
    l.proto = p[9];
    if (gso == kVirtioNetHdrGsoTcpV6) return Error("GSO TCPV6 on an IPv4 packet");
  } else if (version == 6) {
    if (p.size() < kIpv6Hdr) return Error("IPv6 header truncated");
    l.ipv6 = true;
    l.ip_hdr_len = kIpv6Hdr;
    if (LoadBE16(&p[4]) + kIpv6Hdr != p.size()) return Error("IPv6 payload length mismatch");
    l.proto = p[6];
    if (gso == kVirtioNetHdrGsoTcpV4) return Error("GSO TCPV4 on an IPv6 packet");
  } else {
    return Error("GSO packet is neither IPv4 nor IPv6");
  }
  return l;
}

Result<Layout> ParseSuperPacket(const VirtioNetHdr& hdr, ByteSpan p) {
  auto l = ParseIpHeader(hdr, p);
  if (!l) return l;
  const bool tcp = (hdr.gso_type & ~kVirtioNetHdrGsoEcn) != kVirtioNetHdrGsoUdpL4;
  if (l->ipv6 && l->proto != kProtoTcp && l->proto != kProtoUdp)
    return Error("IPv6 extension headers are not supported with GSO");
  if (l->proto != (tcp ? kProtoTcp : kProtoUdp))
    return Error("GSO type does not match the L4 protocol");
  size_t l4_hdr_len = kUdpHdr;
  if (tcp) {
    if (p.size() < l->ip_hdr_len + kTcpMinHdr) return Error("TCP header truncated");
    l4_hdr_len = size_t(p[l->ip_hdr_len + 12] >> 4) * 4;
    if (l4_hdr_len < kTcpMinHdr) return Error("bad TCP data offset");
  }
  l->hdr_len = l->ip_hdr_len + l4_hdr_len;
  if (l->hdr_len > p.size()) return Error("L4 header truncated");
  if (hdr.flags & kVirtioNetHdrFNeedsCsum) {
    const size_t csum_offset = tcp ? kTcpCsumOffset : kUdpCsumOffset;
    if (hdr.csum_start != l->ip_hdr_len || hdr.csum_offset != csum_offset)
      return Error("csum_start/csum_offset do not point at the L4 checksum");
  }
  return l;
}

// Writes segment `i` of `n`: the headers of `p`, then `len` payload bytes from `offset`.
void WriteSegment(const Layout& l, const VirtioNetHdr& hdr, ByteSpan p, size_t i, size_t n,
                  size_t offset, size_t len, uint8_t* dst) {
  std::memcpy(dst, p.data(), l.hdr_len);
  std::memcpy(dst + l.hdr_len, p.data() + l.hdr_len + offset, len);
  const size_t l4_len = l.hdr_len - l.ip_hdr_len + len;
  if (l.ipv6) {
    StoreBE16(dst + 4, uint16_t(l4_len));
  } else {
    StoreBE16(dst + 2, uint16_t(l.hdr_len + len));
    StoreBE16(dst + 4, uint16_t(LoadBE16(p.data() + 4) + i));
    SetIpv4HeaderChecksum(dst, l.ip_hdr_len);
  }
  uint8_t* l4 = dst + l.ip_hdr_len;
  size_t csum_at = kUdpCsumOffset;
  if (l.proto == kProtoTcp) {
    csum_at = kTcpCsumOffset;
    StoreBE32(l4 + 4, LoadBE32(l4 + 4) + uint32_t(i * hdr.gso_size));
    if (i + 1 < n) l4[13] &= uint8_t(~(kTcpFin | kTcpPsh));
    if (i > 0) l4[13] &= uint8_t(~kTcpCwr);
  } else {
    StoreBE16(l4 + 4, uint16_t(l4_len));
  }
  StoreBE16(l4 + csum_at, 0);
  uint16_t csum = ~Fold(Sum(l4, l4_len, PseudoHeaderSum(dst, l.ipv6, l.proto, l4_len)));
  if (l.proto == kProtoUdp && csum == 0) csum = 0xffff;  // RFC 768: 0 means "none"
  StoreBE16(l4 + csum_at, csum);
}

Status SplitGso(const VirtioNetHdr& hdr, ByteSpan p, size_t mtu, PacketList& out) {
  auto l = ParseSuperPacket(hdr, p);
  if (!l) return l.status();
  if (hdr.gso_size == 0) return Error("gso_size is 0");
  if (l->hdr_len + hdr.gso_size > mtu)
    return Error("segment of " + std::to_string(l->hdr_len + hdr.gso_size) +
                 " bytes exceeds the MTU of " + std::to_string(mtu));
  const size_t payload = p.size() - l->hdr_len;
  const size_t n = std::max<size_t>(1, (payload + hdr.gso_size - 1) / hdr.gso_size);
  if (n > kMaxSplitSegments) return Error("more than kMaxSplitSegments segments");
  for (size_t i = 0; i < n; ++i) {
    const size_t offset = i * hdr.gso_size;
    const size_t len = std::min<size_t>(hdr.gso_size, payload - offset);
    WriteSegment(*l, hdr, p, i, n, offset, len, out.Append(l->hdr_len + len).data());
  }
  return Status::Ok();
}

Status CompleteChecksum(const VirtioNetHdr& hdr, ByteSpan p, PacketList& out) {
  const size_t start = hdr.csum_start;
  const size_t at = start + hdr.csum_offset;
  if ((hdr.flags & kVirtioNetHdrFNeedsCsum) && at + 2 > p.size())
    return Error("csum_start + csum_offset beyond the packet");
  uint8_t* dst = out.Append(p.size()).data();
  if (!p.empty()) std::memcpy(dst, p.data(), p.size());
  if (hdr.flags & kVirtioNetHdrFNeedsCsum) {
    // The field holds the pseudo-header sum (Linux CHECKSUM_PARTIAL); fold the rest in.
    const uint16_t csum = ~Fold(Sum(dst + start, p.size() - start));
    StoreBE16(dst + at, csum == 0 ? 0xffff : csum);
  }
  return Status::Ok();
}

}  // namespace

VirtioNetHdr LoadVirtioNetHdr(const uint8_t* p) {
  VirtioNetHdr h;
  h.flags = p[0];
  h.gso_type = p[1];
  std::memcpy(&h.hdr_len, p + 2, 2);
  std::memcpy(&h.gso_size, p + 4, 2);
  std::memcpy(&h.csum_start, p + 6, 2);
  std::memcpy(&h.csum_offset, p + 8, 2);
  return h;
}

void StoreVirtioNetHdr(const VirtioNetHdr& h, uint8_t* p) {
  p[0] = h.flags;
  p[1] = h.gso_type;
  std::memcpy(p + 2, &h.hdr_len, 2);
  std::memcpy(p + 4, &h.gso_size, 2);
  std::memcpy(p + 6, &h.csum_start, 2);
  std::memcpy(p + 8, &h.csum_offset, 2);
}

MutableByteSpan PacketList::Append(size_t n) {
  if (buf_.size() - used_ < n) buf_.resize(std::max(buf_.size() * 2, used_ + n));
  items_.emplace_back(used_, n);
  used_ += n;
  return {buf_.data() + items_.back().first, n};
}

void PacketList::Truncate(size_t count) {
  if (count >= items_.size()) return;
  used_ = items_[count].first;
  items_.resize(count);
}

Status SplitSuperPacket(const VirtioNetHdr& hdr, ByteSpan packet, size_t mtu, PacketList& out) {
  const size_t before = out.size();
  Status s;
  switch (hdr.gso_type & ~kVirtioNetHdrGsoEcn) {
    case kVirtioNetHdrGsoNone:
      if (hdr.gso_type != kVirtioNetHdrGsoNone) return Error("ECN bit without a GSO type");
      s = CompleteChecksum(hdr, packet, out);
      break;
    case kVirtioNetHdrGsoTcpV4:
    case kVirtioNetHdrGsoTcpV6:
      s = SplitGso(hdr, packet, mtu, out);
      break;
    case kVirtioNetHdrGsoUdpL4:
      if (hdr.gso_type & kVirtioNetHdrGsoEcn) return Error("ECN bit on a UDP GSO packet");
      s = SplitGso(hdr, packet, mtu, out);
      break;
    default:
      return Error("unsupported gso_type " + std::to_string(hdr.gso_type));
  }
  if (!s.ok()) out.Truncate(before);
  return s;
}

// --- Receive side: TCP GRO ---

namespace {

// A TCP segment whose IP and TCP headers are complete and whose IP length field
// equals the packet length.
struct TcpView {
  bool ipv6 = false;
  uint16_t ip_hdr_len = 0;
  uint16_t hdr_len = 0;  // IP + TCP
  uint32_t seq = 0;
  uint8_t flags = 0;
  uint32_t payload = 0;
};

std::optional<TcpView> ParseTcp(ByteSpan p) {
  if (p.size() < kIpv4MinHdr || p.size() > kMaxSuperPacketSize) return std::nullopt;
  TcpView v;
  if (p[0] >> 4 == 4) {
    v.ip_hdr_len = uint16_t((p[0] & 0x0f) * 4);
    if (v.ip_hdr_len < kIpv4MinHdr || LoadBE16(&p[2]) != p.size()) return std::nullopt;
    if (p[9] != kProtoTcp || (LoadBE16(&p[6]) & kIpv4FragMask)) return std::nullopt;
  } else if (p[0] >> 4 == 6) {
    v.ipv6 = true;
    v.ip_hdr_len = kIpv6Hdr;
    if (p.size() < kIpv6Hdr || LoadBE16(&p[4]) + kIpv6Hdr != p.size()) return std::nullopt;
    if (p[6] != kProtoTcp) return std::nullopt;
  } else {
    return std::nullopt;
  }
  if (size_t(v.ip_hdr_len) + kTcpMinHdr > p.size()) return std::nullopt;
  const uint8_t* tcp = &p[v.ip_hdr_len];
  v.hdr_len = uint16_t(v.ip_hdr_len + (tcp[12] >> 4) * 4);
  if (v.hdr_len < v.ip_hdr_len + kTcpMinHdr || v.hdr_len > p.size()) return std::nullopt;
  v.seq = LoadBE32(tcp + 4);
  v.flags = tcp[13];
  v.payload = uint32_t(p.size() - v.hdr_len);
  return v;
}

// The flow key: IP version, source and destination address, source and destination port.
std::array<uint8_t, 37> FlowKey(ByteSpan p, const TcpView& v) {
  std::array<uint8_t, 37> k{};
  k[0] = v.ipv6 ? 6 : 4;
  if (v.ipv6) {
    std::memcpy(&k[1], &p[8], 32);
  } else {
    std::memcpy(&k[1], &p[12], 8);
  }
  std::memcpy(&k[33], &p[v.ip_hdr_len], 4);
  return k;
}

// May this segment be part of a super-packet at all?
bool Coalescable(ByteSpan p, const TcpView& v, const GroOptions& options) {
  if (v.payload == 0) return false;
  if (v.flags & (kTcpSyn | kTcpFin | kTcpRst | kTcpUrg | kTcpCwr)) return false;
  if (!v.ipv6 && (v.ip_hdr_len != kIpv4MinHdr || !Ipv4HeaderChecksumValid(p.data(), 20)))
    return false;
  if (options.verify_checksums) {
    const uint32_t l4_len = uint32_t(p.size() - v.ip_hdr_len);
    const uint64_t pseudo = PseudoHeaderSum(p.data(), v.ipv6, kProtoTcp, l4_len);
    if (Fold(Sum(&p[v.ip_hdr_len], l4_len, pseudo)) != 0xffff) return false;
  }
  return true;
}

// Do the headers of `p` match those of `first` wherever a super-packet needs them equal?
// Addresses and ports are already known equal (same flow key).
bool SameHeaders(ByteSpan first, ByteSpan p, const TcpView& v) {
  if (v.ipv6) {
    if (std::memcmp(&first[0], &p[0], 4) != 0 || first[7] != p[7]) return false;
  } else {
    if (first[1] != p[1] || first[8] != p[8]) return false;    // TOS, TTL
    if (LoadBE16(&first[6]) != LoadBE16(&p[6])) return false;  // DF
  }
  const uint8_t* a = &first[v.ip_hdr_len];
  const uint8_t* b = &p[v.ip_hdr_len];
  const size_t tcp_hdr_len = v.hdr_len - v.ip_hdr_len;
  return std::memcmp(a + 8, b + 8, 5) == 0 &&  // ACK number, data offset
         (a[13] & ~kTcpPsh) == (b[13] & ~kTcpPsh) &&
         std::memcmp(a + 14, b + 14, 2) == 0 &&               // window
         std::memcmp(a + 18, b + 18, tcp_hdr_len - 18) == 0;  // urgent pointer, options
}

}  // namespace

void TunCoalescer::Coalesce(std::span<const ByteSpan> packets, PacketList& out) {
  next_.assign(packets.size(), 0);
  groups_.clear();
  flows_.clear();
  for (uint32_t i = 0; i < packets.size(); ++i) Assign(packets, i);
  for (const Group& g : groups_) Emit(packets, g, out);
}

void TunCoalescer::Assign(std::span<const ByteSpan> packets, uint32_t i) {
  const ByteSpan p = packets[i];
  Group fresh;
  fresh.first = fresh.last = i;
  const auto v = ParseTcp(p);
  if (!v) {
    groups_.push_back(fresh);
    return;
  }
  const auto key = FlowKey(p, *v);
  auto flow =
      std::find_if(flows_.begin(), flows_.end(), [&](const Flow& f) { return f.key == key; });
  const bool coalescable = Coalescable(p, *v, options_);
  if (flow != flows_.end() && coalescable) {
    Group& g = groups_[flow->group];
    if (g.open && g.ipv6 == v->ipv6 && g.hdr_len == v->hdr_len && g.next_seq == v->seq &&
        v->payload <= g.gso_size && g.count < kMaxGroSegments &&
        g.hdr_len + g.payload_bytes + v->payload <= kMaxSuperPacketSize &&
        SameHeaders(packets[g.first], p, *v)) {
      next_[g.last] = i;
      g.last = i;
      ++g.count;
      g.payload_bytes += v->payload;
      g.next_seq += v->payload;
      g.open = v->payload == g.gso_size && !(v->flags & kTcpPsh);
      return;
    }
  }
  if (flow != flows_.end()) groups_[flow->group].open = false;
  if (coalescable && (flow != flows_.end() || flows_.size() < kMaxGroFlows)) {
    fresh.payload_bytes = v->payload;
    fresh.next_seq = v->seq + v->payload;
    fresh.gso_size = uint16_t(v->payload);
    fresh.ip_hdr_len = v->ip_hdr_len;
    fresh.hdr_len = v->hdr_len;
    fresh.ipv6 = v->ipv6;
    fresh.open = !(v->flags & kTcpPsh);
    if (flow == flows_.end()) flow = flows_.insert(flows_.end(), Flow{key, 0});
    flow->group = uint32_t(groups_.size());
  }
  groups_.push_back(fresh);
}

void TunCoalescer::Emit(std::span<const ByteSpan> packets, const Group& g, PacketList& out) const {
  if (g.count == 1) {
    const ByteSpan p = packets[g.first];
    uint8_t* dst = out.Append(kVirtioNetHdrSize + p.size()).data();
    StoreVirtioNetHdr(VirtioNetHdr{}, dst);
    if (!p.empty()) std::memcpy(dst + kVirtioNetHdrSize, p.data(), p.size());
    return;
  }
  const size_t total = g.hdr_len + g.payload_bytes;
  uint8_t* dst = out.Append(kVirtioNetHdrSize + total).data();
  StoreVirtioNetHdr({.flags = kVirtioNetHdrFNeedsCsum,
                     .gso_type = g.ipv6 ? kVirtioNetHdrGsoTcpV6 : kVirtioNetHdrGsoTcpV4,
                     .hdr_len = g.hdr_len,
                     .gso_size = g.gso_size,
                     .csum_start = g.ip_hdr_len,
                     .csum_offset = kTcpCsumOffset},
                    dst);
  uint8_t* ip = dst + kVirtioNetHdrSize;
  std::memcpy(ip, packets[g.first].data(), g.hdr_len);
  uint8_t* at = ip + g.hdr_len;
  for (uint32_t i = g.first, n = 0; n < g.count; i = next_[i], ++n) {
    const ByteSpan p = packets[i];
    std::memcpy(at, p.data() + g.hdr_len, p.size() - g.hdr_len);
    at += p.size() - g.hdr_len;
  }
  if (g.ipv6) {
    StoreBE16(ip + 4, uint16_t(total - kIpv6Hdr));
  } else {
    StoreBE16(ip + 2, uint16_t(total));
    SetIpv4HeaderChecksum(ip, g.ip_hdr_len);
  }
  uint8_t* tcp = ip + g.ip_hdr_len;
  tcp[13] |= packets[g.last][g.ip_hdr_len + 13] & kTcpPsh;
  const uint32_t l4_len = uint32_t(total - g.ip_hdr_len);
  StoreBE16(tcp + kTcpCsumOffset, Fold(PseudoHeaderSum(ip, g.ipv6, kProtoTcp, l4_len)));
}

}  // namespace dlog::net
