#include "pq/daemon_config.h"

#include <charconv>
#include <sstream>

#include "base/hex.h"

namespace dlog::pq {

namespace {

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) --e;
  return std::string(s.substr(b, e - b));
}

Status Bad(const std::string& where, const std::string& key, const std::string& expected) {
  return Status::Error(where + ": " + key + ": expected " + expected);
}

bool ValidInterfaceName(const std::string& s) {
  if (s.empty() || s.size() > 15) return false;
  for (char c : s)
    if (!(std::isalnum(uint8_t(c)) || c == '-' || c == '_' || c == '.')) return false;
  return true;
}

}  // namespace

std::optional<Duration> ParseDuration(std::string_view s) {
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || n == 0 || n > 1'000'000) return std::nullopt;
  std::string_view unit = s.substr(size_t(p - s.data()));
  using namespace std::chrono;
  if (unit.empty() || unit == "s") return seconds(n);
  if (unit == "ms") return milliseconds(n);
  if (unit == "m") return minutes(n);
  if (unit == "h") return hours(n);
  return std::nullopt;
}

Status SetDaemonKey(DaemonConfig& c, const std::string& key, const std::string& v,
                    const std::string& where) {
  if (key == "interface") {
    if (!ValidInterfaceName(v)) return Bad(where, key, "an interface name like wg0");
    c.interface = v;
  } else if (key == "listen") {
    auto ep = wg::Endpoint::Parse(v);
    if (!ep) return Bad(where, key, "an address and port like 0.0.0.0:51830 or [::]:51830");
    c.listen = *ep;
  } else if (key == "secret_key") {
    if (v.empty()) return Bad(where, key, "the path of a secret key file");
    c.secret_key = v;
  } else if (key == "algorithm" || key == "pq_algorithm") {
    auto a = AlgorithmFromName(v);
    if (!a) return Bad(where, key, "kyber1024 or kyber768");
    c.algorithm = *a;
  } else if (key == "rekey_interval") {
    auto d = ParseDuration(v);
    if (!d || *d < std::chrono::seconds(1))
      return Bad(where, key, "a duration of at least 1 s, like 120s or 2m");
    c.rekey_interval = *d;
  } else if (key == "uapi_dir") {
    if (v.empty()) return Bad(where, key, "a directory");
    c.uapi_dir = v;
  } else {
    return Status::Error(where + ": unknown key '" + key +
                         "' (expected interface, listen, secret_key, algorithm, "
                         "rekey_interval, uapi_dir or a [peer] section)");
  }
  return Status::Ok();
}

Status SetPeerKey(DaemonPeer& p, const std::string& key, const std::string& v,
                  const std::string& where) {
  if (key == "public_key") {
    if (v.empty()) return Bad(where, key, "a PQ public key file or key");
    p.public_key = v;
  } else if (key == "wireguard_public_key") {
    auto raw = FromBase64(v);
    if (!raw || raw->size() != 32)
      return Bad(where, key, "a WireGuard public key (44 characters of base64)");
    std::copy(raw->begin(), raw->end(), p.wireguard_public_key.begin());
  } else if (key == "endpoint") {
    auto ep = wg::Endpoint::Parse(v);
    if (!ep) return Bad(where, key, "an address and port like 192.0.2.1:51830");
    p.endpoint = *ep;
  } else {
    return Status::Error(where + ": unknown peer key '" + key +
                         "' (expected public_key, wireguard_public_key or endpoint)");
  }
  return Status::Ok();
}

Result<DaemonConfig> ParseDaemonConfig(std::string_view text, const std::string& name,
                                       bool validate) {
  DaemonConfig c;
  std::istringstream in{std::string(text)};
  std::string line;
  DaemonPeer* peer = nullptr;
  for (int n = 1; std::getline(in, line); ++n) {
    const std::string where = name + ":" + std::to_string(n);
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    const std::string t = Trim(line);
    if (t.empty()) continue;
    if (t == "[peer]") {
      c.peers.emplace_back();
      peer = &c.peers.back();
      continue;
    }
    if (t.front() == '[') return Status::Error(where + ": unknown section " + t);
    const size_t eq = t.find('=');
    if (eq == std::string::npos) return Status::Error(where + ": expected key = value");
    const std::string key = Trim(t.substr(0, eq)), value = Trim(t.substr(eq + 1));
    Status s = peer ? SetPeerKey(*peer, key, value, where) : SetDaemonKey(c, key, value, where);
    if (!s.ok()) return s;
  }
  if (!validate) return c;
  if (Status s = ValidateDaemonConfig(c); !s.ok()) return Status::Error(name + ": " + s.message());
  return c;
}

Status ValidateDaemonConfig(const DaemonConfig& c) {
  if (c.interface.empty()) return Status::Error("interface is not set");
  if (!c.listen.IsSet()) return Status::Error("listen is not set");
  if (c.secret_key.empty()) return Status::Error("secret_key is not set");
  if (c.peers.empty()) return Status::Error("no [peer] configured");
  for (size_t i = 0; i < c.peers.size(); ++i) {
    const std::string which = "peer " + std::to_string(i + 1);
    if (c.peers[i].public_key.empty()) return Status::Error(which + ": public_key is not set");
    if (c.peers[i].wireguard_public_key == WgPublicKey{})
      return Status::Error(which + ": wireguard_public_key is not set");
  }
  return Status::Ok();
}

}  // namespace dlog::pq
