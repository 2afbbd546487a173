#include "node/pq_path.h"

#include <algorithm>

#include "base/log.h"

namespace dlog::node {
namespace {

// Sets the PSK of an existing WireGuard peer only (never creates one).
wg::PeerUpdate PskOnly(const pq::WgPublicKey& wg_key, const Secret<32>& psk) {
  wg::PeerUpdate p;
  p.public_key = wg_key;
  p.update_only = true;
  p.preshared_key = psk;
  return p;
}

}  // namespace

Result<std::unique_ptr<PqPath>> PqPath::Create(Bytes public_key, crypto::MlKemDecapsKey secret_key,
                                               Rng& rng, const pq::ExchangeOptions& options,
                                               TimePoint now) {
  auto ex = pq::Exchange::Create(std::move(public_key), std::move(secret_key), rng, options, now);
  if (!ex.ok()) return ex.status();
  return std::unique_ptr<PqPath>(new PqPath(std::move(*ex)));
}

Status PqPath::AddPeerBeforeStart(const pq::PeerConfig& config, TimePoint now) {
  std::lock_guard lock(mu_);
  auto id = ex_->AddPeer(config, now, pq_out_);
  if (!id.ok()) return id.status();
  ids_[config.wg_public_key] = *id;
  for (const pq::PskUpdate& u : pq_out_.psk_updates) psks_[u.wg_public_key] = u.psk;
  pq_out_.Clear();
  return Status::Ok();
}

Status PqPath::AddPeer(wg::Device& device, const pq::PeerConfig& config, TimePoint now,
                       WallTime wall, wg::Output& out) {
  std::lock_guard lock(mu_);
  if (ids_.count(config.wg_public_key)) return Status::Ok();
  auto id = ex_->AddPeer(config, now, pq_out_);
  if (!id.ok()) {
    pq_out_.Clear();
    return id.status();
  }
  ids_[config.wg_public_key] = *id;
  Process(device, now, wall, out);
  return Status::Ok();
}

void PqPath::RemovePeer(const pq::WgPublicKey& wg_key) {
  std::lock_guard lock(mu_);
  auto it = ids_.find(wg_key);
  if (it == ids_.end()) return;
  ex_->RemovePeer(it->second);
  ids_.erase(it);
  psks_.erase(wg_key);
  restarts_.erase(wg_key);
}

bool PqPath::Rebind(const pq::PeerConfig& config) {
  std::lock_guard lock(mu_);
  auto id = ex_->FindPeer(config.public_key);
  if (!id) return false;
  for (auto it = ids_.begin(); it != ids_.end(); ++it) {
    if (it->second != *id) continue;
    const pq::WgPublicKey old = it->first;
    ids_.erase(it);
    ids_[config.wg_public_key] = *id;
    ex_->SetWireGuardKey(*id, config.wg_public_key);
    if (auto psk = psks_.find(old); psk != psks_.end()) psks_[config.wg_public_key] = psk->second;
    return true;
  }
  return false;
}

bool PqPath::HasPeer(const pq::WgPublicKey& wg_key) const {
  std::lock_guard lock(mu_);
  return ids_.count(wg_key) != 0;
}

Status PqPath::ApplyWithPsks(wg::Device& device, wg::ConfigUpdate update, TimePoint now,
                             WallTime wall, wg::Output& out) {
  std::lock_guard lock(mu_);
  for (wg::PeerUpdate& p : update.peers) {
    if (p.remove) continue;
    if (auto it = psks_.find(p.public_key); it != psks_.end()) p.preshared_key = it->second;
  }
  return device.ApplyConfig(update, now, wall, out);
}

void PqPath::Handle(wg::Device& device, const wg::Endpoint& from, ByteSpan data, TimePoint now,
                    WallTime wall, wg::Output& out) {
  std::lock_guard lock(mu_);
  ex_->HandleDatagram(from, data, now, pq_out_);
  Process(device, now, wall, out);
}

void PqPath::Tick(wg::Device& device, TimePoint now, WallTime wall, wg::Output& out) {
  std::lock_guard lock(mu_);
  for (auto it = restarts_.begin(); it != restarts_.end();) {
    if (it->second > now) {
      ++it;
      continue;
    }
    RestartHandshake(device, it->first, now, wall, out);
    it = restarts_.erase(it);
  }
  if (now < ex_->NextDeadline()) return;
  ex_->Tick(now, pq_out_);
  Process(device, now, wall, out);
}

TimePoint PqPath::NextDeadline() const {
  std::lock_guard lock(mu_);
  TimePoint t = ex_->NextDeadline();
  for (const auto& [key, due] : restarts_) t = std::min(t, due);
  return t;
}

std::optional<Secret<32>> PqPath::PskFor(const pq::WgPublicKey& wg_key) const {
  std::lock_guard lock(mu_);
  auto it = psks_.find(wg_key);
  if (it == psks_.end()) return std::nullopt;
  return it->second;
}

void PqPath::ReapplyAll(wg::Device& device, TimePoint now, WallTime wall, wg::Output& out) {
  std::lock_guard lock(mu_);
  wg::ConfigUpdate u;
  for (const auto& [wg_key, psk] : psks_) u.peers.push_back(PskOnly(wg_key, psk));
  if (Status s = device.ApplyConfig(u, now, wall, out); !s.ok())
    DLOG_ERROR("pq: re-applying PSKs: %s", s.message().c_str());
}

std::optional<PqPeerState> PqPath::PeerState(const pq::WgPublicKey& wg_key) const {
  std::lock_guard lock(mu_);
  auto it = ids_.find(wg_key);
  if (it == ids_.end()) return std::nullopt;
  auto st = ex_->GetPeerStatus(it->second);
  if (!st) return std::nullopt;
  return PqPeerState{st->has_pq_psk, st->epoch, st->last_exchange};
}

pq::ExchangeCounters PqPath::Counters() const {
  std::lock_guard lock(mu_);
  return ex_->counters();
}

// Under mu_: removes and re-adds the peer as it is (PSK included) when it has no keypair;
// its persistent keepalive then begins with an initiation right away.
void PqPath::RestartHandshake(wg::Device& device, const pq::WgPublicKey& wg_key, TimePoint now,
                              WallTime wall, wg::Output& out) {
  for (const wg::PeerSnapshot& p : device.Snapshot().peers) {
    if (p.public_key != wg_key) continue;
    if (p.has_current_keypair || p.has_next_keypair || p.persistent_keepalive_interval == 0) return;
    wg::ConfigUpdate u;
    wg::PeerUpdate& gone = u.peers.emplace_back();
    gone.public_key = wg_key;
    gone.remove = true;
    wg::PeerUpdate& back = u.peers.emplace_back();
    back.public_key = wg_key;
    back.preshared_key = p.preshared_key;
    back.endpoint = p.endpoint;
    back.persistent_keepalive_interval = p.persistent_keepalive_interval;
    back.replace_allowed_ips = true;
    for (const wg::IpPrefix& a : p.allowed_ips) back.allowed_ips.push_back({a, false});
    if (Status s = device.ApplyConfig(u, now, wall, out); !s.ok())
      DLOG_ERROR("pq: restarting a handshake: %s", s.message().c_str());
    return;
  }
}

// Under mu_: applies pq_out_'s PSK updates in order and moves its datagrams to `out`.
// The exchange's datagrams go first: an EmptyData must reach the initiator (who installs
// the key on it) before a handshake initiation made with that key.
void PqPath::Process(wg::Device& device, TimePoint now, WallTime wall, wg::Output& out) {
  for (const pq::Output::Datagram& d : pq_out_.datagrams) {
    MutableByteSpan slot = out.AddDatagram(d.to, d.bytes.size());
    std::copy(d.bytes.begin(), d.bytes.end(), slot.begin());
  }
  for (const pq::PskUpdate& u : pq_out_.psk_updates) {
    psks_[u.wg_public_key] = u.psk;
    wg::ConfigUpdate cu;
    cu.peers.push_back(PskOnly(u.wg_public_key, u.psk));
    if (Status s = device.ApplyConfig(cu, now, wall, out); !s.ok())
      DLOG_ERROR("pq: setting a PSK: %s", s.message().c_str());
    DLOG_INFO("pq: peer %u PSK %s, epoch %llu", u.peer,
              u.source == pq::PskSource::kExchange ? "exchanged" : "random",
              (unsigned long long)u.epoch);
    if (restart_handshakes_ && u.source == pq::PskSource::kExchange &&
        restarts_.size() < ids_.size())
      restarts_.emplace(u.wg_public_key, now + kRestartDelay);
  }
  pq_out_.Clear();
}

}  // namespace dlog::node
