// Linux TUN offloads, sans-I/O: split the TSO/USO "super-packets" a TUN opened with
// IFF_VNET_HDR hands us into MTU-sized IP packets (for encryption), and coalesce (GRO)
// decrypted TCP segments back into super-packets (for one write()).
//
// Every read() and write() on such a TUN starts with the legacy virtio-net header
// (virtio 1.x spec §5.1.6 "struct virtio_net_hdr" without num_buffers; Linux
// include/uapi/linux/virtio_net.h), fields in host byte order as long as the TUN is
// not switched with TUNSETVNETLE/TUNSETVNETBE:
//
//   0       1          2         4          6            8             10
//   +-------+----------+---------+----------+------------+-------------+--------------+
//   | flags | gso_type | hdr_len | gso_size | csum_start | csum_offset | IP packet... |
//   +-------+----------+---------+----------+------------+-------------+--------------+
//
// A super-packet is one IPv4/IPv6 header + one TCP (or UDP) header + up to 64 KiB of
// payload; the kernel (or we) cut it into segments of gso_size payload bytes each.
// Offsets are from the start of the IP packet (a TUN has no link-layer header).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace dlog::net {

// ---------------------------------------------------------------------------------
// Wire constants (Linux uapi virtio_net.h and if_tun.h; USO values from Linux 6.2).

inline constexpr size_t kVirtioNetHdrSize = 10;

inline constexpr uint8_t kVirtioNetHdrFNeedsCsum = 1;  // csum_start/csum_offset valid
inline constexpr uint8_t kVirtioNetHdrFDataValid = 2;  // checksum already verified

inline constexpr uint8_t kVirtioNetHdrGsoNone = 0;
inline constexpr uint8_t kVirtioNetHdrGsoTcpV4 = 1;
inline constexpr uint8_t kVirtioNetHdrGsoUdp = 3;  // UFO (IP fragmentation): unsupported
inline constexpr uint8_t kVirtioNetHdrGsoTcpV6 = 4;
inline constexpr uint8_t kVirtioNetHdrGsoUdpL4 = 5;  // USO (UDP_SEGMENT)
inline constexpr uint8_t kVirtioNetHdrGsoEcn = 0x80;

// TUNSETOFFLOAD argument bits.
inline constexpr unsigned kTunFCsum = 0x01;
inline constexpr unsigned kTunFTso4 = 0x02;
inline constexpr unsigned kTunFTso6 = 0x04;
inline constexpr unsigned kTunFTsoEcn = 0x08;
inline constexpr unsigned kTunFUso4 = 0x20;
inline constexpr unsigned kTunFUso6 = 0x40;

// The largest super-packet (IP packet) either direction handles.
inline constexpr size_t kMaxSuperPacketSize = 65535;
// SplitSuperPacket refuses to cut into more segments than this. Linux never sends
// more: its TCP_MIN_MSS of 88 bytes gives at most 745 segments per 64 KiB.
inline constexpr size_t kMaxSplitSegments = 1024;
// Coalescing bounds: flows tracked per Coalesce() call (packets of further flows pass
// through uncoalesced), and segments per super-packet (as Linux GRO's 64).
inline constexpr size_t kMaxGroFlows = 16;
inline constexpr size_t kMaxGroSegments = 64;

struct VirtioNetHdr {
  uint8_t flags = 0;
  uint8_t gso_type = kVirtioNetHdrGsoNone;
  uint16_t hdr_len = 0;
  uint16_t gso_size = 0;
  uint16_t csum_start = 0;
  uint16_t csum_offset = 0;
  friend bool operator==(const VirtioNetHdr&, const VirtioNetHdr&) = default;
};

// Precondition: p points at kVirtioNetHdrSize readable (writable) bytes.
VirtioNetHdr LoadVirtioNetHdr(const uint8_t* p);
void StoreVirtioNetHdr(const VirtioNetHdr& hdr, uint8_t* p);

// ---------------------------------------------------------------------------------
// PacketList: a caller-owned, reusable list of byte strings kept back to back in one
// buffer. Clear() keeps the capacity, so a warmed-up batch does not allocate. Spans
// are valid until the next non-const call. Not thread-safe.
class PacketList {
 public:
  void Clear() {
    used_ = 0;
    items_.clear();
  }
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  ByteSpan operator[](size_t i) const { return {buf_.data() + items_[i].first, items_[i].second}; }

  // For producers: appends an item of `n` bytes (contents unspecified) and returns it
  // for filling; valid until the next Append/Truncate/Clear. Truncate(k) drops every
  // item from the k-th on.
  MutableByteSpan Append(size_t n);
  void Truncate(size_t count);

 private:
  Bytes buf_;                                     // buf_.size() is the capacity
  size_t used_ = 0;                               // bytes in use at the front
  std::vector<std::pair<size_t, size_t>> items_;  // (offset, length)
};

