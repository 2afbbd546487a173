// dlog-wg's post-quantum PSK exchange (node::PqPath, docs/PQ.md "Integrating into
// dlog-wg") on the WireGuard port, configured from the environment. Included by dlog_wg.cc
// only; off unless configured.
//
//   DLOG_WG_PQ_CONFIG=PATH  a file in dlog-pq's format (pq/daemon_config.h): secret_key,
//                           algorithm, rekey_interval and one [peer] section per PQ peer
//                           (endpoint = the peer's WireGuard endpoint, optional);
//                           interface, listen and uapi_dir are ignored.
//
// The WireGuard peers arrive later over UAPI; node::PqUapiHandler gives each the latest
// PSK and the runtime re-applies every PSK after each set (policy: node/pq_path.h).
#pragma once

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "base/clock.h"
#include "base/log.h"
#include "base/result.h"
#include "base/rng.h"
#include "node/pq_path.h"
#include "pq/daemon_config.h"
#include "pq/keys.h"

namespace dlog {

// Null when DLOG_WG_PQ_CONFIG is unset; an error names the file and the problem. `rng`
// must outlive the path.
inline Result<std::unique_ptr<node::PqPath>> PqPathFromEnvironment(Rng& rng, TimePoint now) {
  const char* path = getenv("DLOG_WG_PQ_CONFIG");
  if (!path || !*path) return std::unique_ptr<node::PqPath>();
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
  auto p = node::PqPath::Create(kp->public_key, std::move(kp->secret_key), rng, opt, now);
  if (!p.ok()) return p.status();
  for (const pq::DaemonPeer& peer : c->peers) {
    auto key = peer.public_key.rfind(pq::kPublicKeyTag, 0) == 0
                   ? pq::ParsePublicKey(peer.public_key)
                   : pq::ReadPublicKeyFile(peer.public_key);
    if (!key.ok()) return key.status();
    if (key->algorithm != c->algorithm)
      return Status::Error(peer.public_key + ": key of another algorithm than " +
                           pq::AlgorithmName(c->algorithm));
    pq::PeerConfig pc;
    pc.public_key = key->bytes;
    pc.wg_public_key = peer.wireguard_public_key;
    pc.endpoint = peer.endpoint;
    if (Status s = (*p)->AddPeerBeforeStart(pc, now); !s.ok())
      return Status::Error(peer.public_key + ": " + s.message());
  }
  DLOG_INFO("pq: exchange on the WireGuard port, %zu peers, %s", c->peers.size(),
            pq::AlgorithmName(c->algorithm));
  return p;
}

}  // namespace dlog
