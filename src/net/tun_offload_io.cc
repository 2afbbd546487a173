// TUN I/O in virtio-net-header mode (tun_offload_io.h). Linux references:
// drivers/net/tun.c (TUNSETIFF, TUNSETOFFLOAD, tun_get_user/tun_put_user) and
// include/linux/virtio_net.h (virtio_net_hdr_to_skb / _from_skb).
#include "net/tun_offload_io.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>

#include "base/log.h"

namespace dlog::net {
namespace {

std::string Errno(const std::string& what) { return what + ": " + strerror(errno); }

// TUNSETOFFLOAD candidates, best first. USO needs Linux 6.2; older kernels refuse the
// unknown bits with EINVAL.
constexpr unsigned kOffloadCandidates[] = {
    kTunFCsum | kTunFTso4 | kTunFTso6 | kTunFUso4 | kTunFUso6,
    kTunFCsum | kTunFTso4 | kTunFTso6,
    kTunFCsum,
};

unsigned EnableOffloads(int fd) {
  for (unsigned flags : kOffloadCandidates) {
    if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)flags) == 0) return flags;
  }
  [[maybe_unused]] int r = ioctl(fd, TUNSETOFFLOAD, 0ul);
  return 0;
}

bool IsDeletedErrno(int e) { return e == EBADFD || e == EIO || e == ENXIO; }

}  // namespace

Result<int> OpenVnetTun(const std::string& name, std::string& actual_name) {
  if (name.size() >= IFNAMSIZ) return Status::Error("interface name too long: " + name);
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return Status::Error(Errno("open /dev/net/tun"));
  ifreq ifr{};
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
  strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
    Status s = Status::Error(Errno("TUNSETIFF (IFF_VNET_HDR) " + name));
    close(fd);
    return s;
  }
  actual_name = ifr.ifr_name;
  return fd;
}

bool HasVnetHdr(int fd) {
  ifreq ifr{};
  return ioctl(fd, TUNGETIFF, &ifr) == 0 && (ifr.ifr_flags & IFF_VNET_HDR);
}

Result<std::unique_ptr<TunOffloadIo>> TunOffloadIo::Attach(int fd) {
  ifreq ifr{};
  if (ioctl(fd, TUNGETIFF, &ifr) != 0) return Status::Error(Errno("TUNGETIFF"));
  if (!(ifr.ifr_flags & IFF_VNET_HDR)) return Status::Error("TUN fd lacks IFF_VNET_HDR");
  int hdr_size = int(kVirtioNetHdrSize);
  if (ioctl(fd, TUNSETVNETHDRSZ, &hdr_size) != 0) return Status::Error(Errno("TUNSETVNETHDRSZ"));
  const unsigned offloads = EnableOffloads(fd);
  int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) return Status::Error(Errno("eventfd"));
  return std::unique_ptr<TunOffloadIo>(new TunOffloadIo(fd, wake, offloads));
}

TunOffloadIo::TunOffloadIo(int fd, int wake_fd, unsigned offloads)
    : fd_(fd), wake_fd_(wake_fd), offloads_(offloads), read_buffer_(kTunOffloadReadBuffer) {}

TunOffloadIo::~TunOffloadIo() { close(wake_fd_); }

void TunOffloadIo::Shutdown() {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t r = write(wake_fd_, &one, sizeof one);
}

TunOffloadIo::RawRead TunOffloadIo::ReadOne(size_t& n) {
  while (true) {
    ssize_t r = read(fd_, read_buffer_.data(), read_buffer_.size());
    if (r > 0) {
      n = size_t(r);
      return RawRead::kPacket;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && errno == EAGAIN) return RawRead::kEmpty;
    if (r == 0 || IsDeletedErrno(errno)) return RawRead::kDeleted;
    return RawRead::kError;
  }
}

