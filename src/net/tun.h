// Tun: a Linux TUN interface (/dev/net/tun, IFF_TUN | IFF_NO_PI): one IP packet per
// read or write, no packet-information header. With TunOptions::queues > 1 it is
// opened IFF_MULTI_QUEUE, one file descriptor per queue, so that each worker thread
// reads its own queue (the kernel spreads flows over queues).
//
// Readers block in poll() on their queue and on a shared wake-up eventfd, so Shutdown()
// from any thread returns every blocked ReadBatch. A deleted interface (`ip link del`)
// makes ReadBatch return kDeleted, which the daemon takes as its cue to exit (as
// wireguard-go does).
//
// Offload later: IFF_VNET_HDR + TUNSETOFFLOAD(TUN_F_CSUM|TUN_F_TSO4|TUN_F_TSO6|TUN_F_USO*)
// would let one read return a 64 KiB TCP/UDP super-packet with a virtio_net_hdr. The
// batch interface below (ReadBatch over PacketBatch) is the seam: a vnet-hdr
// implementation splits super-packets into MTU-sized packets on read and may coalesce
// on write (a WriteBatch), without changing its callers.
//
// Thread-safety: one reader per queue; Write/WriteBatch from any thread; Mtu/SetMtu any.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace dlog::net {

inline constexpr size_t kTunDefaultMtu = 1420;  // wireguard-go's DefaultMTU
inline constexpr size_t kTunMaxPacket = 65535;
inline constexpr size_t kTunBatch = 64;  // packets per ReadBatch

struct TunOptions {
  size_t queues = 1;            // > 1: IFF_MULTI_QUEUE
  size_t mtu = kTunDefaultMtu;  // set at creation; 0: leave the kernel's default
};

// Reusable packet buffers for one reader: kTunBatch slots of kTunMaxPacket bytes.
class PacketBatch {
 public:
  // The buffer is left uninitialised: pages are touched only as packets fill them.
  PacketBatch() : data_(new uint8_t[kTunBatch * kTunMaxPacket]), sizes_(kTunBatch) {}
  size_t size() const { return count_; }
  ByteSpan packet(size_t i) const { return {data_.get() + i * kTunMaxPacket, sizes_[i]}; }

 private:
  friend class Tun;
  MutableByteSpan slot(size_t i) { return {data_.get() + i * kTunMaxPacket, kTunMaxPacket}; }
  std::unique_ptr<uint8_t[]> data_;
  std::vector<size_t> sizes_;
  size_t count_ = 0;
};

class Tun {
 public:
  enum class ReadResult { kOk, kShutdown, kDeleted };

  // Creates (or attaches to) interface `name` ("" lets the kernel pick tunN).
  static Result<std::unique_ptr<Tun>> Create(const std::string& name, const TunOptions& options);
  // Adopts an open TUN file descriptor (WG_TUN_FD); one queue.
  static Result<std::unique_ptr<Tun>> FromFd(int fd);
  ~Tun();
  Tun(const Tun&) = delete;
  Tun& operator=(const Tun&) = delete;

  const std::string& name() const { return name_; }
  size_t queue_count() const { return fds_.size(); }
  int fd(size_t queue = 0) const { return fds_[queue]; }
  // Releases queue 0's descriptor to the caller (for handing to a re-exec'd child).
  int ReleaseFd();

  Result<size_t> Mtu() const;
  // IFF_UP and IFF_RUNNING (carrier: a queue is attached), as wireguard-go's link
  // watcher reads them. Looked up by name in the caller's network namespace.
  Result<bool> IsUp() const;
  Status SetMtu(size_t mtu);

  // Blocks until at least one packet can be read from `queue`, then reads up to
  // kTunBatch without blocking. Errors other than deletion are returned as Status.
  Result<ReadResult> ReadBatch(size_t queue, PacketBatch& batch);
  // Writes one IP packet. The kernel drops, never blocks; errors are returned.
  Status Write(size_t queue, ByteSpan packet);
  void Shutdown();

 private:
  Tun(std::string name, std::vector<int> fds, int wake_fd);
  std::string name_;
  std::vector<int> fds_;
  int wake_fd_;
};

}  // namespace dlog::net
