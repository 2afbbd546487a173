#include "node/link.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace dlog::node {
namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

void SetSockaddr(sockaddr* sa, uint32_t addr_be) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = addr_be;
  std::memcpy(sa, &sin, sizeof sin);
}

Status Ioctl(int fd, unsigned long req, ifreq& ifr, const char* what) {
  if (ioctl(fd, req, &ifr) == 0) return Status::Ok();
  return Status::Error(std::string(what) + " on " + ifr.ifr_name + ": " + strerror(errno));
}

}  // namespace

Status ConfigureInterface(const std::string& name, const Ipv4& addr, uint8_t prefix_len,
                          size_t mtu) {
  if (name.empty() || name.size() >= IFNAMSIZ) return Status::Error("bad interface name");
  if (prefix_len > 32) return Status::Error("bad prefix length");
  Fd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return Status::Error(std::string("socket: ") + strerror(errno));
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name.c_str(), name.size());
  uint32_t a;
  std::memcpy(&a, addr.data(), 4);
  SetSockaddr(&ifr.ifr_addr, a);
  if (Status s = Ioctl(fd.get(), SIOCSIFADDR, ifr, "setting the address"); !s.ok()) return s;
  const uint32_t mask = prefix_len == 0 ? 0 : htonl(~uint32_t(0) << (32 - prefix_len));
  SetSockaddr(&ifr.ifr_netmask, mask);
  if (Status s = Ioctl(fd.get(), SIOCSIFNETMASK, ifr, "setting the netmask"); !s.ok()) return s;
  ifr.ifr_mtu = int(mtu);
  if (Status s = Ioctl(fd.get(), SIOCSIFMTU, ifr, "setting the MTU"); !s.ok()) return s;
  if (Status s = Ioctl(fd.get(), SIOCGIFFLAGS, ifr, "reading the flags"); !s.ok()) return s;
  ifr.ifr_flags |= IFF_UP;
  return Ioctl(fd.get(), SIOCSIFFLAGS, ifr, "bringing the link up");
}

std::vector<Ipv4> LocalIpv4Addresses(const std::string& exclude) {
  std::vector<Ipv4> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i && out.size() < 16; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
    if ((i->ifa_flags & IFF_UP) == 0 || (i->ifa_flags & IFF_LOOPBACK)) continue;
    if (exclude == i->ifa_name) continue;
    Ipv4 ip;
    std::memcpy(ip.data(), &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, 4);
    out.push_back(ip);
  }
  freeifaddrs(list);
  return out;
}

}  // namespace dlog::node
