// MdnsDiscovery: the node's mDNS/DNS-SD (RFC 6762/6763) on the LAN — a Browser for
// _dlog._udp.local that hands every member it finds to the cluster core as a candidate
// (a hint only: the token and the handshake decide), and, once the node is a member, a
// Responder that announces it (TXT: v=1, cluster=<pin>, key=<WireGuard public key>).
//
// One thread ("dlog-mdns") owns the cores and the IPv4 socket on 224.0.0.251:5353; it
// wakes at the cores' deadlines and at least every kMdnsPoll. Publish may be called from
// any thread (`mu_` hands the service to the thread). Found runs on the mDNS thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "base/clock.h"
#include "base/rng.h"
#include "cluster/identity.h"
#include "discovery/responder.h"
#include "net/mdns_socket.h"
#include "wg/endpoint.h"

namespace dlog::node {

inline constexpr auto kMdnsPoll = std::chrono::milliseconds(100);

class MdnsDiscovery {
 public:
  // A member announced: its key (from TXT, unauthenticated) and one endpoint per address.
  using Found = std::function<void(const std::optional<cluster::PublicKey>& key,
                                   const std::string& instance, const wg::Endpoint& endpoint)>;

  // Opens the socket and starts the thread (browsing at once).
  static Result<std::unique_ptr<MdnsDiscovery>> Start(const Clock& clock, Found found);
  ~MdnsDiscovery();

  // Starts (or replaces) the announcement of this node.
  void Publish(discovery::ServiceConfig service);
  void Stop();

 private:
  MdnsDiscovery(const Clock& clock, Found found, std::unique_ptr<net::MdnsSocket> socket)
      : clock_(clock), found_(std::move(found)), socket_(std::move(socket)) {}
  void Run();

  const Clock& clock_;
  Found found_;
  std::unique_ptr<net::MdnsSocket> socket_;
  SystemRng rng_;  // the mDNS thread's
  std::mutex mu_;  // guards pending_
  std::optional<discovery::ServiceConfig> pending_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace dlog::node
