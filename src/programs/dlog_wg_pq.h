// dlog-wg's post-quantum PSK exchange (pq::Exchange, docs/PQ.md "Integrating into
// dlog-wg") on the WireGuard port. Included by dlog_wg.cc only; off unless configured.
//
//   DLOG_WG_PQ_CONFIG=PATH  a file in dlog-pq's format (pq/daemon_config.h): secret_key,
//                           algorithm, rekey_interval and one [peer] section per PQ peer
//                           (endpoint = the peer's WireGuard endpoint, optional);
//                           interface, listen and uapi_dir are ignored.
//
// POLICY (quantum_resistant = true): the PSK slot of every configured WireGuard peer
// holds a random key until the first exchange with it completes, and again whenever
// the exchange goes stale, so no classical-only session can carry data. A WireGuard
// peer may be created later over UAPI: PqUapiHandler gives every peer block of a set that
// names a PQ peer the latest PSK (so no such peer ever exists with an empty slot), and
// the daemon calls ReapplyAll after every set, in case an exchange completed meanwhile.
// A PSK set with `wg` for a PQ peer is thus overridden.
//
// THREADS: every method may be called from any thread; `mu_` serialises the exchange
// and the PSK writes, so updates reach the device in the order the exchange made them.
// Lock order: mu_ before the device's locks (the device never calls back).
#pragma once

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>

#include "base/clock.h"
#include "base/log.h"
#include "base/result.h"
#include "base/rng.h"
#include "base/secret.h"
#include "net/uapi.h"
#include "net/uapi_session.h"
#include "pq/daemon_config.h"
#include "pq/exchange.h"
#include "pq/keys.h"
#include "pq/messages.h"
#include "wg/device.h"

namespace dlog {

class PqPath {
 public:
  // Null when DLOG_WG_PQ_CONFIG is unset; an error names the file and the problem.
  // `rng` must outlive the path.
  static Result<std::unique_ptr<PqPath>> FromEnvironment(Rng& rng, TimePoint now) {
    const char* path = getenv("DLOG_WG_PQ_CONFIG");
    if (!path || !*path) return std::unique_ptr<PqPath>();
    std::ifstream f(path);
    if (!f) return Status::Error(std::string("cannot read ") + path);
    std::stringstream text;
    text << f.rdbuf();
    auto c = pq::ParseDaemonConfig(text.str(), path, /*validate=*/false);
    if (!c.ok()) return c.status();
    pq::DaemonConfig check = *c;  // interface and listen are dlog-wg's own
    check.interface = "wg0";
    check.listen = wg::Endpoint::Parse("127.0.0.1:1").value();
    if (Status s = pq::ValidateDaemonConfig(check); !s.ok())
      return Status::Error(std::string(path) + ": " + s.message());
    auto kp = pq::ReadSecretKeyFile(c->secret_key);
    if (!kp.ok()) return kp.status();
    if (kp->algorithm != c->algorithm)
      return Status::Error(c->secret_key + ": key of another algorithm than " +
                           pq::AlgorithmName(c->algorithm));
    pq::ExchangeOptions opt;
    opt.algorithm = c->algorithm;
    opt.rekey_interval = c->rekey_interval;
    auto ex = pq::Exchange::Create(kp->public_key, std::move(kp->secret_key), rng, opt, now);
    if (!ex.ok()) return ex.status();
    std::unique_ptr<PqPath> p(new PqPath(std::move(*ex)));
    if (Status s = p->AddPeers(*c, now); !s.ok()) return s;
    DLOG_INFO("pq: exchange on the WireGuard port, %zu peers, %s", c->peers.size(),
              pq::AlgorithmName(c->algorithm));
    return p;
  }

  // For a datagram with pq::IsPqDatagram(data): datagrams to send go to `out`.
  void Handle(wg::Device& device, const wg::Endpoint& from, ByteSpan data, TimePoint now,
              WallTime wall, wg::Output& out) {
    std::lock_guard lock(mu_);
    ex_->HandleDatagram(from, data, now, pq_out_);
    Process(device, now, wall, out);
  }

  void Tick(wg::Device& device, TimePoint now, WallTime wall, wg::Output& out) {
    std::lock_guard lock(mu_);
    if (now < ex_->NextDeadline()) return;
    ex_->Tick(now, pq_out_);
    Process(device, now, wall, out);
  }

  TimePoint NextDeadline() const {
    std::lock_guard lock(mu_);
    return ex_->NextDeadline();
  }

  // Sets the latest PSK in every block of `req` that creates or updates a PQ peer.
  void OverridePsks(net::uapi::SetRequest& req) const {
    std::lock_guard lock(mu_);
    for (net::uapi::PeerChange& p : req.peers) {
      if (p.remove) continue;
      if (auto it = psks_.find(p.public_key); it != psks_.end()) p.preshared_key = it->second;
    }
  }

