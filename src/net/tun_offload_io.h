// TunOffloadIo: the data path of a Linux TUN opened with IFF_VNET_HDR, with the TCP/UDP
// segmentation offloads switched on (TUNSETOFFLOAD), as kernel WireGuard and newer
// wireguard-go do. One read() may then return a TCP (or UDP) super-packet of up to
// 64 KiB behind a virtio-net header; Read() cuts it into MTU-sized IP packets for the
// WireGuard device (offload.h SplitSuperPacket). Write() coalesces the decrypted TCP
// segments of a batch into super-packets (offload.h TunCoalescer), one write() each.
//
// Set-up, in this order (docs: /tmp/offload-integration.md):
//   1. OpenVnetTun(name): /dev/net/tun with IFF_TUN | IFF_NO_PI | IFF_VNET_HDR.
//   2. Tun::FromFd(fd): the Tun keeps the fd (name, MTU, deletion, re-exec hand-over).
//   3. TunOffloadIo::Attach(tun->fd()): checks IFF_VNET_HDR, sets the header size to
//      10 and probes TUNSETOFFLOAD: CSUM|TSO4|TSO6|USO4|USO6, then without USO (Linux
//      < 6.2 answers EINVAL), then CSUM alone, then none. Whatever it gets, every read
//      and write still carries the header, so this object must do all the fd's I/O.
//
// The fd is borrowed: the Tun owns and closes it, and must outlive this object.
// Thread-safety: Read from one thread; Write from any number of threads, each with its
// own TunWriteScratch; Shutdown and stats() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "net/offload.h"
#include "net/tun.h"

namespace dlog::net {

// Read() stops taking super-packets once this many reads or IP packets are in hand.
inline constexpr size_t kTunOffloadMaxReads = 16;
inline constexpr size_t kTunOffloadMaxPackets = 128;
// One read: the virtio-net header and the largest super-packet.
inline constexpr size_t kTunOffloadReadBuffer = kVirtioNetHdrSize + kMaxSuperPacketSize;

// Opens a TUN queue in virtio-net-header mode; returns the fd (O_NONBLOCK, O_CLOEXEC)
// and sets `actual_name` to the interface's name ("" lets the kernel pick tunN).
Result<int> OpenVnetTun(const std::string& name, std::string& actual_name);

// Whether `fd` is a TUN opened with IFF_VNET_HDR (TUNGETIFF); false on any error.
// Such an fd must do all its I/O through TunOffloadIo.
bool HasVnetHdr(int fd);

struct TunOffloadStats {
  std::atomic<uint64_t> reads{0};            // read() calls that returned a packet
  std::atomic<uint64_t> gso_reads{0};        // of which super-packets (gso_type != NONE)
  std::atomic<uint64_t> read_packets{0};     // IP packets after splitting
  std::atomic<uint64_t> read_malformed{0};   // reads dropped: SplitSuperPacket refused
  std::atomic<uint64_t> writes{0};           // write() calls that succeeded
  std::atomic<uint64_t> gso_writes{0};       // of which coalesced super-packets
  std::atomic<uint64_t> written_packets{0};  // IP packets written, counted before GRO
  std::atomic<uint64_t> write_errors{0};     // write() calls the kernel refused
};

// Per-writer reusable state: the coalescer and the buffer of writes it builds.
struct TunWriteScratch {
  TunCoalescer coalescer;
  PacketList writes;
  PacketList resplit;  // for the fallback when the kernel refuses a super-packet
};

class TunOffloadIo {
 public:
  // Takes over the data path of `fd`, which must have been opened with IFF_VNET_HDR.
  static Result<std::unique_ptr<TunOffloadIo>> Attach(int fd);
  ~TunOffloadIo();
  TunOffloadIo(const TunOffloadIo&) = delete;
  TunOffloadIo& operator=(const TunOffloadIo&) = delete;

  // The TUN_F_* flags the kernel accepted.
  unsigned offloads() const { return offloads_; }
  const TunOffloadStats& stats() const { return stats_; }

  // Blocks until the TUN is readable, then reads super-packets without blocking (up
  // to kTunOffloadMaxReads of them, or until kTunOffloadMaxPackets IP packets) and
  // splits them into `packets` (cleared first). `mtu` bounds a segment (offload.h);
  // the kernel already cuts at the interface MTU, so the TUN's maximum is a fine bound.
  // A read that does not split is counted and dropped. Same deletion semantics as
  // Tun::ReadBatch.
  Result<Tun::ReadResult> Read(size_t mtu, PacketList& packets);

  // Writes decrypted IP packets, coalescing TCP runs. Every packet is attempted; the
  // first error is returned. If the kernel refuses a super-packet with EINVAL, its
  // segments are written one by one and coalescing stays off from then on.
  Status Write(std::span<const ByteSpan> packets, TunWriteScratch& scratch);

  // Makes a blocked (and every later) Read return kShutdown.
  void Shutdown();

 private:
  TunOffloadIo(int fd, int wake_fd, unsigned offloads);
  enum class RawRead { kPacket, kEmpty, kDeleted, kError };
  RawRead ReadOne(size_t& n);
  int WriteOne(ByteSpan write);  // 0 or an errno
  Status WriteSegments(ByteSpan write, TunWriteScratch& scratch);

  int fd_;
  int wake_fd_;
  unsigned offloads_;
  std::atomic<bool> gro_{true};
  Bytes read_buffer_;  // Read's, one thread
  TunOffloadStats stats_;
};

}  // namespace dlog::net
