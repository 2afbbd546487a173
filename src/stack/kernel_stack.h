// KernelStack: the `tun` stack. The WireGuard device writes decrypted packets to a
// kernel TUN interface that carries our overlay address; services use ordinary TCP
// sockets bound to that address (listeners bind to it, so nothing listens on the
// underlay network; outgoing connections take it as their source).
//
// The TUN interface itself (creation, address, routes) belongs to the node; this class
// only needs the address to bind to. Works as well on any local address (tests use
// 127.0.0.1 without privileges).
//
// Thread-safety: as stack.h. Blocking calls wait in poll(); Close() shuts the socket
// down, which wakes every waiter, and the descriptor is closed on destruction.
#pragma once

#include <memory>
#include <string>

#include "stack/stack.h"

namespace dlog::stack {

class KernelStack final : public Stack {
 public:
  explicit KernelStack(IpAddress overlay) : address_(overlay) {}

  std::string_view name() const override { return "tun"; }
  IpAddress address() const override { return address_; }
  Result<std::unique_ptr<Listener>> Listen(uint16_t port) override;
  Result<std::unique_ptr<Stream>> Connect(const SocketAddress& remote, Timeout timeout) override;

 private:
  IpAddress address_;
};

// A Unix-domain stream socket at `path` (the node's admin socket in its data
// directory): created 0600 before it listens, so only the owner connects. A stale
// socket file left by a process that died is replaced; a live one is an error.
// Accepted streams report 0.0.0.0:0 as their peer.
Result<std::unique_ptr<Listener>> ListenUnix(const std::string& path);
Result<std::unique_ptr<Stream>> ConnectUnix(const std::string& path, Timeout timeout);

}  // namespace dlog::stack
