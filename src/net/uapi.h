// The cross-platform userspace configuration protocol (https://www.wireguard.com/xplatform/)
// spoken by `wg` and `wg-quick` over /var/run/wireguard/<ifname>.sock. Sans-I/O: plain
// strings in, plain strings out; the device is reached only through UapiHandler.
//
// Wire format (every line ends in '\n'; an empty line ends a request or a response):
//
//   get:  "get=1\n\n"  →  "key=value\n" ... "errno=0\n\n"
//   set:  "set=1\n" "key=value\n" ... "\n"  →  "errno=N\n\n"
//
// Set keys: device keys first (private_key, listen_port, fwmark, replace_peers); then,
// per peer, public_key= followed by its keys (remove, update_only, preshared_key, endpoint,
// persistent_keepalive_interval, replace_allowed_ips, allowed_ip, protocol_version).
// "allowed_ip=-<prefix>" removes one prefix (wireguard-tools ≥ 1.0.20250521 emits it for
// `wg set … allowed-ips -<prefix>`; wireguard-go accepts it). Keys are 64 hex digits.
//
// Errors are wireguard-go's: N is a negative errno (wg negates it back: errno = -N).
// Like wireguard-go, a set request takes effect line by line: the lines before the first
// bad one are applied, the rest are not, and the response carries the error.
#pragma once

#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/secret.h"
#include "wg/allowed_ips.h"
#include "wg/endpoint.h"

namespace dlog::net::uapi {

// The "errno=" values wireguard-go's ipc package answers with.
inline constexpr int64_t kErrIo = -EIO;                // I/O error or line too long
inline constexpr int64_t kErrProtocol = -EPROTO;       // a line without '='
inline constexpr int64_t kErrInvalid = -EINVAL;        // unknown key or bad value
inline constexpr int64_t kErrPortInUse = -EADDRINUSE;  // listen_port/fwmark failed
inline constexpr int64_t kErrUnknown = -55;            // anything else

// Bounds on what a client may send (wireguard-go's bufio.Scanner stops at 64 KiB lines).
inline constexpr size_t kMaxLineBytes = 64 * 1024;
inline constexpr size_t kMaxRequestBytes = 16 * 1024 * 1024;

struct Error {
  int64_t code = 0;     // one of kErr*
  std::string message;  // for the log; never contains key material
};

using Key = ByteArray<32>;

struct AllowedIpChange {
  wg::IpPrefix prefix;  // host bits already cleared
  bool remove = false;  // "allowed_ip=-…"
  friend bool operator==(const AllowedIpChange&, const AllowedIpChange&) = default;
};

// One peer block of a set request, keys in the order the block gave them, folded:
// replace_allowed_ips drops the allowed_ip changes seen before it in the same block, so
// applying `replace_allowed_ips` then `allowed_ips` in order is exactly equivalent.
struct PeerChange {
  Key public_key{};
  bool remove = false;
  bool update_only = false;
  std::optional<Secret<32>> preshared_key;  // all-zero means "no PSK"
  std::optional<wg::Endpoint> endpoint;
  std::optional<uint16_t> persistent_keepalive_interval;
  bool replace_allowed_ips = false;
  std::vector<AllowedIpChange> allowed_ips;
};

// A parsed set request. Apply device fields, then peers in order (a public key may repeat;
// each block applies after the previous one).
struct SetRequest {
  std::optional<Secret<32>> private_key;  // all-zero means "remove the private key"
  std::optional<uint16_t> listen_port;
  std::optional<uint32_t> fwmark;  // 0 clears it
  bool replace_peers = false;
  std::vector<PeerChange> peers;
};

// Parses the body of a set request: the lines after "set=1\n", without the terminating
// empty line. On a bad line, `request` holds everything before it and `error` is set.
struct SetParse {
  SetRequest request;
  std::optional<Error> error;
};
SetParse ParseSet(std::string_view body);

// What a get answers, as `wg show` needs it. Zero/empty fields are omitted as wireguard-go
// omits them (private_key, listen_port, fwmark, endpoint).
struct PeerState {
  Key public_key{};
  Secret<32> preshared_key;  // zero: none
  std::optional<wg::Endpoint> endpoint;
  int64_t last_handshake_time_sec = 0;  // Unix time; 0: never
  int64_t last_handshake_time_nsec = 0;
  uint64_t tx_bytes = 0;
  uint64_t rx_bytes = 0;
  uint16_t persistent_keepalive_interval = 0;
  std::vector<wg::IpPrefix> allowed_ips;
};
struct DeviceState {
  std::optional<Secret<32>> private_key;
  uint16_t listen_port = 0;
  uint32_t fwmark = 0;
  std::vector<PeerState> peers;
};

// The get response's key=value lines followed by "errno=0\n\n".
std::string FormatGet(const DeviceState& state);
// "errno=<code>\n\n".
std::string FormatErrno(int64_t code);

// Parsers for single values, shared with tests and tools.
std::optional<Key> ParseHexKey(std::string_view hex);         // exactly 64 hex digits, any case
std::optional<wg::IpPrefix> ParsePrefix(std::string_view s);  // "a.b.c.d/n", "x::y/n"
std::string FormatPrefix(const wg::IpPrefix& p);
std::optional<wg::Endpoint> ParseEndpoint(std::string_view s);  // numeric, as wg sends it

}  // namespace dlog::net::uapi
