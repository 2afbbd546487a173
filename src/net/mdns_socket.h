// MdnsSocket: the multicast UDP socket of mDNS (RFC 6762), one per address family.
// Bound to port 5353 (or another, for tests) with SO_REUSEADDR and SO_REUSEPORT so it
// coexists with avahi-daemon / systemd-resolved; joins 224.0.0.251 or ff02::fb on one
// interface or on every multicast-capable interface; IP_MULTICAST_TTL / hop limit 255
// (§11), multicast loopback on (two processes on one host see each other). Receives
// tell the source address, the interface and whether the destination was the group.
//
// Network I/O only: the mDNS logic is in discovery/ (Responder, Browser), which never
// sees this class; a driver (dlog-mdns, the node) moves bytes between them.
// Thread-safety: Receive from one thread; Send from any; Shutdown wakes Receive.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "wg/endpoint.h"

namespace dlog::net {

struct MdnsSocketOptions {
  bool v6 = false;        // AF_INET6 on ff02::fb (true) or AF_INET on 224.0.0.251
  uint16_t port = 5353;   // the port bound and the group's port
  std::string interface;  // "" = join on every up, multicast-capable interface
  bool loopback = true;   // IP_MULTICAST_LOOP
};

struct MdnsReceived {
  wg::Endpoint from;
  bool to_group = false;  // destination was the multicast group
  uint32_t ifindex = 0;
  Bytes data;
};

struct MdnsSocketStats {
  std::atomic<uint64_t> sent{0};
  std::atomic<uint64_t> send_errors{0};
  std::atomic<uint64_t> received{0};
  std::atomic<uint64_t> truncated{0};  // larger than 9000 bytes: dropped
};

class MdnsSocket {
 public:
  static Result<std::unique_ptr<MdnsSocket>> Open(const MdnsSocketOptions& options);
  ~MdnsSocket();
  MdnsSocket(const MdnsSocket&) = delete;
  MdnsSocket& operator=(const MdnsSocket&) = delete;

  // The group endpoint (224.0.0.251:port or [ff02::fb]:port).
  wg::Endpoint group() const;
  // Interfaces joined (names).
  const std::vector<std::string>& joined() const { return joined_; }
  // Sends to the group (on the multicast interface chosen at Open, or each joined one)
  // or to a unicast endpoint. Errors are counted, not returned (UDP is best effort),
  // except for a family mismatch.
  Status Send(const wg::Endpoint& to, ByteSpan data);
  // Waits up to `timeout` for one datagram; nullopt on timeout or after Shutdown.
  Result<std::optional<MdnsReceived>> Receive(std::chrono::milliseconds timeout);
  void Shutdown();
  const MdnsSocketStats& stats() const { return stats_; }
  int fd() const { return fd_; }

 private:
  MdnsSocket(int fd, MdnsSocketOptions options, std::vector<uint32_t> ifindexes,
             std::vector<std::string> names);
  int fd_;
  MdnsSocketOptions options_;
  std::vector<uint32_t> ifindexes_;  // joined interfaces
  std::vector<std::string> joined_;
  std::atomic<bool> shut_{false};
  MdnsSocketStats stats_;
};

}  // namespace dlog::net
