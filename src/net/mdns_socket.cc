#include "net/mdns_socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "net/udp.h"

namespace dlog::net {
namespace {

constexpr size_t kMaxDatagram = 9000;  // RFC 6762 §17
constexpr uint8_t kGroupV4[4] = {224, 0, 0, 251};
constexpr uint8_t kGroupV6[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfb};

std::string Errno(const std::string& what) { return what + ": " + strerror(errno); }

// Up, multicast-capable interfaces (by name), or just `only` if given.
Result<std::vector<std::pair<uint32_t, std::string>>> Interfaces(const std::string& only) {
  std::vector<std::pair<uint32_t, std::string>> out;
  if (!only.empty()) {
    uint32_t idx = if_nametoindex(only.c_str());
    if (idx == 0) return Status::Error("no interface named '" + only + "'");
    out.emplace_back(idx, only);
    return out;
  }
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return Status::Error(Errno("getifaddrs"));
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    unsigned flags = i->ifa_flags;
    if (!(flags & IFF_UP) || !(flags & IFF_MULTICAST) || (flags & IFF_LOOPBACK)) continue;
    uint32_t idx = if_nametoindex(i->ifa_name);
    if (idx == 0) continue;
    if (std::none_of(out.begin(), out.end(), [&](const auto& p) { return p.first == idx; })) {
      out.emplace_back(idx, i->ifa_name);
    }
  }
  freeifaddrs(list);
  if (out.empty()) return Status::Error("no up, multicast-capable interface to join");
  return out;
}

Status SetInt(int fd, int level, int opt, int value, const char* name) {
  if (setsockopt(fd, level, opt, &value, sizeof value) != 0) {
    return Status::Error(Errno(std::string("setsockopt ") + name));
  }
  return Status::Ok();
}

Status Join(int fd, bool v6, uint32_t ifindex, const std::string& name) {
  int rc;
  if (v6) {
    ipv6_mreq m{};
    memcpy(&m.ipv6mr_multiaddr, kGroupV6, 16);
    m.ipv6mr_interface = ifindex;
    rc = setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m, sizeof m);
  } else {
    ip_mreqn m{};
    memcpy(&m.imr_multiaddr, kGroupV4, 4);
    m.imr_ifindex = int(ifindex);
    rc = setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m);
  }
  if (rc != 0 && errno != EADDRINUSE) return Status::Error(Errno("join mDNS group on " + name));
  return Status::Ok();
}

Status SetMulticastInterface(int fd, bool v6, uint32_t ifindex) {
  int rc;
  if (v6) {
    int idx = int(ifindex);
    rc = setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &idx, sizeof idx);
  } else {
    ip_mreqn m{};
    m.imr_ifindex = int(ifindex);
    rc = setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof m);
  }
  return rc == 0 ? Status::Ok() : Status::Error(Errno("IP_MULTICAST_IF"));
}

Status Configure(int fd, const MdnsSocketOptions& o) {
  int fam_level = o.v6 ? IPPROTO_IPV6 : IPPROTO_IP;
  Status s = SetInt(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
  if (s.ok()) s = SetInt(fd, SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT");
  if (s.ok() && o.v6) s = SetInt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1, "IPV6_V6ONLY");
  if (!s.ok()) return s;
  // §11: TTL / hop limit 255 on everything we send, multicast and unicast.
  if (o.v6) {
    s = SetInt(fd, fam_level, IPV6_MULTICAST_HOPS, 255, "IPV6_MULTICAST_HOPS");
    if (s.ok()) s = SetInt(fd, fam_level, IPV6_UNICAST_HOPS, 255, "IPV6_UNICAST_HOPS");
    if (s.ok()) s = SetInt(fd, fam_level, IPV6_MULTICAST_LOOP, o.loopback, "IPV6_MULTICAST_LOOP");
    if (s.ok()) s = SetInt(fd, fam_level, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO");
  } else {
    s = SetInt(fd, fam_level, IP_MULTICAST_TTL, 255, "IP_MULTICAST_TTL");
    if (s.ok()) s = SetInt(fd, fam_level, IP_TTL, 255, "IP_TTL");
    if (s.ok()) s = SetInt(fd, fam_level, IP_MULTICAST_LOOP, o.loopback, "IP_MULTICAST_LOOP");
    if (s.ok()) s = SetInt(fd, fam_level, IP_PKTINFO, 1, "IP_PKTINFO");
  }
  return s;
}

Status Bind(int fd, const MdnsSocketOptions& o) {
  sockaddr_storage sa{};
  socklen_t len;
  if (o.v6) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&sa);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(o.port);
    len = sizeof *s6;
  } else {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&sa);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(o.port);
    len = sizeof *s4;
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), len) != 0) {
    return Status::Error(Errno("bind UDP port " + std::to_string(o.port)));
  }
  return Status::Ok();
}

std::mutex& SendMutex() {  // IP_MULTICAST_IF is per socket: one group send at a time
  static std::mutex mu;
  return mu;
}

}  // namespace

