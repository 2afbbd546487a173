// PqUapiHandler: a UAPI handler whose set requests carry the PQ PSKs. Every peer block of
// a set that creates or updates a PQ peer gets that peer's latest PSK, so no such peer is
// ever created with an empty slot, and a PSK set with `wg` for a PQ peer is overridden.
// `pq` is read at each call (set once before the UAPI server starts); null: pass-through.
#pragma once

#include "net/uapi.h"
#include "node/pq_path.h"

namespace dlog::node {

class PqUapiHandler : public net::uapi::UapiHandler {
 public:
  PqUapiHandler(net::uapi::UapiHandler& inner, const std::unique_ptr<PqPath>& pq)
      : inner_(inner), pq_(pq) {}
  net::uapi::DeviceState Get() override { return inner_.Get(); }
  std::optional<net::uapi::Error> Set(const net::uapi::SetRequest& req) override {
    if (!pq_) return inner_.Set(req);
    net::uapi::SetRequest copy = req;
    for (net::uapi::PeerChange& p : copy.peers) {
      if (p.remove) continue;
      if (auto psk = pq_->PskFor(p.public_key)) p.preshared_key = *psk;
    }
    return inner_.Set(copy);
  }

 private:
  net::uapi::UapiHandler& inner_;
  const std::unique_ptr<PqPath>& pq_;
};

}  // namespace dlog::node
