#include "config/config.h"

namespace dlog::config {

bool QuantumResistant(const Config& c, const ReplicationPeer& peer) {
  return peer.quantum_resistant.value_or(c.network.wireguard.quantum_resistant);
}

std::string_view Name(Discovery v) {
  switch (v) {
    case Discovery::kAuto:
      return "auto";
    case Discovery::kMdns:
      return "mdns";
    case Discovery::kDns:
      return "dns";
    case Discovery::kStatic:
      return "static";
  }
  return "?";
}

std::string_view Name(Protocol v) {
  switch (v) {
    case Protocol::kWireguard:
      return "wireguard";
    case Protocol::kTls:
      return "tls";
    case Protocol::kPlain:
      return "plain";
  }
  return "?";
}

std::string_view Name(Stack v) {
  switch (v) {
    case Stack::kAuto:
      return "auto";
    case Stack::kTun:
      return "tun";
    case Stack::kUserspace:
      return "userspace";
  }
  return "?";
}

std::string_view Name(PqAlgorithm v) {
  switch (v) {
    case PqAlgorithm::kKyber1024:
      return "kyber1024";
    case PqAlgorithm::kKyber768:
      return "kyber768";
  }
  return "?";
}

std::string_view Name(ReplicationMode v) {
  switch (v) {
    case ReplicationMode::kAsync:
      return "async";
    case ReplicationMode::kSync:
      return "sync";
  }
  return "?";
}

std::string_view Name(FsyncPolicy v) {
  switch (v) {
    case FsyncPolicy::kAlways:
      return "always";
    case FsyncPolicy::kInterval:
      return "interval";
    case FsyncPolicy::kNever:
      return "never";
  }
  return "?";
}

}  // namespace dlog::config
