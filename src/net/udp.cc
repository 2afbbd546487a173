#include "net/udp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "base/log.h"

namespace dlog::net {
namespace {

// Receive: UDP_GRO (int), IP_PKTINFO and, for IPv6 sockets, IPV6_PKTINFO (the kernel
// sends both for IPv4 datagrams on a dual-stack socket).
constexpr size_t kRecvCmsgSpace =
    CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(in_pktinfo)) + CMSG_SPACE(sizeof(in6_pktinfo));
// Send: UDP_SEGMENT (uint16_t) and one of IP_PKTINFO / IPV6_PKTINFO.
constexpr size_t kSendCmsgSpace = CMSG_SPACE(sizeof(uint16_t)) + CMSG_SPACE(sizeof(in6_pktinfo));

struct alignas(cmsghdr) SendControl {
  uint8_t bytes[kSendCmsgSpace];
};

bool IsV4Mapped(const uint8_t* a) {
  static constexpr uint8_t kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return memcmp(a, kPrefix, 12) == 0;
}

// Appends the control message that makes a datagram to `to` leave from `src`; returns
// the bytes used (0 when there is nothing to add). `to` decides the family: an IPv4
// destination needs an IPv4 source.
size_t AppendPktinfo(msghdr& h, cmsghdr* c, const wg::Endpoint& to, const LocalAddr& src) {
  if (!src.set || src.v6 != to.v6) return 0;
  if (!to.v6) {
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
    in_pktinfo info{};
    memcpy(&info.ipi_spec_dst, src.addr.data(), 4);
    memcpy(CMSG_DATA(c), &info, sizeof info);
    return CMSG_SPACE(sizeof(in_pktinfo));
  }
  c->cmsg_level = IPPROTO_IPV6;
  c->cmsg_type = IPV6_PKTINFO;
  c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
  in6_pktinfo info{};
  memcpy(&info.ipi6_addr, src.addr.data(), 16);
  if (IN6_IS_ADDR_LINKLOCAL(&info.ipi6_addr)) info.ipi6_ifindex = src.ifindex;
  memcpy(CMSG_DATA(c), &info, sizeof info);
  (void)h;
  return CMSG_SPACE(sizeof(in6_pktinfo));
}

// The local address from IP_PKTINFO / IPV6_PKTINFO (IPv4-mapped becomes IPv4).
void ParsePktinfo(const cmsghdr* c, LocalAddr& local) {
  if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
    in_pktinfo info;
    memcpy(&info, CMSG_DATA(c), sizeof info);
    local = LocalAddr{.set = true, .v6 = false};
    memcpy(local.addr.data(), &info.ipi_spec_dst, 4);
    local.ifindex = uint32_t(info.ipi_ifindex);
  } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO && !local.set) {
    in6_pktinfo info;
    memcpy(&info, CMSG_DATA(c), sizeof info);
    const auto* a = reinterpret_cast<const uint8_t*>(&info.ipi6_addr);
    local = LocalAddr{.set = true, .v6 = !IsV4Mapped(a)};
    memcpy(local.addr.data(), local.v6 ? a : a + 12, local.v6 ? 16 : 4);
    local.ifindex = info.ipi6_ifindex;
  }
}

std::string Errno(const char* what) { return std::string(what) + ": " + strerror(errno); }

// close() that leaves errno as the failing call set it.
void CloseKeepErrno(int fd) {
  int saved = errno;
  close(fd);
  errno = saved;
}

bool EnvDisablesOffload() {
  const char* v = getenv("DLOG_WG_DISABLE_GSO");
  return v && *v && std::string(v) != "0";
}

void SetBuffer(int fd, int force_opt, int opt) {
  int size = kSocketBufferBytes;
  if (setsockopt(fd, SOL_SOCKET, force_opt, &size, sizeof size) != 0)
    setsockopt(fd, SOL_SOCKET, opt, &size, sizeof size);
}

