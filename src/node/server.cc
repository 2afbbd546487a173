#include "node/server.h"

#include <poll.h>
#include <pthread.h>

#include <algorithm>
#include <cstring>

#include "admin/wg_quick.h"
#include "base/hex.h"
#include "base/log.h"
#include "crypto/x25519.h"
#include "discovery/txt.h"
#include "net/tun.h"
#include "net/uapi_server.h"
#include "node/link.h"
#include "node/peer_apply.h"
#include "node/tun_path.h"
#include "node/userspace_path.h"

namespace dlog::node {
namespace {

constexpr int kLabelWidth = 36;
constexpr auto kJoinWait = std::chrono::seconds(30);

pq::Algorithm PqAlgorithmOf(config::PqAlgorithm a) {
  return a == config::PqAlgorithm::kKyber768 ? pq::Algorithm::kKyber768 : pq::Algorithm::kKyber1024;
}

std::string Label(const char* text) {
  std::string s = text;
  if (s.size() < size_t(kLabelWidth)) s.resize(kLabelWidth, ' ');
  return s;
}

std::string EndpointHost(const wg::Endpoint& e) {
  std::string s = e.ToString();
  if (auto colon = s.rfind(':'); colon != std::string::npos) s.resize(colon);
  if (s.size() > 2 && s.front() == '[') s = s.substr(1, s.size() - 2);
  return s;
}

std::string DiscoveryName(bool mdns, bool seeds) {
  return mdns ? "mDNS" : seeds ? "seeds" : "the cluster";
}

}  // namespace

Server::Server(ServerOptions options) : options_(std::move(options)) {}

Server::~Server() {
  if (mdns_) mdns_->Stop();
  stopping_ = true;
  wake_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (admin_server_) admin_server_->Stop();
  if (runtime_) runtime_->Shutdown();
}

Result<std::unique_ptr<Server>> Server::Create(ServerOptions options) {
  std::unique_ptr<Server> s(new Server(std::move(options)));
  if (dlog::Status st = s->LoadIdentity(); !st.ok()) return st;
  return s;
}

dlog::Status Server::LoadIdentity() {
  const config::Config& c = options_.config;
  auto dir = cluster::DataDir::Open(c.node.data_dir);
  if (!dir.ok()) return dir.status();
  dir_.emplace(std::move(*dir));
  SystemRng rng;
  auto keys = dir_->LoadOrCreateNodeKeys(
      c.node.name, PqAlgorithmOf(c.network.wireguard.pq_algorithm), rng, &keys_created_);
  if (!keys.ok()) return keys.status();
  keys_.emplace(std::move(*keys));
  auto state = dir_->LoadState();
  if (!state.ok()) return state.status();
  if (*state) {
    auto decoded = cluster::DecodeState(**state);
    if (!decoded.ok())
      return dlog::Status::Error(dir_->FilePath("cluster.state") + ": " + decoded.error());
    state_.emplace(std::move(*decoded));
  }
  const char* how = keys_created_ ? "generated" : "loaded";
  fprintf(
      options_.out, "%s✓ Private key: %s  ✓ Public key: %s  ✓ Preshared key (Rosenpass): %s\n",
      Label(keys_created_ ? "Generating WireGuard keys..." : "Loading WireGuard keys...").c_str(),
      how, how, how);
  fflush(options_.out);
  return dlog::Status::Ok();
}

dlog::Status Server::BuildRuntime() {
  const config::WireguardConfig& w = options_.config.network.wireguard;
  std::unique_ptr<InnerPath> inner;
  if (options_.stack == stack::StackKind::kTun) {
    auto tun = net::Tun::Create(options_.interface, net::TunOptions{});
    if (!tun.ok())
      return dlog::Status::Error("creating TUN " + options_.interface + ": " + tun.error());
    options_.interface = (*tun)->name();
    inner = std::make_unique<TunPath>(std::move(*tun));
  } else {
    inner = std::make_unique<UserspacePath>();
  }
  inner_ = inner.get();
  RuntimeOptions ro;
  ro.udp.port = w.listen_port;
  // The `wg`-compatible socket, so `wg show <interface>` works; optional.
  std::string uapi_path = net::UapiSocketPath(options_.interface);
  if (auto fd = net::UapiServer::Listen(uapi_path); fd.ok()) {
    ro.uapi_fd = *fd;
    ro.uapi_path = uapi_path;
  } else {
    DLOG_INFO("no UAPI socket: %s", fd.error().c_str());
  }
  runtime_ = std::make_unique<Runtime>(std::move(inner), ro);
  if (w.quantum_resistant) {
    pq::ExchangeOptions po;
    po.algorithm = keys_->pq.algorithm;
    po.rekey_interval = w.rekey_interval;
    auto p =
        PqPath::Create(keys_->pq.public_key, crypto::MlKemDecapsKey(keys_->pq.secret_key.span()),
                       runtime_->rng(), po, runtime_->clock().Now());
    if (!p.ok()) return p.status();
    (*p)->SetRestartHandshakes(true);
    runtime_->SetPq(std::move(*p));
  }
  runtime_->SetEnrollmentHandler([this](const wg::Endpoint& from, ByteSpan bytes) {
    std::lock_guard lock(mu_);
    if (!node_) return;
    node_->OnUnderlayDatagram(from, bytes, NowLocked());
    CarryOut(node_->TakeOutput());
  });
  runtime_->SetMembershipHandler([this](const wg::PublicKey& peer, const OverlayUdp& msg) {
    std::lock_guard lock(mu_);
    if (!node_) return;
    node_->OnMeshDatagram(peer, msg.payload, NowLocked());
    CarryOut(node_->TakeOutput());
  });
  if (dlog::Status s = runtime_->Start(); !s.ok()) return s;
  wg::ConfigUpdate id;
  id.private_key = keys_->wg_private;
  id.listen_port = runtime_->listen_port();
  return runtime_->ApplyConfig(std::move(id));
}

cluster::Now Server::NowLocked() const {
  return {runtime_->clock().Now(), runtime_->clock().WallNow()};
}

dlog::Status Server::Start(int signal_fd) {
  if (dlog::Status s = BuildRuntime(); !s.ok()) return s;
  if (dlog::Status s = StartCluster(); !s.ok()) return s;
  if (dlog::Status s = StartMdns(); !s.ok()) return s;
  admin_server_ = std::make_unique<admin::AdminServer>(admin_backend_);
  auto local = stack::ListenUnix(dir_->FilePath(kAdminSocketName));
  if (!local.ok()) return local.status();
  admin_server_->ServeLocal(std::move(*local));
  {
    std::lock_guard lock(mu_);
    ServeAdminMesh();
  }
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "dlog-cluster");
    ClusterLoop();
  });
  return PrintReport(signal_fd);
}

