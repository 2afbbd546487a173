#include "net/uapi_device.h"

#include "base/log.h"

namespace dlog::net {

wg::ConfigUpdate ToConfigUpdate(uapi::SetRequest& req) {
  wg::ConfigUpdate u;
  if (req.private_key) u.private_key = std::move(*req.private_key);
  u.listen_port = req.listen_port;
  u.fwmark = req.fwmark;
  u.replace_peers = req.replace_peers;
  for (uapi::PeerChange& p : req.peers) {
    wg::PeerUpdate& w = u.peers.emplace_back();
    w.public_key = p.public_key;
    w.remove = p.remove;
    w.update_only = p.update_only;
    if (p.preshared_key) w.preshared_key = std::move(*p.preshared_key);
    w.endpoint = p.endpoint;
    w.persistent_keepalive_interval = p.persistent_keepalive_interval;
    w.replace_allowed_ips = p.replace_allowed_ips;
    for (const uapi::AllowedIpChange& a : p.allowed_ips)
      w.allowed_ips.push_back({a.prefix, a.remove});
  }
  return u;
}

uapi::DeviceState ToDeviceState(const wg::DeviceSnapshot& snap) {
  uapi::DeviceState s;
  if (snap.private_key) s.private_key = *snap.private_key;
  s.listen_port = snap.listen_port;
  s.fwmark = snap.fwmark;
  for (const wg::PeerSnapshot& p : snap.peers) {
    uapi::PeerState& q = s.peers.emplace_back();
    q.public_key = p.public_key;
    if (p.preshared_key) q.preshared_key = *p.preshared_key;
    q.endpoint = p.endpoint;
    q.last_handshake_time_sec = p.last_handshake_sec;
    q.last_handshake_time_nsec = p.last_handshake_nsec;
    q.tx_bytes = p.tx_bytes;
    q.rx_bytes = p.rx_bytes;
    q.persistent_keepalive_interval = p.persistent_keepalive_interval;
    q.allowed_ips = p.allowed_ips;
  }
  return s;
}

uapi::DeviceState DeviceUapiHandler::Get() {
  uapi::DeviceState s = ToDeviceState(device_.Snapshot());
  s.listen_port = bind_.port();
  return s;
}

std::optional<uapi::Error> DeviceUapiHandler::Apply(const wg::ConfigUpdate& update, int64_t code) {
  out_.Clear();
  Status st = device_.ApplyConfig(update, clock_.Now(), clock_.WallNow(), out_);
  if (!out_.empty()) flush_(out_);
  out_.Clear();
  if (!st.ok()) return uapi::Error{code, st.message()};
  return std::nullopt;
}

std::optional<uapi::Error> DeviceUapiHandler::Set(const uapi::SetRequest& req) {
  uapi::SetRequest copy = req;
  wg::ConfigUpdate all = ToConfigUpdate(copy);
  std::optional<uapi::Error> err;
  if (all.private_key) {
    wg::ConfigUpdate key_only;
    key_only.private_key = std::move(all.private_key);
    all.private_key.reset();
    err = Apply(key_only, uapi::kErrInvalid);
  }
  if (!err && all.listen_port) {
    Status st = bind_.Rebind(*all.listen_port);
    if (!st.ok())
      err = uapi::Error{uapi::kErrPortInUse, "failed to set listen_port: " + st.message()};
  }
  if (!err && all.fwmark) {
    Status st = bind_.SetMark(*all.fwmark);
    if (!st.ok())
      err = uapi::Error{uapi::kErrPortInUse, "failed to update fwmark: " + st.message()};
  }
  if (!err) err = Apply(all, uapi::kErrInvalid);
  if (err) DLOG_ERROR("uapi: %s", err->message.c_str());
  config_changed_();
  return err;
}

}  // namespace dlog::net