// UDP_SEGMENT is known to the kernel iff getsockopt accepts it (as wireguard-go probes).
bool ProbeGso(int fd) {
  int v = 0;
  socklen_t len = sizeof v;
  return getsockopt(fd, SOL_UDP, UDP_SEGMENT, &v, &len) == 0;
}

bool EnableGro(int fd) {
  int one = 1;
  return setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof one) == 0;
}

bool EnableSticky(int fd, bool v6) {
  int one = 1;
  if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) != 0) return false;
  return !v6 || setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one) == 0;
}

Result<int> BindSocket(const UdpOptions& o, bool v6) {
  int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Error(Errno("socket"));
  int zero = 0;
  if (v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero) != 0) {
    Status s = Status::Error(Errno("IPV6_V6ONLY"));
    CloseKeepErrno(fd);
    return s;
  }
  if (o.fwmark != 0 && setsockopt(fd, SOL_SOCKET, SO_MARK, &o.fwmark, sizeof o.fwmark) != 0) {
    Status s = Status::Error(Errno("SO_MARK"));
    CloseKeepErrno(fd);
    return s;
  }
  SetBuffer(fd, SO_RCVBUFFORCE, SO_RCVBUF);
  SetBuffer(fd, SO_SNDBUFFORCE, SO_SNDBUF);
  sockaddr_storage sa{};
  socklen_t len;
  if (v6) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&sa);
    s6->sin6_family = AF_INET6;
    s6->sin6_addr = in6addr_any;
    s6->sin6_port = htons(o.port);
    len = sizeof *s6;
  } else {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&sa);
    s4->sin_family = AF_INET;
    s4->sin_addr.s_addr = htonl(INADDR_ANY);
    s4->sin_port = htons(o.port);
    len = sizeof *s4;
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), len) != 0) {
    Status s = Status::Error(Errno(("bind port " + std::to_string(o.port)).c_str()));
    CloseKeepErrno(fd);
    return s;
  }
  return fd;
}

uint16_t BoundPort(int fd) {
  sockaddr_storage sa{};
  socklen_t len = sizeof sa;
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  if (sa.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&sa)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&sa)->sin_port);
}

// What the kernel answers when a PKTINFO source is no longer a local address: EINVAL
// (IPv6), ENETUNREACH (IPv4 route lookup), EADDRNOTAVAIL.
bool SourceRefused(int err) { return err == EINVAL || err == ENETUNREACH || err == EADDRNOTAVAIL; }

// Sets h's control messages: UDP_SEGMENT when gso_size != 0, a PKTINFO when src is set.
void FillControl(msghdr& h, uint8_t* buf, uint16_t gso_size, const wg::Endpoint& to,
                 const LocalAddr& src) {
  size_t used = 0;
  if (gso_size != 0) {
    auto* c = reinterpret_cast<cmsghdr*>(buf);
    c->cmsg_level = SOL_UDP;
    c->cmsg_type = UDP_SEGMENT;
    c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
    memcpy(CMSG_DATA(c), &gso_size, sizeof gso_size);
    used = CMSG_SPACE(sizeof(uint16_t));
  }
  used += AppendPktinfo(h, reinterpret_cast<cmsghdr*>(buf + used), to, src);
  h.msg_control = used ? buf : nullptr;
  h.msg_controllen = used;
}

}  // namespace

socklen_t ToSockaddr(const wg::Endpoint& ep, bool v6_socket, sockaddr_storage& sa) {
  memset(&sa, 0, sizeof sa);
  if (!v6_socket) {
    if (ep.v6) return 0;
    auto* s4 = reinterpret_cast<sockaddr_in*>(&sa);
    s4->sin_family = AF_INET;
    memcpy(&s4->sin_addr, ep.addr.data(), 4);
    s4->sin_port = htons(ep.port);
    return sizeof *s4;
  }
  auto* s6 = reinterpret_cast<sockaddr_in6*>(&sa);
  s6->sin6_family = AF_INET6;
  s6->sin6_port = htons(ep.port);
  if (ep.v6) {
    memcpy(&s6->sin6_addr, ep.addr.data(), 16);
    s6->sin6_scope_id = ep.scope_id;
  } else {
    s6->sin6_addr.s6_addr[10] = 0xff;
    s6->sin6_addr.s6_addr[11] = 0xff;
    memcpy(&s6->sin6_addr.s6_addr[12], ep.addr.data(), 4);
  }
  return sizeof *s6;
}

