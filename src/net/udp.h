// UdpSocket: WireGuard's underlay socket on Linux. One dual-stack AF_INET6 socket
// (IPV6_V6ONLY=0) carries IPv4 (as ::ffff:a.b.c.d) and IPv6; where IPv6 is unavailable
// it falls back to AF_INET alone. Batched with recvmmsg/sendmmsg.
//
// Offloads, probed at run time and switchable off (UdpOptions, or DLOG_WG_DISABLE_GSO=1
// in the environment, which turns off both):
//   GSO (UDP_SEGMENT cmsg): a run of consecutive datagrams to one endpoint, all of one
//     size except a possibly shorter last one, leaves in one sendmsg; the kernel (or the
//     NIC) cuts it back into those datagrams. If the kernel answers EIO (no checksum
//     offload on the route's device) GSO is switched off for good; on EINVAL/EMSGSIZE
//     (segment larger than the path allows) that run is resent one datagram at a time.
//   GRO (UDP_GRO sockopt + cmsg): the kernel may hand over several same-size datagrams
//     from one sender as one buffer; Receive splits it back into datagrams.
//
// Sticky source address (as wireguard-go's Linux bind): the socket is bound to the
// wildcard address, so on a host with several addresses the kernel would pick a reply's
// source by route, which a peer (or its NAT) may not accept. With IP_PKTINFO /
// IPV6_RECVPKTINFO each datagram's local address is recorded per remote endpoint, and
// datagrams to that endpoint leave from it (IP_PKTINFO / IPV6_PKTINFO cmsg). If the
// kernel refuses the address (it went away: EINVAL, ENETUNREACH), the entry is dropped and the
// datagrams are resent with the kernel's choice. At most kMaxStickyEntries endpoints are
// remembered.
//
// Thread-safety: Receive from one thread at a time; Send from any number of threads
// (each with its own SendScratch); Shutdown from any thread wakes a blocked Receive.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "wg/endpoint.h"

struct mmsghdr;

namespace dlog::net {

inline constexpr size_t kUdpBatch = 64;            // datagrams per recvmmsg / sendmmsg
inline constexpr size_t kMaxGsoSegments = 64;      // UDP_MAX_SEGMENTS on older kernels
inline constexpr size_t kMaxGsoBytes = 65000;      // one UDP payload: < 64 KiB minus headers
inline constexpr size_t kRecvBufferBytes = 65535;  // one (GRO) receive buffer
inline constexpr int kSocketBufferBytes = 7 << 20;
inline constexpr size_t kMaxStickyEntries = 4096;

struct UdpOptions {
  uint16_t port = 0;    // 0: the kernel picks one; see UdpSocket::port()
  uint32_t fwmark = 0;  // SO_MARK; 0: none
  bool gso = true;
  bool gro = true;
  bool ipv6 = true;  // false: AF_INET only (tests)
  bool sticky_source = true;
};

// The local address a datagram arrived at (network byte order; IPv4 in the first 4
// bytes). ifindex matters only for IPv6 link-local addresses.
struct LocalAddr {
  bool set = false;
  bool v6 = false;
  std::array<uint8_t, 16> addr{};
  uint32_t ifindex = 0;
  friend bool operator==(const LocalAddr&, const LocalAddr&) = default;
};

// sockaddr ↔ Endpoint. An IPv4 endpoint on an AF_INET6 socket becomes ::ffff:a.b.c.d;
// a v4-mapped sockaddr_in6 becomes an IPv4 endpoint.
socklen_t ToSockaddr(const wg::Endpoint& ep, bool v6_socket, sockaddr_storage& sa);
std::optional<wg::Endpoint> FromSockaddr(const sockaddr_storage& sa);

// A received datagram; `data` points into the RecvBatch it came from.
struct Received {
  wg::Endpoint from;
  ByteSpan data;
  LocalAddr local;  // set when sticky_source is on
};

// Buffers for one Receive call, reused across calls. Owned by one reader thread.
class RecvBatch {
 public:
  RecvBatch();
  ~RecvBatch();
  RecvBatch(const RecvBatch&) = delete;
  RecvBatch& operator=(const RecvBatch&) = delete;
  const std::vector<Received>& datagrams() const { return out_; }

