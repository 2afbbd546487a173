// libFuzzer target for net/offload.h: SplitSuperPacket and TunCoalescer on arbitrary
// bytes must not crash or read out of bounds, and must keep their invariants:
//   - every GSO segment fits the MTU;
//   - split → coalesce → split again gives back the same segments;
//   - coalescing any packets yields writes that split back into as many packets.
//
// Input: [control][mtu lo][mtu hi][virtio_net_hdr: 10][packet...]. Control bit 0 makes
// the IP length field and csum_start/csum_offset consistent with the packet, so the
// fuzzer reaches the segmenting code; bit 1 turns on checksum verification in GRO.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "net/offload.h"

namespace {

using dlog::Bytes;
using dlog::ByteSpan;
using namespace dlog::net;

void Check(bool ok) {
  if (!ok) std::abort();
}

// Makes the length and checksum-offset fields agree with the packet, where it can.
void Repair(VirtioNetHdr& hdr, Bytes& p) {
  if (p.empty() || p.size() > 65535) return;
  const bool v6 = (p[0] >> 4) == 6;
  size_t ip_hdr_len = v6 ? 40 : size_t(p[0] & 0x0f) * 4;
  if (!v6 && p.size() >= 4) p[2] = uint8_t(p.size() >> 8), p[3] = uint8_t(p.size());
  if (v6 && p.size() >= 40) {
    p[4] = uint8_t((p.size() - 40) >> 8);
    p[5] = uint8_t(p.size() - 40);
  }
  hdr.csum_start = uint16_t(ip_hdr_len);
  hdr.csum_offset = (hdr.gso_type & 0x7f) == kVirtioNetHdrGsoUdpL4 ? 6 : 16;
}

size_t SplitAll(const PacketList& writes, std::vector<Bytes>* segments) {
  size_t n = 0;
  for (size_t i = 0; i < writes.size(); ++i) {
    Check(writes[i].size() >= kVirtioNetHdrSize);
    const VirtioNetHdr hdr = LoadVirtioNetHdr(writes[i].data());
    PacketList out;
    Check(SplitSuperPacket(hdr, writes[i].subspan(kVirtioNetHdrSize), 65535, out).ok());
    for (size_t k = 0; segments && k < out.size(); ++k)
      segments->emplace_back(out[k].begin(), out[k].end());
    n += out.size();
  }
  return n;
}

// Split, then check the round trip through the coalescer.
void SplitAndRoundTrip(uint8_t control, VirtioNetHdr hdr, Bytes packet, size_t mtu) {
  if (control & 1) Repair(hdr, packet);
  PacketList segments;
  if (!SplitSuperPacket(hdr, packet, mtu, segments).ok()) {
    Check(segments.empty());
    return;
  }
  std::vector<ByteSpan> spans;
  for (size_t i = 0; i < segments.size(); ++i) {
    if (hdr.gso_type != kVirtioNetHdrGsoNone) Check(segments[i].size() <= mtu);
    spans.push_back(segments[i]);
  }
  if ((hdr.gso_type & 0x7f) != kVirtioNetHdrGsoTcpV4 &&
      (hdr.gso_type & 0x7f) != kVirtioNetHdrGsoTcpV6)
    return;
  PacketList writes;
  TunCoalescer().Coalesce(spans, writes);
  std::vector<Bytes> again;
  SplitAll(writes, &again);
  Check(again.size() == segments.size());
  for (size_t i = 0; i < again.size(); ++i)
    Check(Bytes(segments[i].begin(), segments[i].end()) == again[i]);
}

// Cuts `data` into packets (a length byte, then that many bytes) and coalesces them.
void CoalesceChunks(uint8_t control, ByteSpan data) {
  std::vector<ByteSpan> packets;
  while (!data.empty() && packets.size() < 256) {
    const size_t n = std::min<size_t>(size_t(data[0]) * 8, data.size() - 1);
    packets.push_back(data.subspan(1, n));
    data = data.subspan(1 + n);
  }
  PacketList writes;
  TunCoalescer({.verify_checksums = (control & 2) != 0}).Coalesce(packets, writes);
  Check(writes.size() <= packets.size());
  Check(SplitAll(writes, nullptr) == packets.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3 + kVirtioNetHdrSize) return 0;
  const uint8_t control = data[0];
  const size_t mtu = 68 + (size_t(data[1]) | size_t(data[2]) << 8);
  const VirtioNetHdr hdr = LoadVirtioNetHdr(data + 3);
  const ByteSpan rest(data + 3 + kVirtioNetHdrSize, size - 3 - kVirtioNetHdrSize);
  SplitAndRoundTrip(control, hdr, Bytes(rest.begin(), rest.end()), mtu);
  CoalesceChunks(control, rest);
  return 0;
}