std::optional<wg::Endpoint> FromSockaddr(const sockaddr_storage& sa) {
  wg::Endpoint ep;
  if (sa.ss_family == AF_INET) {
    const auto* s4 = reinterpret_cast<const sockaddr_in*>(&sa);
    memcpy(ep.addr.data(), &s4->sin_addr, 4);
    ep.port = ntohs(s4->sin_port);
    return ep;
  }
  if (sa.ss_family != AF_INET6) return std::nullopt;
  const auto* s6 = reinterpret_cast<const sockaddr_in6*>(&sa);
  ep.port = ntohs(s6->sin6_port);
  if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
    memcpy(ep.addr.data(), &s6->sin6_addr.s6_addr[12], 4);
    return ep;
  }
  ep.v6 = true;
  memcpy(ep.addr.data(), &s6->sin6_addr, 16);
  ep.scope_id = s6->sin6_scope_id;
  return ep;
}

// --- buffers -----------------------------------------------------------------------

struct RecvBatch::Impl {
  // Uninitialised: without GRO only the first ~1.5 KiB of each buffer is ever touched.
  std::unique_ptr<uint8_t[]> data{new uint8_t[kUdpBatch * kRecvBufferBytes]};
  mmsghdr msgs[kUdpBatch]{};
  iovec iov[kUdpBatch]{};
  sockaddr_storage addrs[kUdpBatch]{};
  alignas(cmsghdr) uint8_t cmsg[kUdpBatch][kRecvCmsgSpace]{};
};

RecvBatch::RecvBatch() : impl_(std::make_unique<Impl>()) {}
RecvBatch::~RecvBatch() = default;

struct SendScratch::Impl {
  std::vector<mmsghdr> msgs;
  std::vector<iovec> iov;
  std::vector<sockaddr_storage> addrs;
  std::vector<SendControl> cmsg;
  std::vector<LocalAddr> src;  // per message: the source it asked for
  std::vector<size_t> first;   // per message: index of its first datagram
  std::vector<size_t> count;   // per message: datagrams in it
};

SendScratch::SendScratch() : impl_(std::make_unique<Impl>()) {}
SendScratch::~SendScratch() = default;

// --- UdpSocket ---------------------------------------------------------------------

UdpSocket::UdpSocket(int fd, bool v6, uint16_t port, bool gso, bool gro, bool sticky)
    : fd_(fd), v6_(v6), port_(port), gso_(gso), gro_(gro), sticky_(sticky) {}

UdpSocket::~UdpSocket() { close(fd_); }

Result<std::unique_ptr<UdpSocket>> UdpSocket::Open(const UdpOptions& o) {
  bool offload = !EnvDisablesOffload();
  Result<int> fd = o.ipv6 ? BindSocket(o, true) : Status::Error("ipv6 off");
  bool v6 = fd.ok();
  if (!fd.ok() && (!o.ipv6 || errno == EAFNOSUPPORT)) fd = BindSocket(o, false);
  if (!fd.ok()) return fd.status();
  bool gso = offload && o.gso && ProbeGso(*fd);
  bool gro = offload && o.gro && EnableGro(*fd);
  uint16_t port = BoundPort(*fd);
  bool sticky = o.sticky_source && EnableSticky(*fd, v6);
  DLOG_DEBUG("udp: bound port %u (%s), gso %s, gro %s", port, v6 ? "dual-stack" : "IPv4 only",
             gso ? "on" : "off", gro ? "on" : "off");
  return std::unique_ptr<UdpSocket>(new UdpSocket(*fd, v6, port, gso, gro, sticky));
}