dlog::Status Server::StartCluster() {
  const config::Config& c = options_.config;
  auto prefix = cluster::OverlayPrefix::Parse(c.cluster.overlay_cidr);
  if (!prefix.ok()) return prefix.status();
  cluster::NodeOptions no;
  no.prefix = *prefix;
  no.role = cluster::Role::kNode;
  no.listen_port = runtime_->listen_port();
  no.quantum_resistant = c.network.wireguard.quantum_resistant;
  const bool was_joined = state_ && state_->joined;
  std::lock_guard lock(mu_);
  node_ = std::make_unique<cluster::Node>(std::move(*keys_), no, std::move(state_), rng_);
  keys_.reset();
  const cluster::Now now = NowLocked();
  if (!was_joined && c.cluster.bootstrap) {
    cluster::ClusterKeys ck = cluster::GenerateClusterKeys(rng_);
    if (dlog::Status s = dir_->SaveClusterKeys(ck); !s.ok()) return s;
    if (dlog::Status s = node_->Bootstrap(ck, now); !s.ok()) return s;
    auto token =
        node_->CreateToken(cluster::Role::kNode, now.UnixSeconds() + kBootstrapTokenLifetime,
                           kBootstrapTokenUses, now);
    if (!token.ok()) return token.status();
    join_token_ = *token;
  } else if (!was_joined && !c.cluster.join_token.empty()) {
    if (dlog::Status s =
            node_->Join(c.cluster.join_token, options_.seeds, cluster::Role::kNode, now);
        !s.ok())
      return dlog::Status::Error("join token: " + s.message());
  } else if (!was_joined) {
    return dlog::Status::Error(
        "not a member of any cluster yet: start with --bootstrap to create one, or with "
        "--join <token> (from `dlog admin invite` on a member) to join one");
  }
  for (const wg::Endpoint& seed : options_.seeds)
    node_->OnCandidate(std::nullopt, seed.ToString(), seed, now);
  UpdateOwnEndpoints(now);
  CarryOut(node_->TakeOutput());
  if (node_->overlay_address()) ApplyAddress();
  return dlog::Status::Ok();
}