Result<Tun::ReadResult> TunOffloadIo::Read(size_t mtu, PacketList& packets) {
  packets.Clear();
  size_t reads = 0;
  while (true) {
    while (reads < kTunOffloadMaxReads && packets.size() < kTunOffloadMaxPackets) {
      size_t n = 0;
      const RawRead r = ReadOne(n);
      if (r == RawRead::kEmpty) break;
      if (r == RawRead::kDeleted) return Tun::ReadResult::kDeleted;
      if (r == RawRead::kError) return Status::Error(Errno("read TUN"));
      ++reads;
      stats_.reads.fetch_add(1, std::memory_order_relaxed);
      if (n < kVirtioNetHdrSize) {
        stats_.read_malformed.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      const VirtioNetHdr hdr = LoadVirtioNetHdr(read_buffer_.data());
      if (hdr.gso_type != kVirtioNetHdrGsoNone)
        stats_.gso_reads.fetch_add(1, std::memory_order_relaxed);
      const size_t before = packets.size();
      const ByteSpan packet(read_buffer_.data() + kVirtioNetHdrSize, n - kVirtioNetHdrSize);
      if (Status s = SplitSuperPacket(hdr, packet, mtu, packets); !s.ok()) {
        stats_.read_malformed.fetch_add(1, std::memory_order_relaxed);
        DLOG_DEBUG("tun: dropped a read: %s", s.message().c_str());
      }
      stats_.read_packets.fetch_add(packets.size() - before, std::memory_order_relaxed);
    }
    if (!packets.empty()) return Tun::ReadResult::kOk;
    if (reads >= kTunOffloadMaxReads) reads = 0;  // only malformed reads so far
    pollfd p[2] = {{fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    int r = poll(p, 2, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Status::Error(Errno("poll TUN"));
    if (p[1].revents) return Tun::ReadResult::kShutdown;
    if (p[0].revents & (POLLERR | POLLHUP | POLLNVAL)) return Tun::ReadResult::kDeleted;
  }
}

int TunOffloadIo::WriteOne(ByteSpan write_bytes) {
  while (true) {
    ssize_t n = write(fd_, write_bytes.data(), write_bytes.size());
    if (n == ssize_t(write_bytes.size())) {
      stats_.writes.fetch_add(1, std::memory_order_relaxed);
      return 0;
    }
    if (n < 0 && errno == EINTR) continue;
    stats_.write_errors.fetch_add(1, std::memory_order_relaxed);
    return n < 0 ? errno : EIO;
  }
}

// The kernel refused a super-packet: write its segments plainly, each behind a zero
// header.
Status TunOffloadIo::WriteSegments(ByteSpan write_bytes, TunWriteScratch& scratch) {
  scratch.resplit.Clear();
  const VirtioNetHdr hdr = LoadVirtioNetHdr(write_bytes.data());
  Status s = SplitSuperPacket(hdr, write_bytes.subspan(kVirtioNetHdrSize), kMaxSuperPacketSize,
                              scratch.resplit);
  if (!s.ok()) return s;
  uint8_t zero[kVirtioNetHdrSize] = {};
  for (size_t i = 0; i < scratch.resplit.size(); ++i) {
    const ByteSpan seg = scratch.resplit[i];
    iovec iov[2] = {{zero, sizeof zero}, {const_cast<uint8_t*>(seg.data()), seg.size()}};
    ssize_t n;
    do {
      n = writev(fd_, iov, 2);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      stats_.write_errors.fetch_add(1, std::memory_order_relaxed);
      if (s.ok()) s = Status::Error(Errno("write TUN"));
    } else {
      stats_.writes.fetch_add(1, std::memory_order_relaxed);
    }
  }
  return s;
}

Status TunOffloadIo::Write(std::span<const ByteSpan> packets, TunWriteScratch& scratch) {
  scratch.writes.Clear();
  if (gro_.load(std::memory_order_relaxed)) {
    scratch.coalescer.Coalesce(packets, scratch.writes);
  } else {
    for (ByteSpan p : packets) {
      uint8_t* w = scratch.writes.Append(kVirtioNetHdrSize + p.size()).data();
      StoreVirtioNetHdr(VirtioNetHdr{}, w);
      if (!p.empty()) std::memcpy(w + kVirtioNetHdrSize, p.data(), p.size());
    }
  }
  stats_.written_packets.fetch_add(packets.size(), std::memory_order_relaxed);
  Status first;
  for (size_t i = 0; i < scratch.writes.size(); ++i) {
    const ByteSpan w = scratch.writes[i];
    const bool gso = w[1] != kVirtioNetHdrGsoNone;
    const int err = WriteOne(w);
    Status s;
    if (err == 0 && gso) stats_.gso_writes.fetch_add(1, std::memory_order_relaxed);
    if (err == EINVAL && gso) {
      DLOG_ERROR("tun: the kernel refused a coalesced write; TCP GRO off");
      gro_.store(false, std::memory_order_relaxed);
      s = WriteSegments(w, scratch);
    } else if (err != 0) {
      s = Status::Error(std::string("write TUN: ") + strerror(err));
    }
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

}  // namespace dlog::net
