// Server: a cluster member at run time — the cluster core (cluster::Node) driven over a
// Runtime (WireGuard device, PQ exchange, inner path), with the data directory, the
// start-up report, discovery (mDNS and seeds) and the admin API (admin::AdminServer). dlog-server
// is a thin main() around it.
//
// Data flow:
//   underlay 0x91..0x9F  → Runtime enrollment hook → Node::OnUnderlayDatagram
//   overlay UDP 9094     → Runtime membership hook → Node::OnMeshDatagram
//   seeds                → Node::Join targets and Node::OnCandidate
//   device snapshot      → Node::OnPeerStatus (every kPeerStatusInterval)
//   Node output          → underlay sends, mesh sends, device/PQ peer changes, state file,
//                          the overlay address on the TUN / userspace stack, events
//
// THREADS: the cluster thread ("dlog-cluster") ticks the core and polls the device; the
// runtime's UDP reader runs the hooks. `mu_` serialises every call into the core and the
// carrying out of its output; lock order: mu_ before PqPath's and the device's locks.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "admin/admin_backend.h"
#include "admin/admin_server.h"
#include "cluster/data_dir.h"
#include "cluster/node.h"
#include "config/config.h"
#include "node/admin_backend.h"
#include "node/mdns_discovery.h"
#include "node/runtime.h"
#include "node/status.h"
#include "stack/choose.h"
#include "stack/kernel_stack.h"

namespace dlog::node {

inline constexpr auto kPeerStatusInterval = std::chrono::seconds(2);
inline constexpr auto kOwnEndpointsInterval = std::chrono::seconds(30);
inline constexpr auto kHandshakeFresh = std::chrono::seconds(180);
inline constexpr auto kStartupReportTimeout = std::chrono::seconds(10);
inline constexpr int64_t kBootstrapTokenLifetime = 24 * 3600;  // seconds
inline constexpr uint32_t kBootstrapTokenUses = 16;
inline constexpr char kAdminSocketName[] = "admin.sock";

struct ServerOptions {
  config::Config config;
  std::string interface = "dlog0";  // the TUN interface (tun stack)
  stack::StackKind stack = stack::StackKind::kTun;
  std::vector<wg::Endpoint> seeds;  // resolved --seed / cluster.seeds
  FILE* out = stdout;               // the start-up report and later events
};

class Server {
 public:
  // Opens the data directory, loads or generates the keys, reads the cluster state, and
  // prints the first report line. Nothing runs yet.
  static Result<std::unique_ptr<Server>> Create(ServerOptions options);
  ~Server();

  // Starts the runtime, bootstraps or joins, and starts the cluster thread and the admin
  // socket; then waits (up to kStartupReportTimeout) for the mesh and prints the rest of
  // the report. Errors (bad token, no TUN, port in use) stop start-up.
  // A signal on `signal_fd` during start-up ends it (Start returns an error).
  Status Start(int signal_fd);
  // Blocks until a signal on `signal_fd`, a stop request (removed from the cluster, the
  // TUN deleted), then shuts down.
  void Wait(int signal_fd);

  NodeStatus GetStatus();
  // The admin API's operations (NodeAdminBackend), each under the lock.
  std::optional<admin::Caller> IdentifyCaller(const stack::IpAddress& remote);
  nlohmann::json TokensJson();
  Result<std::string> CreateToken(cluster::Role role, int64_t ttl_seconds, uint32_t max_uses);
  dlog::Status RevokeToken(std::string_view id_hex);
  dlog::Status RemoveMember(std::string_view name_or_key);
  // A stock WireGuard member: a new key pair, an overlay address, and its wg-quick text
  // with every node as a [Peer] (a secret: returned once, never stored).
  Result<std::string> Invite(cluster::Role role, std::string_view name);
  // Starts a rotation of this node's WireGuard key: the new key is stored as pending
  // (0600) and the device switches to it when the cluster core says so (CarryOut).
  // Returns the new public key, base64.
  Result<std::string> RotateKeys();

  // Whether this member was removed from the cluster (Wait returned because of it).
  bool removed() const { return removed_; }

 private:
  explicit Server(ServerOptions options);
  dlog::Status LoadIdentity();
  dlog::Status BuildRuntime();
  dlog::Status StartCluster();
  void ClusterLoop();
  cluster::Now NowLocked() const;
  void CarryOut(cluster::Output out);  // under mu_
  void ApplyPeers(const std::vector<cluster::PeerChange>& changes);
  void ApplyAddress();
  void SaveState();
  void ReportPeerStatus(cluster::Now now);
  void UpdateOwnEndpoints(cluster::Now now);
  dlog::Status PrintReport(int signal_fd);
  void Event(const std::string& line);
  bool UsesMdns() const;
  dlog::Status StartMdns();
  void PublishMdns();     // under mu_, once joined
  void ServeAdminMesh();  // under mu_, once the overlay address is set

  ServerOptions options_;
  SystemRng rng_;  // the cluster core's (used under mu_)
  std::optional<cluster::DataDir> dir_;
  std::optional<cluster::NodeKeys> keys_;
  bool keys_created_ = false;
  std::optional<cluster::ClusterState> state_;
  std::unique_ptr<Runtime> runtime_;
  InnerPath* inner_ = nullptr;  // owned by runtime_
  NodeAdminBackend admin_backend_{*this};
  std::unique_ptr<stack::KernelStack> kernel_stack_;  // tun: for the mesh listener
  std::unique_ptr<admin::AdminServer> admin_server_;  // admin.sock and overlay :admin_port
  bool admin_mesh_served_ = false;                    // under mu_
  std::unique_ptr<MdnsDiscovery> mdns_;  // null when discovery is static/dns or mDNS failed
  bool mdns_published_ = false;          // under mu_

  mutable std::mutex mu_;  // guards node_, report_done_, address_applied_
  std::unique_ptr<cluster::Node> node_;
  bool report_done_ = false;
  std::optional<uint32_t> address_applied_;
  std::string join_token_;  // printed by a bootstrapping node; a credential

  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> removed_{false};
  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
};

}  // namespace dlog::node