bool Server::UsesMdns() const {
  const config::Discovery d = options_.config.cluster.discovery;
  return d == config::Discovery::kAuto || d == config::Discovery::kMdns;
}

// Browsing starts at once (a joiner finds members with it); announcing once joined.
dlog::Status Server::StartMdns() {
  if (!UsesMdns()) return dlog::Status::Ok();
  auto m = MdnsDiscovery::Start(runtime_->clock(),
                                [this](const std::optional<cluster::PublicKey>& key,
                                       const std::string& instance, const wg::Endpoint& ep) {
                                  std::lock_guard lock(mu_);
                                  if (!node_ || (key && *key == node_->public_key())) return;
                                  node_->OnCandidate(key, instance, ep, NowLocked());
                                  CarryOut(node_->TakeOutput());
                                });
  if (!m.ok()) {
    if (options_.config.cluster.discovery == config::Discovery::kMdns)
      return dlog::Status::Error("mDNS: " + m.error());
    DLOG_INFO("no mDNS (%s): seeds and the cluster only", m.error().c_str());
    return dlog::Status::Ok();
  }
  mdns_ = std::move(*m);
  std::lock_guard lock(mu_);
  PublishMdns();
  return dlog::Status::Ok();
}

void Server::PublishMdns() {
  if (!mdns_ || mdns_published_ || !node_->joined()) return;
  discovery::ServiceConfig c;
  c.instance = node_->name();
  c.host = node_->name();
  c.port = runtime_->listen_port();
  // No key in TXT: a stranger on the LAN learns which hosts run a member, nothing more
  // (members learn each other's keys from the signed roster).
  c.txt = {{discovery::kTxtVersion, "1"},
           {discovery::kTxtCluster, cluster::FormatPin(node_->cluster_pin())}};
  for (const Ipv4& ip : LocalIpv4Addresses(options_.interface)) {
    if (c.addresses.size() == 16) break;
    c.addresses.push_back(discovery::IpAddress::V4(ip[0], ip[1], ip[2], ip[3]));
  }
  c.ipv4 = true;
  mdns_->Publish(std::move(c));
  mdns_published_ = true;
}

void Server::Wait(int signal_fd) {
  runtime_->Wait(signal_fd);
  if (mdns_) mdns_->Stop();
  stopping_ = true;
  wake_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (admin_server_) admin_server_->Stop();
}

void Server::ClusterLoop() {
  TimePoint next_status{}, next_endpoints = runtime_->clock().Now() + kOwnEndpointsInterval;
  while (!stopping_) {
    TimePoint deadline;
    {
      std::lock_guard lock(mu_);
      const cluster::Now now = NowLocked();
      if (now.mono >= next_status) {
        ReportPeerStatus(now);
        next_status = now.mono + kPeerStatusInterval;
      }
      if (now.mono >= next_endpoints) {
        UpdateOwnEndpoints(now);
        next_endpoints = now.mono + kOwnEndpointsInterval;
      }
      node_->Tick(now);
      CarryOut(node_->TakeOutput());
      deadline =
          std::min({node_->NextDeadline(), next_status, now.mono + std::chrono::milliseconds(250)});
    }
    std::unique_lock lock(wake_mu_);
    wake_cv_.wait_for(lock, deadline - runtime_->clock().Now(),
                      [this] { return stopping_.load(); });
  }
}

void Server::ReportPeerStatus(cluster::Now now) {
  const int64_t fresh = std::chrono::duration_cast<std::chrono::seconds>(kHandshakeFresh).count();
  const int64_t wall_s = now.UnixSeconds();
  for (const wg::PeerSnapshot& p : runtime_->device().Snapshot().peers) {
    const bool up = p.last_handshake_sec != 0 && wall_s - p.last_handshake_sec < fresh;
    node_->OnPeerStatus(p.public_key, up, now);
  }
}