 private:
  friend class UdpSocket;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<Received> out_;
};

// A datagram to send.
struct Outgoing {
  wg::Endpoint to;
  ByteSpan data;
};

// Buffers for one Send call, reused across calls. Owned by one sender thread.
class SendScratch {
 public:
  SendScratch();
  ~SendScratch();
  SendScratch(const SendScratch&) = delete;
  SendScratch& operator=(const SendScratch&) = delete;

 private:
  friend class UdpSocket;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct UdpStats {
  std::atomic<uint64_t> sent{0};           // datagrams handed to the kernel
  std::atomic<uint64_t> send_errors{0};    // datagrams the kernel refused
  std::atomic<uint64_t> gso_sends{0};      // sendmsg calls that carried UDP_SEGMENT
  std::atomic<uint64_t> received{0};       // datagrams after GRO splitting
  std::atomic<uint64_t> gro_buffers{0};    // receive buffers that held > 1 datagram
  std::atomic<uint64_t> truncated{0};      // dropped: larger than a receive buffer
  std::atomic<uint64_t> sticky_resets{0};  // sends whose remembered source was refused
};

class UdpSocket {
 public:
  static Result<std::unique_ptr<UdpSocket>> Open(const UdpOptions& options);
  ~UdpSocket();
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  uint16_t port() const { return port_; }
  bool v6() const { return v6_; }
  bool gso_enabled() const { return gso_.load(std::memory_order_relaxed); }
  bool gro_enabled() const { return gro_; }
  const UdpStats& stats() const { return stats_; }
  int fd() const { return fd_; }

  Status SetMark(uint32_t mark);

  // Blocks until at least one datagram arrives, then takes up to kUdpBatch buffers'
  // worth without blocking further; splits GRO buffers. batch.datagrams() is the
  // result (empty after Shutdown). Errors other than EINTR are returned.
  Status Receive(RecvBatch& batch);

  // Sends every datagram (coalescing runs with GSO when enabled). Datagrams the kernel
  // refuses (unreachable, no route, ...) are counted and skipped: UDP is best effort.
  void Send(std::span<const Outgoing> datagrams, SendScratch& scratch);

  // Wakes a blocked Receive and makes later ones return at once with no datagrams.
  void Shutdown();

  // The source address datagrams to `to` leave from (unset: the kernel's choice).
  LocalAddr StickySource(const wg::Endpoint& to) const;

 private:
  struct EndpointHash {
    size_t operator()(const wg::Endpoint& e) const;
  };
  UdpSocket(int fd, bool v6, uint16_t port, bool gso, bool gro, bool sticky);
  void RememberSources(const RecvBatch& batch, size_t messages);
  void ForgetSource(const wg::Endpoint& to);
  size_t BuildMessages(std::span<const Outgoing> d, SendScratch& s, bool gso);
  void SendMessages(std::span<const Outgoing> d, SendScratch& s, size_t count);
  void SendOneByOne(std::span<const Outgoing> run, LocalAddr src);
  ssize_t SendSingle(const Outgoing& o, const LocalAddr& src);
  void SplitReceived(RecvBatch& batch, size_t messages);

  int fd_;
  bool v6_;
  uint16_t port_;
  std::atomic<bool> gso_;
  bool gro_;
  bool sticky_;
  std::atomic<bool> shut_{false};
  mutable std::mutex sticky_mu_;  // guards sticky_sources_
  std::unordered_map<wg::Endpoint, LocalAddr, EndpointHash> sticky_sources_;
  UdpStats stats_;
};

// UdpBind: the socket currently in use, swappable (listen_port changes, fwmark). Readers
// and senders take a reference for the duration of one call; Rebind opens the new
// socket first (so a failure leaves the old one working) and shuts the old one down,
// which wakes its reader, who then fetches the new one.
class UdpBind {
 public:
  explicit UdpBind(UdpOptions options) : options_(options) {}
  // Opens the first socket.
  Status Open();
  std::shared_ptr<UdpSocket> Current() const;
  // No-op when `port` equals the bound port (and is not 0).
  Status Rebind(uint16_t port);
  Status SetMark(uint32_t mark);
  // Shuts the current socket down and refuses further rebinding.
  void Close();
  uint16_t port() const;

 private:
  mutable std::mutex mu_;  // guards socket_, options_, closed_
  UdpOptions options_;
  std::shared_ptr<UdpSocket> socket_;
  bool closed_ = false;
};

}  // namespace dlog::net
