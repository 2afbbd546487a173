#include "net/uapi.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <limits>

namespace dlog::net::uapi {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decimal digits only, as Go's strconv.ParseUint(s, 10, bits): no sign, no spaces.
template <typename T>
std::optional<T> ParseUnsigned(std::string_view s) {
  if (s.empty()) return std::nullopt;
  for (char c : s)
    if (c < '0' || c > '9') return std::nullopt;
  T v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

void AppendKey(std::string& out, std::string_view name, const uint8_t* key) {
  out.append(name);
  out.push_back('=');
  for (size_t i = 0; i < 32; ++i) {
    out.push_back(kHexDigits[key[i] >> 4]);
    out.push_back(kHexDigits[key[i] & 0xf]);
  }
  out.push_back('\n');
}

template <typename T>
void AppendNumber(std::string& out, std::string_view name, T value) {
  out.append(name);
  out.push_back('=');
  out.append(std::to_string(value));
  out.push_back('\n');
}

Secret<32> ToSecret(Key& k) {
  Secret<32> s(std::span<const uint8_t, 32>(k.data(), 32));
  SecureZero(k.data(), k.size());
  return s;
}

Error Invalid(std::string message) { return Error{kErrInvalid, std::move(message)}; }

// Applies one key=value line to the request being built, as wireguard-go's
// handleDeviceLine / handlePeerLine would.
class SetParser {
 public:
  std::optional<Error> Line(std::string_view key, std::string_view value) {
    if (key == "public_key") return PublicKey(value);
    return in_device_ ? DeviceLine(key, value) : PeerLine(key, value);
  }
  SetRequest Take() { return std::move(req_); }

 private:
  std::optional<Error> PublicKey(std::string_view value) {
    auto key = ParseHexKey(value);
    if (!key) return Invalid("failed to get peer by public key: invalid hex key");
    in_device_ = false;
    dummy_ = false;
    req_.peers.emplace_back().public_key = *key;
    return std::nullopt;
  }

  std::optional<Error> DeviceLine(std::string_view key, std::string_view value) {
    if (key == "private_key") {
      auto k = ParseHexKey(value);
      if (!k) return Invalid("failed to set private_key: invalid hex key");
      req_.private_key = ToSecret(*k);
    } else if (key == "listen_port") {
      auto port = ParseUnsigned<uint16_t>(value);
      if (!port) return Invalid("failed to parse listen_port: " + std::string(value));
      req_.listen_port = *port;
    } else if (key == "fwmark") {
      auto mark = ParseUnsigned<uint32_t>(value);
      if (!mark) return Invalid("invalid fwmark: " + std::string(value));
      req_.fwmark = *mark;
    } else if (key == "replace_peers") {
      if (value != "true")
        return Invalid("failed to set replace_peers, invalid value: " + std::string(value));
      req_.replace_peers = true;
    } else {
      return Invalid("invalid UAPI device key: " + std::string(key));
    }
    return std::nullopt;
  }

  std::optional<Error> PeerLine(std::string_view key, std::string_view value) {
    PeerChange& peer = req_.peers.back();
    if (key == "update_only") {
      if (value != "true")
        return Invalid("failed to set update only, invalid value: " + std::string(value));
      if (!dummy_) peer.update_only = true;
    } else if (key == "remove") {
      if (value != "true")
        return Invalid("failed to set remove, invalid value: " + std::string(value));
      if (!dummy_) {
        Key pk = peer.public_key;
        peer = PeerChange{};
        peer.public_key = pk;
        peer.remove = true;
      }
      dummy_ = true;  // later lines of this block are checked but have no effect
    } else if (key == "preshared_key") {
      auto k = ParseHexKey(value);
      if (!k) return Invalid("failed to set preshared key: invalid hex key");
      if (!dummy_) peer.preshared_key = ToSecret(*k);
      SecureZero(k->data(), k->size());
    } else if (key == "endpoint") {
      auto ep = ParseEndpoint(value);
      if (!ep) return Invalid("failed to set endpoint " + std::string(value));
      if (!dummy_) peer.endpoint = *ep;
    } else if (key == "persistent_keepalive_interval") {
      auto secs = ParseUnsigned<uint16_t>(value);
      if (!secs)
        return Invalid("failed to set persistent keepalive interval: " + std::string(value));
      if (!dummy_) peer.persistent_keepalive_interval = *secs;
    } else if (key == "replace_allowed_ips") {
      if (value != "true")
        return Invalid("failed to replace allowedips, invalid value: " + std::string(value));
      if (!dummy_) {
        peer.replace_allowed_ips = true;
        peer.allowed_ips.clear();
      }
    } else if (key == "allowed_ip") {
      return AllowedIp(peer, value);
    } else if (key == "protocol_version") {
      if (value != "1") return Invalid("invalid protocol version: " + std::string(value));
    } else {
      return Invalid("invalid UAPI peer key: " + std::string(key));
    }
    return std::nullopt;
  }

  std::optional<Error> AllowedIp(PeerChange& peer, std::string_view value) {
    bool remove = !value.empty() && value.front() == '-';
    if (remove) value.remove_prefix(1);
    auto prefix = ParsePrefix(value);
    if (!prefix) return Invalid("failed to set allowed ip: " + std::string(value));
    if (!dummy_) peer.allowed_ips.push_back({*prefix, remove});
    return std::nullopt;
  }

  SetRequest req_;
  bool in_device_ = true;
  bool dummy_ = false;  // the current peer block was removed: ignore its later lines
};

}  // namespace

std::optional<Key> ParseHexKey(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  Key key{};
  for (size_t i = 0; i < 32; ++i) {
    int hi = HexValue(hex[2 * i]), lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      SecureZero(key.data(), key.size());
      return std::nullopt;
    }
    key[i] = uint8_t(hi << 4 | lo);
  }
  return key;
}