void Server::UpdateOwnEndpoints(cluster::Now now) {
  std::vector<wg::Endpoint> eps;
  for (const Ipv4& ip : LocalIpv4Addresses(options_.interface)) {
    wg::Endpoint e;
    std::copy(ip.begin(), ip.end(), e.addr.begin());
    e.port = runtime_->listen_port();
    eps.push_back(e);
    if (eps.size() == cluster::kMaxEndpoints) break;
  }
  node_->SetOwnEndpoints(eps, now);
}

void Server::CarryOut(cluster::Output out) {
  // Adds first (a mesh datagram may be for a new peer), removals last (the removed member
  // still gets the roster that tells it so, through the tunnel about to go down).
  std::vector<cluster::PeerChange> removals;
  std::vector<cluster::PeerChange> others;
  for (cluster::PeerChange& c : out.peers)
    (c.kind == cluster::PeerChange::Kind::kRemove ? removals : others).push_back(std::move(c));
  if (!others.empty()) ApplyPeers(others);
  if (out.address_changed) ApplyAddress();
  if (out.address_changed) PublishMdns();
  for (const cluster::MeshDatagram& m : out.mesh)
    runtime_->SendMembership(Ipv4FromHost(m.overlay), m.bytes);
  if (!removals.empty()) ApplyPeers(removals);
  for (const cluster::UnderlayDatagram& u : out.underlay)
    runtime_->SendUnderlay(u.to, u.bytes, /*disguise=*/false);
  for (const std::string& e : out.events) Event(e);
  if (out.state_changed) SaveState();
  if (out.key_switch) {
    auto pending = dir_->LoadPendingKey();
    if (pending.ok() && *pending) {
      // The new key and, for every peer, a fresh start (removed and re-added as it is):
      // its persistent keepalive then begins with an initiation from the new key at once,
      // and the first handshake moves our address to it on the peer's side.
      wg::ConfigUpdate u;
      u.private_key = **pending;
      for (const wg::PeerSnapshot& p : runtime_->device().Snapshot().peers) {
        wg::PeerUpdate& gone = u.peers.emplace_back();
        gone.public_key = p.public_key;
        gone.remove = true;
        wg::PeerUpdate& back = u.peers.emplace_back();
        back.public_key = p.public_key;
        back.preshared_key = p.preshared_key;
        back.endpoint = p.endpoint;
        back.persistent_keepalive_interval = p.persistent_keepalive_interval;
        back.replace_allowed_ips = true;
        for (const wg::IpPrefix& a : p.allowed_ips) back.allowed_ips.push_back({a, false});
      }
      if (dlog::Status s = runtime_->ApplyConfig(std::move(u)); !s.ok())
        DLOG_ERROR("key switch: %s", s.message().c_str());
      if (dlog::Status s = dir_->SaveNodeKey(**pending); !s.ok())
        DLOG_ERROR("key switch: %s", s.message().c_str());
      (void)dir_->RemovePendingKey();
      Event("Switched to the rotated WireGuard key");
    }
  }
  if (out.removed) {
    removed_ = true;
    Event("This node was removed from the cluster; shutting down");
    runtime_->RequestStop("removed from the cluster");
  }
}

void Server::ApplyPeers(const std::vector<cluster::PeerChange>& changes) {
  PqPath* pq = runtime_->pq();
  wg::ConfigUpdate update;
  for (const cluster::PeerChange& c : changes) {
    if (pq && c.kind == cluster::PeerChange::Kind::kRemove) pq->RemovePeer(c.key);
    if (pq && c.kind != cluster::PeerChange::Kind::kRemove && c.pq_algorithm &&
        !pq->HasPeer(c.key)) {
      pq::PeerConfig pc;
      pc.public_key = c.pq_public_key;
      pc.wg_public_key = c.key;
      pc.endpoint = c.endpoint;
      // A rotated member keeps its PQ key: its exchange moves to the new WireGuard key.
      if (!pq->Rebind(pc)) {
        if (dlog::Status s = runtime_->AddPqPeer(pc); !s.ok())
          DLOG_ERROR("pq peer %s: %s", c.name.c_str(), s.message().c_str());
      }
    }
    update.peers.push_back(ToPeerUpdate(c));
  }
  if (dlog::Status s = runtime_->ApplyConfig(std::move(update)); !s.ok())
    DLOG_ERROR("applying peers: %s", s.message().c_str());
}