Status UdpSocket::SetMark(uint32_t mark) {
  if (setsockopt(fd_, SOL_SOCKET, SO_MARK, &mark, sizeof mark) != 0)
    return Status::Error(Errno("SO_MARK"));
  return Status::Ok();
}

void UdpSocket::Shutdown() {
  shut_.store(true);
  // On an unconnected UDP socket this returns ENOTCONN but still wakes blocked readers.
  shutdown(fd_, SHUT_RDWR);
}

Status UdpSocket::Receive(RecvBatch& batch) {
  batch.out_.clear();
  RecvBatch::Impl& b = *batch.impl_;
  for (size_t i = 0; i < kUdpBatch; ++i) {
    b.iov[i] = {b.data.get() + i * kRecvBufferBytes, kRecvBufferBytes};
    msghdr& h = b.msgs[i].msg_hdr;
    h = {};
    h.msg_name = &b.addrs[i];
    h.msg_namelen = sizeof b.addrs[i];
    h.msg_iov = &b.iov[i];
    h.msg_iovlen = 1;
    h.msg_control = b.cmsg[i];
    h.msg_controllen = kRecvCmsgSpace;
  }
  while (!shut_.load(std::memory_order_relaxed)) {
    int n = recvmmsg(fd_, b.msgs, kUdpBatch, MSG_WAITFORONE, nullptr);
    if (n > 0) {
      SplitReceived(batch, size_t(n));
      return Status::Ok();
    }
    if (n == 0) return Status::Ok();  // shut down
    if (errno == EINTR) continue;
    if (shut_.load()) return Status::Ok();
    return Status::Error(Errno("recvmmsg"));
  }
  return Status::Ok();
}

void UdpSocket::SplitReceived(RecvBatch& batch, size_t messages) {
  RecvBatch::Impl& b = *batch.impl_;
  for (size_t i = 0; i < messages; ++i) {
    msghdr& h = b.msgs[i].msg_hdr;
    if (h.msg_flags & MSG_TRUNC) {
      stats_.truncated.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    auto from = FromSockaddr(b.addrs[i]);
    if (!from) continue;
    size_t len = b.msgs[i].msg_len;
    size_t seg = len;
    LocalAddr local;
    for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
      if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
        int gso_size = 0;
        memcpy(&gso_size, CMSG_DATA(c), sizeof gso_size);
        if (gso_size > 0) seg = size_t(gso_size);
      } else {
        ParsePktinfo(c, local);
      }
    }
    const uint8_t* base = b.data.get() + i * kRecvBufferBytes;
    if (seg < len) stats_.gro_buffers.fetch_add(1, std::memory_order_relaxed);
    for (size_t off = 0; off < len; off += seg)
      batch.out_.push_back({*from, ByteSpan(base + off, std::min(seg, len - off)), local});
  }
  stats_.received.fetch_add(batch.out_.size(), std::memory_order_relaxed);
  if (sticky_) RememberSources(batch, messages);
}

size_t UdpSocket::EndpointHash::operator()(const wg::Endpoint& e) const {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  auto mix = [&h](uint8_t b) { h = (h ^ b) * 1099511628211ull; };
  for (uint8_t b : e.addr) mix(b);
  mix(uint8_t(e.port));
  mix(uint8_t(e.port >> 8));
  mix(uint8_t(e.v6));
  return size_t(h ^ e.scope_id);
}

void UdpSocket::RememberSources(const RecvBatch& batch, size_t) {
  std::lock_guard lock(sticky_mu_);
  const Received* last = nullptr;
  for (const Received& r : batch.out_) {
    if (!r.local.set || (last && last->from == r.from && last->local == r.local)) continue;
    last = &r;
    auto it = sticky_sources_.find(r.from);
    if (it != sticky_sources_.end()) {
      it->second = r.local;
      continue;
    }
    if (sticky_sources_.size() >= kMaxStickyEntries) sticky_sources_.clear();
    sticky_sources_.emplace(r.from, r.local);
  }
}