// ---------------------------------------------------------------------------------
// Transmit side (TUN read → WireGuard).
//
// Splits `packet` (one TUN read with its virtio-net header parsed into `hdr` and
// removed) into IP packets, appended to `out` in order. On error nothing is appended.
//
//   gso_type NONE        one packet, a copy of the input; with NEEDS_CSUM the 16-bit
//                        ones-complement sum from csum_start to the end is completed
//                        into csum_start + csum_offset (0 sent as 0xffff). Not parsed
//                        further, not limited by `mtu`.
//   TCPV4 / TCPV6 [|ECN] IPv4 (options allowed, no fragment) or IPv6 (no extension
//                        headers) carrying TCP. Segment i (of n) carries payload bytes
//                        [i*gso_size, (i+1)*gso_size) behind a copy of the headers with:
//                        IPv4 total length, id + i, header checksum; IPv6 payload
//                        length; TCP seq + i*gso_size; FIN and PSH kept only on the
//                        last segment, CWR only on the first; a full TCP checksum
//                        over the pseudo-header (RFC 9293 §3.1, RFC 8200 §8.1).
//   UDP_L4               the same for UDP: UDP length and a full checksum per segment.
//
// For GSO packets the header length is read from the packet itself: Linux puts
// skb_headlen() into hdr_len, which is not the header length, so hdr_len is ignored.
// With NEEDS_CSUM, csum_start must be the L4 header offset and csum_offset the L4
// checksum field (16 for TCP, 6 for UDP). Errors: unsupported gso_type, gso_type not
// matching the IP version or L4 protocol, truncated or inconsistent headers (IPv4
// total length / IPv6 payload length must equal the packet length), gso_size 0,
// headers + gso_size > mtu, or more than kMaxSplitSegments segments.
Status SplitSuperPacket(const VirtioNetHdr& hdr, ByteSpan packet, size_t mtu, PacketList& out);

// ---------------------------------------------------------------------------------
// Receive side (WireGuard → TUN write).

struct GroOptions {
  // false (default): the TCP checksum of a decrypted packet is trusted, as kernel
  // WireGuard marks decrypted packets CHECKSUM_UNNECESSARY (the AEAD authenticated
  // them end to end). true: a TCP segment whose checksum does not verify is passed
  // through alone, uncoalesced, so the kernel checks it and drops it.
  bool verify_checksums = false;
};

// TunCoalescer turns a batch of decrypted IP packets into TUN writes, each a virtio-net
// header followed by an IP packet, ready for one write() apiece:
//
//   plain     header all zero (flags 0, gso_type NONE), the packet unchanged.
//   coalesced flags NEEDS_CSUM, gso_type TCPV4/TCPV6, hdr_len = IP + TCP header
//             length, gso_size = payload of the first segment, csum_start = IP header
//             length, csum_offset = 16. The IP/TCP headers are the first segment's
//             with: IPv4 total length and header checksum (or IPv6 payload length) for
//             the whole; PSH if the last segment had it; the TCP checksum field holding
//             the folded, uncomplemented pseudo-header sum over the whole TCP length
//             (what Linux's CHECKSUM_PARTIAL expects; the kernel never completes it
//             for local delivery, and completes it per segment when it forwards).
//
// A TCP segment joins the open super-packet of its flow (same addresses and ports)
// when it continues it exactly:
//   - IPv4 with no options, DF as the first, no fragment, same TOS and TTL, a valid
//     header checksum; or IPv6 with TCP as next header, same traffic class, flow label
//     and hop limit;
//   - seq = the previous segment's seq + its payload length; same ACK number, window,
//     urgent pointer, data offset and option bytes; flags equal to the first's apart
//     from PSH; no SYN, FIN, RST, URG or CWR; a payload of 1..gso_size bytes;
//   - the super-packet is still open: its last segment was gso_size long and had no
//     PSH, it has fewer than kMaxGroSegments segments, and the sum stays within
//     kMaxSuperPacketSize bytes of IP packet.
// Otherwise the segment starts a new super-packet (if it qualifies) or is passed
// through plain. Any other packet of a tracked flow (a pure ACK, FIN, ...) closes
// the flow's open super-packet, so the order of packets within a flow is kept. Flows
// interleave freely; at most kMaxGroFlows flows are tracked per call. Every input
// packet ends up in exactly one write; writes are ordered by their first packet.
//
// Not thread-safe; one coalescer per writer thread (it keeps reusable scratch space).
class TunCoalescer {
 public:
  explicit TunCoalescer(GroOptions options = {}) : options_(options) {}

  // Appends to `out` (not cleared) one write per resulting packet.
  void Coalesce(std::span<const ByteSpan> packets, PacketList& out);

 private:
  // A future write: packets first, next_[first], ... (count of them), in order.
  struct Group {
    uint32_t first = 0;
    uint32_t last = 0;
    uint32_t count = 1;
    uint32_t payload_bytes = 0;  // TCP payload of all its segments
    uint32_t next_seq = 0;       // seq the next segment must carry
    uint16_t gso_size = 0;       // payload of the first segment
    uint16_t ip_hdr_len = 0;
    uint16_t hdr_len = 0;  // IP + TCP headers
    bool ipv6 = false;
    bool open = false;  // another segment may join
  };
  // A tracked flow: IP version, source and destination address, ports.
  struct Flow {
    std::array<uint8_t, 37> key{};
    uint32_t group = 0;  // its newest group
  };

  void Assign(std::span<const ByteSpan> packets, uint32_t i);
  void Emit(std::span<const ByteSpan> packets, const Group& group, PacketList& out) const;

  GroOptions options_;
  std::vector<uint32_t> next_;  // per input packet: the next packet of its group
  std::vector<Group> groups_;
  std::vector<Flow> flows_;  // at most kMaxGroFlows
};

}  // namespace dlog::net