void Server::ApplyAddress() {
  auto addr = node_->overlay_address();
  if (!addr || address_applied_ == addr) return;
  const Ipv4 ip = Ipv4FromHost(*addr);
  runtime_->SetOverlayAddress(ip);
  auto prefix = cluster::OverlayPrefix::Parse(options_.config.cluster.overlay_cidr);
  const uint8_t len = prefix.ok() ? prefix->length : 24;
  dlog::Status s = dlog::Status::Ok();
  if (options_.stack == stack::StackKind::kTun) {
    s = ConfigureInterface(options_.interface, ip, len, net::kTunDefaultMtu);
  } else {
    stack::UserspaceConfig uc;
    std::copy(ip.begin(), ip.end(), uc.address.ip.bytes.begin());
    uc.address.prefix_len = len;
    s = static_cast<UserspacePath*>(inner_)->Attach(uc);
  }
  if (!s.ok()) {
    DLOG_ERROR("overlay address: %s", s.message().c_str());
    return;
  }
  address_applied_ = addr;
  ServeAdminMesh();
}

void Server::SaveState() {
  cluster::ClusterState st = node_->ExportState();
  if (dlog::Status s = dir_->SaveState(cluster::EncodeState(st)); !s.ok())
    DLOG_ERROR("saving the cluster state: %s", s.message().c_str());
  if (st.cluster_keys) {
    auto have = dir_->LoadClusterKeys();
    if (have.ok() && !*have) (void)dir_->SaveClusterKeys(*st.cluster_keys);
  }
}

// Before the start-up report, events go to the log only (the report sums them up).
void Server::Event(const std::string& line) {
  if (!report_done_) {
    DLOG_INFO("%s", line.c_str());
    return;
  }
  fprintf(options_.out, "%s\n", line.c_str());
  fflush(options_.out);
}

// Waits until joined and every other member's tunnel had a handshake (or the timeouts),
// then prints the rest of the seed's report.
dlog::Status Server::PrintReport(int signal_fd) {
  const TimePoint start = runtime_->clock().Now();
  bool joined = false;
  for (;;) {
    pollfd p{signal_fd, POLLIN, 0};
    if (poll(&p, 1, 100) > 0) return dlog::Status::Error("interrupted during start-up");
    std::lock_guard lock(mu_);
    const TimePoint now = runtime_->clock().Now();
    joined = node_->joined();
    if (!joined && (node_->join_failed() || now - start > kJoinWait)) break;
    if (!joined) continue;
    size_t others = 0, up = 0;
    for (const auto& m : node_->ListMembers()) {
      if (m.self || m.record.removed) continue;
      ++others;
      up += m.peer_up;
    }
    bool all_up = others > 0 && up == others;
    if (all_up || others == 0 || now - start > kJoinWait + kStartupReportTimeout) break;
    if (now - start > kStartupReportTimeout && up > 0) break;
  }
  NodeStatus st = GetStatus();
  std::lock_guard lock(mu_);
  std::string found, tunnels;
  for (const MemberStatus& m : st.members) {
    if (m.self) continue;
    found += "  ✓ Found " + m.name + " at " +
             (m.endpoint ? EndpointHost(*wg::Endpoint::Parse(*m.endpoint)) : m.overlay);
    tunnels += (m.last_handshake ? "  ✓ Tunnel to " + m.name + ": established"
                                 : "  ✗ Tunnel to " + m.name + ": waiting for a handshake");
  }
  if (found.empty()) found = "  (none yet: first member)";
  if (tunnels.empty()) tunnels = "  (none yet)";
  std::string label =
      "Discovering peers via " + DiscoveryName(mdns_ != nullptr, !options_.seeds.empty()) + "...";
  fprintf(options_.out, "%s%s\n", Label(label.c_str()).c_str(), found.c_str() + 2);
  fprintf(options_.out, "%s%s\n", Label("Configuring WireGuard tunnels...").c_str(),
          tunnels.c_str() + 2);
  if (!joined) {
    fprintf(options_.out,
            "Not joined yet: no member answered with a valid admission (still trying)\n");
  } else {
    fprintf(options_.out, "Cluster ready! Node ID: %s\n", node_->name().c_str());
    fprintf(options_.out, "WireGuard endpoint: %s\n", st.overlay.c_str());
  }
  if (!join_token_.empty()) fprintf(options_.out, "Join token: %s\n", join_token_.c_str());
  report_done_ = true;
  fflush(options_.out);
  return dlog::Status::Ok();
}