void UdpSocket::ForgetSource(const wg::Endpoint& to) {
  std::lock_guard lock(sticky_mu_);
  sticky_sources_.erase(to);
}

LocalAddr UdpSocket::StickySource(const wg::Endpoint& to) const {
  std::lock_guard lock(sticky_mu_);
  auto it = sticky_sources_.find(to);
  return it == sticky_sources_.end() ? LocalAddr{} : it->second;
}

void UdpSocket::Send(std::span<const Outgoing> d, SendScratch& s) {
  while (!d.empty()) {
    bool gso = gso_.load(std::memory_order_relaxed);
    size_t used = BuildMessages(d, s, gso);
    SendMessages(d, s, s.impl_->msgs.size());
    d = d.subspan(used);
  }
}

// Fills scratch with up to kUdpBatch messages for a prefix of `d`; returns how many
// datagrams they cover. With GSO, a message is a run: same endpoint, same size, the
// last possibly shorter, at most kMaxGsoSegments and kMaxGsoBytes.
size_t UdpSocket::BuildMessages(std::span<const Outgoing> d, SendScratch& scratch, bool gso) {
  SendScratch::Impl& s = *scratch.impl_;
  s.msgs.clear();
  s.first.clear();
  s.count.clear();
  s.iov.resize(d.size() < kUdpBatch * kMaxGsoSegments ? d.size() : kUdpBatch * kMaxGsoSegments);
  size_t i = 0;
  while (i < d.size() && s.msgs.size() < kUdpBatch && i < s.iov.size()) {
    size_t seg = d[i].data.size();
    size_t n = 1, bytes = seg;
    if (gso) {
      while (i + n < s.iov.size() && n < kMaxGsoSegments && d[i + n].to == d[i].to &&
             d[i + n].data.size() <= seg && bytes + d[i + n].data.size() <= kMaxGsoBytes) {
        bytes += d[i + n].data.size();
        ++n;
        if (d[i + n - 1].data.size() < seg) break;  // a shorter datagram ends the run
      }
    }
    s.first.push_back(i);
    s.count.push_back(n);
    s.msgs.emplace_back();
    i += n;
  }
  size_t m = s.msgs.size();
  s.addrs.resize(m);
  s.cmsg.resize(m);
  s.src.assign(m, LocalAddr{});
  std::unique_lock lock(sticky_mu_, std::defer_lock);
  if (sticky_) lock.lock();
  for (size_t k = 0; k < m; ++k) {
    for (size_t j = 0; j < s.count[k]; ++j) {
      const Outgoing& o = d[s.first[k] + j];
      s.iov[s.first[k] + j] = {const_cast<uint8_t*>(o.data.data()), o.data.size()};
    }
    const wg::Endpoint& to = d[s.first[k]].to;
    msghdr& h = s.msgs[k].msg_hdr;
    h = {};
    h.msg_name = &s.addrs[k];
    h.msg_namelen = ToSockaddr(to, v6_, s.addrs[k]);
    h.msg_iov = &s.iov[s.first[k]];
    h.msg_iovlen = s.count[k];
    if (sticky_) {
      auto it = sticky_sources_.find(to);
      if (it != sticky_sources_.end()) s.src[k] = it->second;
    }
    uint16_t gso_size = s.count[k] > 1 ? uint16_t(d[s.first[k]].data.size()) : 0;
    FillControl(h, s.cmsg[k].bytes, gso_size, to, s.src[k]);
  }
  return i;
}

