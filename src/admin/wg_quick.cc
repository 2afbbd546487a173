#include "admin/wg_quick.h"

#include <sstream>

#include "base/hex.h"
#include "wg/allowed_ips.h"

namespace dlog::admin {
namespace {

Status CheckKey(const std::string& b64, const std::string& what) {
  auto raw = FromBase64(b64);
  if (!raw || raw->size() != 32) return Status::Error(what + ": not a 32-byte base64 key");
  return Status::Ok();
}

Status CheckPrefixes(const std::vector<std::string>& prefixes, const std::string& what) {
  for (const auto& p : prefixes) {
    if (!wg::IpPrefix::Parse(p))
      return Status::Error(what + ": \"" + p + "\" is not a CIDR prefix");
  }
  return Status::Ok();
}

Status CheckLine(const std::string& s, const std::string& what) {
  if (s.find_first_of("\r\n") != std::string::npos) {
    return Status::Error(what + ": must be one line");
  }
  return Status::Ok();
}

Status CheckPeer(const WgQuickPeer& p, size_t i) {
  std::string what = "peer " + std::to_string(i + 1);
  if (auto s = CheckLine(p.comment, what + " comment"); !s) return s;
  if (auto s = CheckLine(p.endpoint, what + " endpoint"); !s) return s;
  if (auto s = CheckKey(p.public_key, what + " public key"); !s) return s;
  if (p.preshared_key) {
    if (auto s = CheckKey(*p.preshared_key, what + " preshared key"); !s) return s;
  }
  if (auto s = CheckPrefixes(p.allowed_ips, what + " allowed IPs"); !s) return s;
  if (p.persistent_keepalive < 0 || p.persistent_keepalive > 65535) {
    return Status::Error(what + ": persistent keepalive must be 0..65535 seconds");
  }
  return Status::Ok();
}

Status Check(const WgQuickConfig& c) {
  if (auto s = CheckKey(c.private_key, "interface private key"); !s) return s;
  if (auto s = CheckPrefixes(c.addresses, "interface address"); !s) return s;
  if (c.listen_port && (*c.listen_port < 0 || *c.listen_port > 65535)) {
    return Status::Error("interface listen port must be 0..65535");
  }
  if (c.mtu && (*c.mtu < 576 || *c.mtu > 65535)) {
    return Status::Error("interface MTU must be 576..65535");
  }
  for (size_t i = 0; i < c.peers.size(); ++i) {
    if (auto s = CheckPeer(c.peers[i], i); !s) return s;
  }
  return Status::Ok();
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

void WritePeer(std::ostringstream& out, const WgQuickPeer& p) {
  out << "\n";
  if (!p.comment.empty()) out << "# " << p.comment << "\n";
  out << "[Peer]\nPublicKey = " << p.public_key << "\n";
  if (p.preshared_key) out << "PresharedKey = " << *p.preshared_key << "\n";
  if (!p.endpoint.empty()) out << "Endpoint = " << p.endpoint << "\n";
  if (!p.allowed_ips.empty()) out << "AllowedIPs = " << Join(p.allowed_ips) << "\n";
  if (p.persistent_keepalive) out << "PersistentKeepalive = " << p.persistent_keepalive << "\n";
}

}  // namespace

Result<std::string> RenderWgQuick(const WgQuickConfig& config) {
  if (auto s = Check(config); !s) return s;
  std::ostringstream out;
  out << "[Interface]\nPrivateKey = " << config.private_key << "\n";
  if (!config.addresses.empty()) out << "Address = " << Join(config.addresses) << "\n";
  if (config.listen_port) out << "ListenPort = " << *config.listen_port << "\n";
  if (config.mtu) out << "MTU = " << *config.mtu << "\n";
  for (const auto& p : config.peers) WritePeer(out, p);
  return out.str();
}

}  // namespace dlog::admin