std::optional<wg::IpPrefix> ParsePrefix(std::string_view s) {
  auto slash = s.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string addr(s.substr(0, slash));
  std::string_view bits_text = s.substr(slash + 1);
  // Go's netip.ParsePrefix: decimal bits, no sign, no leading zero.
  if (bits_text.size() > 1 && bits_text.front() == '0') return std::nullopt;
  auto bits = ParseUnsigned<unsigned>(bits_text);
  if (!bits) return std::nullopt;
  wg::IpPrefix p;
  p.v6 = addr.find(':') != std::string::npos;
  if (inet_pton(p.v6 ? AF_INET6 : AF_INET, addr.c_str(), p.addr.data()) != 1) return std::nullopt;
  unsigned max_bits = p.v6 ? 128 : 32;
  if (*bits > max_bits) return std::nullopt;
  p.bits = uint8_t(*bits);
  for (unsigned i = 0; i < max_bits / 8; ++i) {
    unsigned keep = p.bits > 8 * i ? std::min(8u, p.bits - 8 * i) : 0;
    p.addr[i] &= uint8_t(0xff00 >> keep);
  }
  return p;
}

std::string FormatPrefix(const wg::IpPrefix& p) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(p.v6 ? AF_INET6 : AF_INET, p.addr.data(), buf, sizeof buf);
  return std::string(buf) + "/" + std::to_string(p.bits);
}

std::optional<wg::Endpoint> ParseEndpoint(std::string_view s) { return wg::Endpoint::Parse(s); }

SetParse ParseSet(std::string_view body) {
  SetParser parser;
  std::optional<Error> error;
  while (!body.empty() && !error) {
    size_t nl = body.find('\n');
    std::string_view line = body.substr(0, nl);
    body = nl == std::string_view::npos ? std::string_view() : body.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // as bufio.ScanLines
    if (line.empty()) break;
    if (line.size() > kMaxLineBytes) {
      error = Error{kErrIo, "failed to read input: line too long"};
      break;
    }
    auto eq = line.find('=');
    if (eq == std::string_view::npos) {
      error =
          Error{kErrProtocol, "failed to parse line \"" + std::string(line.substr(0, 64)) + "\""};
      break;
    }
    error = parser.Line(line.substr(0, eq), line.substr(eq + 1));
  }
  return SetParse{parser.Take(), std::move(error)};
}

std::string FormatGet(const DeviceState& state) {
  std::string out;
  if (state.private_key && !state.private_key->IsZero())
    AppendKey(out, "private_key", state.private_key->data());
  if (state.listen_port != 0) AppendNumber(out, "listen_port", state.listen_port);
  if (state.fwmark != 0) AppendNumber(out, "fwmark", state.fwmark);
  for (const PeerState& peer : state.peers) {
    AppendKey(out, "public_key", peer.public_key.data());
    AppendKey(out, "preshared_key", peer.preshared_key.data());
    out += "protocol_version=1\n";
    if (peer.endpoint && peer.endpoint->IsSet())
      out += "endpoint=" + peer.endpoint->ToString() + "\n";
    AppendNumber(out, "last_handshake_time_sec", peer.last_handshake_time_sec);
    AppendNumber(out, "last_handshake_time_nsec", peer.last_handshake_time_nsec);
    AppendNumber(out, "tx_bytes", peer.tx_bytes);
    AppendNumber(out, "rx_bytes", peer.rx_bytes);
    AppendNumber(out, "persistent_keepalive_interval", peer.persistent_keepalive_interval);
    for (const wg::IpPrefix& p : peer.allowed_ips) out += "allowed_ip=" + FormatPrefix(p) + "\n";
  }
  out += FormatErrno(0);
  return out;
}

std::string FormatErrno(int64_t code) { return "errno=" + std::to_string(code) + "\n\n"; }

}  // namespace dlog::net::uapi