  // Writes the latest PSK of every PQ peer into the device again (after a UAPI set).
  void ReapplyAll(wg::Device& device, TimePoint now, WallTime wall, wg::Output& out) {
    std::lock_guard lock(mu_);
    wg::ConfigUpdate u;
    for (const auto& [wg_key, psk] : psks_) u.peers.push_back(PskOnly(wg_key, psk));
    if (Status s = device.ApplyConfig(u, now, wall, out); !s.ok())
      DLOG_ERROR("pq: re-applying PSKs: %s", s.message().c_str());
  }

 private:
  explicit PqPath(std::unique_ptr<pq::Exchange> ex) : ex_(std::move(ex)) {}

  // Sets the PSK of an existing WireGuard peer only (never creates one).
  static wg::PeerUpdate PskOnly(const pq::WgPublicKey& wg_key, const Secret<32>& psk) {
    wg::PeerUpdate p;
    p.public_key = wg_key;
    p.update_only = true;
    p.preshared_key = psk;
    return p;
  }

  static Result<pq::PublicKey> LoadPeerKey(const std::string& spec) {
    if (spec.rfind(pq::kPublicKeyTag, 0) == 0) return pq::ParsePublicKey(spec);
    return pq::ReadPublicKeyFile(spec);
  }

  // Before any thread runs: the initial random PSKs only fill psks_ (the WireGuard
  // peers arrive later over UAPI and get them from ReapplyAll).
  Status AddPeers(const pq::DaemonConfig& c, TimePoint now) {
    for (const pq::DaemonPeer& p : c.peers) {
      auto key = LoadPeerKey(p.public_key);
      if (!key.ok()) return key.status();
      if (key->algorithm != c.algorithm)
        return Status::Error(p.public_key + ": key of another algorithm than " +
                             pq::AlgorithmName(c.algorithm));
      pq::PeerConfig pc;
      pc.public_key = key->bytes;
      pc.wg_public_key = p.wireguard_public_key;
      pc.endpoint = p.endpoint;
      auto id = ex_->AddPeer(pc, now, pq_out_);
      if (!id.ok()) return Status::Error(p.public_key + ": " + id.error());
    }
    for (const pq::PskUpdate& u : pq_out_.psk_updates) psks_[u.wg_public_key] = u.psk;
    pq_out_.Clear();  // initiations leave at the first Tick (the socket is not open yet)
    return Status::Ok();
  }

  // Under mu_: applies pq_out_'s PSK updates in order and moves its datagrams to `out`.
  void Process(wg::Device& device, TimePoint now, WallTime wall, wg::Output& out) {
    for (const pq::PskUpdate& u : pq_out_.psk_updates) {
      psks_[u.wg_public_key] = u.psk;
      wg::ConfigUpdate cu;
      cu.peers.push_back(PskOnly(u.wg_public_key, u.psk));
      if (Status s = device.ApplyConfig(cu, now, wall, out); !s.ok())
        DLOG_ERROR("pq: setting a PSK: %s", s.message().c_str());
      DLOG_INFO("pq: peer %u PSK %s, epoch %llu", u.peer,
                u.source == pq::PskSource::kExchange ? "exchanged" : "random",
                (unsigned long long)u.epoch);
    }
    for (const pq::Output::Datagram& d : pq_out_.datagrams) {
      MutableByteSpan slot = out.AddDatagram(d.to, d.bytes.size());
      std::copy(d.bytes.begin(), d.bytes.end(), slot.begin());
    }
    pq_out_.Clear();
  }

  mutable std::mutex mu_;
  std::unique_ptr<pq::Exchange> ex_;
  pq::Output pq_out_;  // reused under mu_
  // The latest PSK per WireGuard peer; one entry per configured PQ peer (bounded).
  std::map<pq::WgPublicKey, Secret<32>> psks_;
};

// The UAPI handler of dlog-wg: `inner`'s, with PQ PSKs put into set requests (when the
// PQ path is on; `pq` is read at each call, set once before the UAPI server starts).
class PqUapiHandler : public net::uapi::UapiHandler {
 public:
  PqUapiHandler(net::uapi::UapiHandler& inner, const std::unique_ptr<PqPath>& pq)
      : inner_(inner), pq_(pq) {}
  net::uapi::DeviceState Get() override { return inner_.Get(); }
  std::optional<net::uapi::Error> Set(const net::uapi::SetRequest& req) override {
    if (!pq_) return inner_.Set(req);
    net::uapi::SetRequest copy = req;
    pq_->OverridePsks(copy);
    return inner_.Set(copy);
  }

 private:
  net::uapi::UapiHandler& inner_;
  const std::unique_ptr<PqPath>& pq_;
};

}  // namespace dlog