void UdpSocket::SendMessages(std::span<const Outgoing> d, SendScratch& scratch, size_t count) {
  SendScratch::Impl& s = *scratch.impl_;
  size_t k = 0;
  while (k < count) {
    if (s.msgs[k].msg_hdr.msg_namelen == 0) {  // an IPv6 endpoint on an IPv4-only socket
      stats_.send_errors.fetch_add(s.count[k], std::memory_order_relaxed);
      ++k;
      continue;
    }
    int n = sendmmsg(fd_, &s.msgs[k], unsigned(count - k), MSG_NOSIGNAL);
    if (n > 0) {
      for (int j = 0; j < n; ++j) {
        stats_.sent.fetch_add(s.count[k + j], std::memory_order_relaxed);
        if (s.count[k + j] > 1) stats_.gso_sends.fetch_add(1, std::memory_order_relaxed);
      }
      k += size_t(n);
      continue;
    }
    if (errno == EINTR) continue;
    int err = errno;
    std::span<const Outgoing> run = d.subspan(s.first[k], s.count[k]);
    if (s.count[k] > 1 && err == EIO && gso_.exchange(false)) {
      DLOG_INFO("udp: kernel refused UDP GSO (EIO); sending datagrams one by one from now on");
    }
    bool gso_refused = s.count[k] > 1 && (err == EIO || err == EINVAL || err == EMSGSIZE);
    bool source_refused = s.src[k].set && SourceRefused(err);
    if (gso_refused || source_refused) {
      SendOneByOne(run, s.src[k]);
    } else {
      stats_.send_errors.fetch_add(s.count[k], std::memory_order_relaxed);
      DLOG_DEBUG("udp: send to %s: %s", run[0].to.ToString().c_str(), strerror(err));
    }
    ++k;
  }
}

ssize_t UdpSocket::SendSingle(const Outgoing& o, const LocalAddr& src) {
  sockaddr_storage sa;
  SendControl control;
  iovec iov{const_cast<uint8_t*>(o.data.data()), o.data.size()};
  msghdr h{};
  h.msg_name = &sa;
  h.msg_namelen = ToSockaddr(o.to, v6_, sa);
  h.msg_iov = &iov;
  h.msg_iovlen = 1;
  FillControl(h, control.bytes, 0, o.to, src);
  return sendmsg(fd_, &h, MSG_NOSIGNAL);
}

// Sends a run one datagram at a time; if the remembered source is refused, forgets it
// and lets the kernel choose.
void UdpSocket::SendOneByOne(std::span<const Outgoing> run, LocalAddr src) {
  for (const Outgoing& o : run) {
    ssize_t r = SendSingle(o, src);
    if (r < 0 && src.set && SourceRefused(errno)) {
      stats_.sticky_resets.fetch_add(1, std::memory_order_relaxed);
      ForgetSource(o.to);
      src = LocalAddr{};
      r = SendSingle(o, src);
    }
    (r < 0 ? stats_.send_errors : stats_.sent).fetch_add(1, std::memory_order_relaxed);
  }
}

// --- UdpBind -----------------------------------------------------------------------

Status UdpBind::Open() {
  auto s = UdpSocket::Open(options_);
  if (!s.ok()) return s.status();
  std::lock_guard lock(mu_);
  socket_ = std::move(*s);
  options_.port = socket_->port();
  return Status::Ok();
}

std::shared_ptr<UdpSocket> UdpBind::Current() const {
  std::lock_guard lock(mu_);
  return closed_ ? nullptr : socket_;
}

uint16_t UdpBind::port() const {
  std::lock_guard lock(mu_);
  return socket_ ? socket_->port() : 0;
}

Status UdpBind::Rebind(uint16_t port) {
  std::lock_guard lock(mu_);
  if (closed_) return Status::Error("closed");
  if (socket_ && port != 0 && port == socket_->port()) return Status::Ok();
  UdpOptions o = options_;
  o.port = port;
  auto s = UdpSocket::Open(o);
  if (!s.ok()) return s.status();
  if (socket_) socket_->Shutdown();
  socket_ = std::move(*s);
  options_ = o;
  return Status::Ok();
}

Status UdpBind::SetMark(uint32_t mark) {
  std::lock_guard lock(mu_);
  if (socket_) {
    Status s = socket_->SetMark(mark);
    if (!s.ok()) return s;
  }
  options_.fwmark = mark;
  return Status::Ok();
}

void UdpBind::Close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  if (socket_) socket_->Shutdown();
}

}  // namespace dlog::net
