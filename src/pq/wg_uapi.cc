#include "pq/wg_uapi.h"

#include <cstring>

#include "base/hex.h"

namespace dlog::pq {

std::string FormatSetPsk(const WgPublicKey& peer, const Key& psk) {
  std::string hex = ToHex(psk.span());
  std::string req =
      "set=1\npublic_key=" + ToHex(peer) + "\nupdate_only=true\npreshared_key=" + hex + "\n\n";
  SecureZero(hex.data(), hex.size());
  return req;
}

bool UapiResponseComplete(std::string_view buf) {
  return buf.size() >= 2 && buf.substr(buf.size() - 2) == "\n\n";
}

Status ParseUapiSetResponse(std::string_view r) {
  if (!UapiResponseComplete(r)) return Status::Error("incomplete UAPI response");
  constexpr std::string_view kErrno = "errno=";
  size_t at = r.find(kErrno);
  if (at == std::string_view::npos || (at != 0 && r[at - 1] != '\n'))
    return Status::Error("UAPI response without errno");
  std::string_view v = r.substr(at + kErrno.size());
  v = v.substr(0, v.find('\n'));
  if (v == "0") return Status::Ok();
  long code = 0;
  try {
    code = std::stol(std::string(v));
  } catch (...) {
    return Status::Error("UAPI response with a bad errno: " + std::string(v));
  }
  // wireguard-go answers negative errnos (wg negates them back).
  const int e = int(code < 0 ? -code : code);
  return Status::Error("WireGuard refused the PSK: errno=" + std::string(v) + " (" +
                       std::strerror(e) + ")");
}

}  // namespace dlog::pq