Result<std::unique_ptr<MdnsSocket>> MdnsSocket::Open(const MdnsSocketOptions& options) {
  auto ifs = Interfaces(options.interface);
  if (!ifs.ok()) return ifs.status();
  int fd = socket(options.v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Error(Errno("socket"));
  Status s = Configure(fd, options);
  if (s.ok()) s = Bind(fd, options);
  std::vector<uint32_t> indexes;
  std::vector<std::string> names;
  for (const auto& [idx, name] : *ifs) {
    if (!s.ok()) break;
    Status j = Join(fd, options.v6, idx, name);
    if (!j.ok() && !options.interface.empty()) s = j;  // one named interface must work
    if (!j.ok()) continue;
    indexes.push_back(idx);
    names.push_back(name);
  }
  if (s.ok() && indexes.empty())
    s = Status::Error("could not join the mDNS group on any interface");
  if (s.ok() && indexes.size() == 1) s = SetMulticastInterface(fd, options.v6, indexes[0]);
  if (!s.ok()) {
    close(fd);
    return s;
  }
  return std::unique_ptr<MdnsSocket>(
      new MdnsSocket(fd, options, std::move(indexes), std::move(names)));
}

MdnsSocket::MdnsSocket(int fd, MdnsSocketOptions options, std::vector<uint32_t> ifindexes,
                       std::vector<std::string> names)
    : fd_(fd),
      options_(std::move(options)),
      ifindexes_(std::move(ifindexes)),
      joined_(std::move(names)) {}

MdnsSocket::~MdnsSocket() { close(fd_); }

wg::Endpoint MdnsSocket::group() const {
  wg::Endpoint ep;
  ep.v6 = options_.v6;
  if (ep.v6) {
    memcpy(ep.addr.data(), kGroupV6, 16);
  } else {
    memcpy(ep.addr.data(), kGroupV4, 4);
  }
  ep.port = options_.port;
  return ep;
}

Status MdnsSocket::Send(const wg::Endpoint& to, ByteSpan data) {
  if (to.v6 != options_.v6) return Status::Error("address family does not match the mDNS socket");
  sockaddr_storage sa;
  socklen_t len = ToSockaddr(to, options_.v6, sa);
  auto send_one = [&] {
    if (sendto(fd_, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&sa), len) < 0) {
      stats_.send_errors.fetch_add(1, std::memory_order_relaxed);
    } else {
      stats_.sent.fetch_add(1, std::memory_order_relaxed);
    }
  };
  bool to_group = to == group();
  if (!to_group || ifindexes_.size() == 1) {
    send_one();
    return Status::Ok();
  }
  std::lock_guard<std::mutex> lock(SendMutex());
  for (uint32_t idx : ifindexes_) {  // the group on every joined interface
    if (SetMulticastInterface(fd_, options_.v6, idx).ok()) send_one();
  }
  return Status::Ok();
}

Result<std::optional<MdnsReceived>> MdnsSocket::Receive(std::chrono::milliseconds timeout) {
  if (shut_.load()) return std::optional<MdnsReceived>();
  pollfd p{fd_, POLLIN, 0};
  int rc = poll(&p, 1, int(std::clamp<int64_t>(timeout.count(), 0, 1 << 30)));
  if (rc < 0 && errno != EINTR) return Status::Error(Errno("poll"));
  if (rc <= 0 || shut_.load()) return std::optional<MdnsReceived>();
  uint8_t buf[kMaxDatagram + 1];
  alignas(cmsghdr)
      uint8_t control[CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(in_pktinfo))];
  sockaddr_storage from{};
  iovec iov{buf, sizeof buf};
  msghdr h{};
  h.msg_name = &from;
  h.msg_namelen = sizeof from;
  h.msg_iov = &iov;
  h.msg_iovlen = 1;
  h.msg_control = control;
  h.msg_controllen = sizeof control;
  ssize_t n = recvmsg(fd_, &h, MSG_DONTWAIT);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return std::optional<MdnsReceived>();
    return Status::Error(Errno("recvmsg"));
  }
  stats_.received.fetch_add(1, std::memory_order_relaxed);
  if (size_t(n) > kMaxDatagram || (h.msg_flags & MSG_TRUNC)) {
    stats_.truncated.fetch_add(1, std::memory_order_relaxed);
    return std::optional<MdnsReceived>();
  }
  auto ep = FromSockaddr(from);
  if (!ep) return std::optional<MdnsReceived>();
  MdnsReceived r;
  r.from = *ep;
  for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo info;
      memcpy(&info, CMSG_DATA(c), sizeof info);
      r.to_group = memcmp(&info.ipi_addr, kGroupV4, 4) == 0;
      r.ifindex = uint32_t(info.ipi_ifindex);
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo info;
      memcpy(&info, CMSG_DATA(c), sizeof info);
      r.to_group = memcmp(&info.ipi6_addr, kGroupV6, 16) == 0;
      r.ifindex = info.ipi6_ifindex;
    }
  }
  if (r.from.v6 && r.from.scope_id == 0 && r.from.addr[0] == 0xfe &&
      (r.from.addr[1] & 0xc0) == 0x80) {
    r.from.scope_id = r.ifindex;
  }
  r.data.assign(buf, buf + n);
  return std::optional<MdnsReceived>(std::move(r));
}

void MdnsSocket::Shutdown() {
  shut_.store(true);
  ::shutdown(fd_, SHUT_RDWR);
}

}  // namespace dlog::net