NodeStatus Server::GetStatus() {
  std::lock_guard lock(mu_);
  NodeStatus s;
  s.name = node_->name();
  s.public_key = ToBase64(node_->public_key());
  if (auto a = node_->overlay_address()) s.overlay = cluster::FormatOverlay(*a);
  s.cluster = cluster::FormatPin(node_->cluster_pin());
  s.stack = std::string(stack::StackKindName(options_.stack));
  s.listen_port = runtime_->listen_port();
  s.joined = node_->joined();
  const cluster::Counters& c = node_->counters();
  s.counters = {{"malformed", c.malformed},
                {"join_rate_limited", c.join_rate_limited},
                {"join_unknown_token", c.join_unknown_token},
                {"join_expired", c.join_expired},
                {"join_used_up", c.join_used_up},
                {"join_revoked", c.join_revoked},
                {"join_bad_aead", c.join_bad_aead},
                {"join_stale", c.join_stale},
                {"join_removed_key", c.join_removed_key},
                {"join_admitted", c.join_admitted},
                {"accept_bad", c.accept_bad},
                {"mesh_not_member", c.mesh_not_member},
                {"mesh_bad_signature", c.mesh_bad_signature}};
  wg::DeviceSnapshot snap = runtime_->device().Snapshot();
  for (const cluster::MemberView& m : node_->ListMembers()) {
    if (m.record.removed) continue;
    MemberStatus ms;
    ms.name = m.record.name;
    ms.public_key = ToBase64(m.record.key);
    ms.role = cluster::RoleName(m.record.role);
    ms.overlay = cluster::FormatOverlay(m.record.overlay);
    ms.self = m.self;
    for (const wg::PeerSnapshot& p : snap.peers) {
      if (p.public_key != m.record.key) continue;
      if (p.endpoint) ms.endpoint = p.endpoint->ToString();
      ms.last_handshake = p.last_handshake_sec;
      ms.rx_bytes = p.rx_bytes;
      ms.tx_bytes = p.tx_bytes;
    }
    if (!ms.endpoint && !m.self && !m.record.endpoints.empty())
      ms.endpoint = m.record.endpoints.front().ToString();
    if (PqPath* pq = runtime_->pq(); pq && !m.self) {
      if (auto ps = pq->PeerState(m.record.key)) {
        ms.pq = ps->has_pq_psk ? "active" : "pending";
        ms.pq_epoch = ps->epoch;
      }
    }
    s.members.push_back(std::move(ms));
  }
  return s;
}

Result<std::string> Server::CreateToken(cluster::Role role, int64_t ttl_seconds,
                                        uint32_t max_uses) {
  std::lock_guard lock(mu_);
  const cluster::Now now = NowLocked();
  auto t = node_->CreateToken(role, now.UnixSeconds() + ttl_seconds, max_uses, now);
  CarryOut(node_->TakeOutput());
  wake_cv_.notify_all();
  return t;
}

dlog::Status Server::RevokeToken(std::string_view id_hex) {
  auto bytes = FromHex(id_hex);
  if (!bytes || bytes->size() != cluster::kTokenIdSize)
    return dlog::Status::Error("a token id is 16 hex digits");
  cluster::TokenId id;
  std::copy(bytes->begin(), bytes->end(), id.begin());
  std::lock_guard lock(mu_);
  dlog::Status s = node_->RevokeToken(id, NowLocked());
  CarryOut(node_->TakeOutput());
  wake_cv_.notify_all();
  return s;
}

dlog::Status Server::RemoveMember(std::string_view name_or_key) {
  std::lock_guard lock(mu_);
  std::optional<cluster::PublicKey> key;
  for (const cluster::MemberView& m : node_->ListMembers())
    if (!m.record.removed &&
        (m.record.name == name_or_key || ToBase64(m.record.key) == name_or_key))
      key = m.record.key;
  if (!key) return dlog::Status::Error("no member " + std::string(name_or_key));
  dlog::Status s = node_->RemoveMember(*key, NowLocked());
  CarryOut(node_->TakeOutput());
  wake_cv_.notify_all();
  return s;
}

