#include "net/tun.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace dlog::net {
namespace {

std::string Errno(const std::string& what) { return what + ": " + strerror(errno); }

void CloseAll(const std::vector<int>& fds) {
  for (int fd : fds) close(fd);
}

Result<int> OpenQueue(const std::string& name, bool multi_queue, std::string& actual_name) {
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return Status::Error(Errno("open /dev/net/tun"));
  ifreq ifr{};
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (multi_queue ? IFF_MULTI_QUEUE : 0);
  strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
    Status s = Status::Error(Errno("TUNSETIFF " + name));
    close(fd);
    return s;
  }
  actual_name = ifr.ifr_name;
  return fd;
}

// An ioctl on the interface through a throwaway datagram socket.
Status IfIoctl(unsigned long request, ifreq& ifr, const char* what) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return Status::Error(Errno("socket"));
  int r = ioctl(s, request, &ifr);
  Status st = r == 0 ? Status::Ok() : Status::Error(Errno(what));
  close(s);
  return st;
}

}  // namespace

Tun::Tun(std::string name, std::vector<int> fds, int wake_fd)
    : name_(std::move(name)), fds_(std::move(fds)), wake_fd_(wake_fd) {}

Tun::~Tun() {
  CloseAll(fds_);
  close(wake_fd_);
}

Result<std::unique_ptr<Tun>> Tun::Create(const std::string& name, const TunOptions& o) {
  if (name.size() >= IFNAMSIZ) return Status::Error("interface name too long: " + name);
  size_t queues = o.queues == 0 ? 1 : o.queues;
  std::vector<int> fds;
  std::string actual = name;
  for (size_t q = 0; q < queues; ++q) {
    auto fd = OpenQueue(actual, queues > 1, actual);
    if (!fd.ok()) {
      CloseAll(fds);
      return fd.status();
    }
    fds.push_back(*fd);
  }
  int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) {
    CloseAll(fds);
    return Status::Error(Errno("eventfd"));
  }
  std::unique_ptr<Tun> tun(new Tun(actual, std::move(fds), wake));
  if (o.mtu != 0) {
    Status s = tun->SetMtu(o.mtu);
    if (!s.ok()) return s;
  }
  return tun;
}

Result<std::unique_ptr<Tun>> Tun::FromFd(int fd) {
  ifreq ifr{};
  if (ioctl(fd, TUNGETIFF, &ifr) != 0) return Status::Error(Errno("TUNGETIFF"));
  if ((ifr.ifr_flags & (IFF_TUN | IFF_NO_PI)) != (IFF_TUN | IFF_NO_PI))
    return Status::Error("fd is not an IFF_TUN|IFF_NO_PI device");
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)
    return Status::Error(Errno("O_NONBLOCK"));
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) return Status::Error(Errno("eventfd"));
  return std::unique_ptr<Tun>(new Tun(ifr.ifr_name, {fd}, wake));
}

int Tun::ReleaseFd() {
  int fd = fds_.front();
  fds_.erase(fds_.begin());
  return fd;
}

Result<size_t> Tun::Mtu() const {
  ifreq ifr{};
  strncpy(ifr.ifr_name, name_.c_str(), IFNAMSIZ - 1);
  Status s = IfIoctl(SIOCGIFMTU, ifr, "SIOCGIFMTU");
  if (!s.ok()) return s;
  return size_t(ifr.ifr_mtu);
}

Result<bool> Tun::IsUp() const {
  ifreq ifr{};
  strncpy(ifr.ifr_name, name_.c_str(), IFNAMSIZ - 1);
  Status s = IfIoctl(SIOCGIFFLAGS, ifr, "SIOCGIFFLAGS");
  if (!s.ok()) return s;
  return (ifr.ifr_flags & (IFF_UP | IFF_RUNNING)) == (IFF_UP | IFF_RUNNING);
}

Status Tun::SetMtu(size_t mtu) {
  ifreq ifr{};
  strncpy(ifr.ifr_name, name_.c_str(), IFNAMSIZ - 1);
  ifr.ifr_mtu = int(mtu);
  return IfIoctl(SIOCSIFMTU, ifr, "SIOCSIFMTU");
}

Result<Tun::ReadResult> Tun::ReadBatch(size_t queue, PacketBatch& batch) {
  batch.count_ = 0;
  int fd = fds_[queue];
  while (true) {
    while (batch.count_ < kTunBatch) {
      MutableByteSpan slot = batch.slot(batch.count_);
      ssize_t n = read(fd, slot.data(), slot.size());
      if (n > 0) {
        batch.sizes_[batch.count_++] = size_t(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break;
      if (n < 0 && (errno == EBADFD || errno == EIO || errno == ENXIO)) return ReadResult::kDeleted;
      if (n == 0) return ReadResult::kDeleted;
      return Status::Error(Errno("read " + name_));
    }
    if (batch.count_ > 0) return ReadResult::kOk;
    pollfd p[2] = {{fd, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    int r = poll(p, 2, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Status::Error(Errno("poll " + name_));
    if (p[1].revents) return ReadResult::kShutdown;
    if (p[0].revents & (POLLERR | POLLHUP | POLLNVAL)) return ReadResult::kDeleted;
  }
}

Status Tun::Write(size_t queue, ByteSpan packet) {
  while (true) {
    ssize_t n = write(fds_[queue], packet.data(), packet.size());
    if (n == ssize_t(packet.size())) return Status::Ok();
    if (n < 0 && errno == EINTR) continue;
    return Status::Error(n < 0 ? Errno("write " + name_) : "short write to " + name_);
  }
}

void Tun::Shutdown() {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t r = write(wake_fd_, &one, sizeof one);
}

}  // namespace dlog::net