std::optional<admin::Caller> Server::IdentifyCaller(const stack::IpAddress& remote) {
  if (remote.v6) return std::nullopt;
  const uint32_t addr =
      Ipv4ToHost(Ipv4{remote.bytes[0], remote.bytes[1], remote.bytes[2], remote.bytes[3]});
  std::lock_guard lock(mu_);
  for (const cluster::MemberView& m : node_->ListMembers())
    if (!m.record.removed && m.record.overlay == addr)
      return admin::Caller{false, m.record.name, m.record.role};
  return std::nullopt;
}

nlohmann::json Server::TokensJson() {
  std::lock_guard lock(mu_);
  nlohmann::json a = nlohmann::json::array();
  for (const cluster::TokenRecord& t : node_->ListTokens()) {
    a.push_back({{"id", ToHex(t.id)},
                 {"role", cluster::RoleName(t.role)},
                 {"expiry_unix", t.expiry_unix},
                 {"max_uses", t.max_uses},
                 {"uses", t.TotalUses()},
                 {"revoked", t.revoked}});
  }
  return a;
}

Result<std::string> Server::Invite(cluster::Role role, std::string_view name) {
  std::lock_guard lock(mu_);
  const crypto::X25519Private priv = crypto::GeneratePrivateKey(rng_);
  const cluster::PublicKey pub = crypto::PublicKeyOf(priv);
  auto rec = node_->AddMember(pub, name, role, NowLocked());
  CarryOut(node_->TakeOutput());
  wake_cv_.notify_all();
  if (!rec.ok()) return rec.status();
  admin::WgQuickConfig c;
  c.private_key = ToBase64(priv.span());
  c.addresses.push_back(cluster::FormatOverlay(rec->overlay) + "/32");
  for (const cluster::MemberView& m : node_->ListMembers()) {
    if (m.record.removed || m.record.role != cluster::Role::kNode) continue;
    admin::WgQuickPeer p;
    p.comment = m.record.name;
    p.public_key = ToBase64(m.record.key);
    if (!m.record.endpoints.empty()) p.endpoint = m.record.endpoints.front().ToString();
    p.allowed_ips.push_back(cluster::FormatOverlay(m.record.overlay) + "/32");
    p.persistent_keepalive = 25;
    c.peers.push_back(std::move(p));
  }
  return admin::RenderWgQuick(c);
}

Result<std::string> Server::RotateKeys() {
  std::lock_guard lock(mu_);
  auto key = node_->RotateOwnKeys(NowLocked());
  if (!key.ok()) return key.status();
  if (dlog::Status s = dir_->SavePendingKey(*key); !s.ok()) return s;
  CarryOut(node_->TakeOutput());
  wake_cv_.notify_all();
  const cluster::PublicKey pub = crypto::PublicKeyOf(*key);
  Event("Rotating the WireGuard key to " + ToBase64(pub));
  return ToBase64(pub);
}

// The admin API on overlay :admin_port, for members (tun: a kernel socket on the TUN's
// address; userspace: an lwIP listener).
void Server::ServeAdminMesh() {
  if (!admin_server_ || admin_mesh_served_ || !address_applied_) return;
  const Ipv4 ip = Ipv4FromHost(*address_applied_);
  Result<std::unique_ptr<stack::Listener>> l = dlog::Status::Error("no stack");
  const uint16_t port = options_.config.network.admin_port;
  if (options_.stack == stack::StackKind::kTun) {
    kernel_stack_ =
        std::make_unique<stack::KernelStack>(stack::IpAddress::V4(ip[0], ip[1], ip[2], ip[3]));
    l = kernel_stack_->Listen(port);
  } else if (auto* st = static_cast<UserspacePath*>(inner_)->stack()) {
    l = st->Listen(port);
  }
  if (!l.ok()) {
    DLOG_ERROR("admin API on the overlay: %s", l.error().c_str());
    return;
  }
  admin_server_->ServeMesh(std::move(*l));
  admin_mesh_served_ = true;
}

}  // namespace dlog::node
