// InnerPath: where a node's decrypted IP packets go, and where the IP packets it encrypts
// come from: a kernel TUN (node/tun_path.h) or a userspace TCP/IP stack.
//
// The runtime (node/runtime.h) is the path's InnerSink: the path's reader thread(s) hand
// it IP packets read from the stack, and the runtime's threads call Deliver with decrypted
// packets. Thread-safety: Deliver from any thread (each caller passes its own spans);
// Start, Shutdown once each, from the owner's thread; Mtu/IsUp from any thread.
#pragma once

#include <span>

#include "base/bytes.h"
#include "base/result.h"

namespace dlog::node {

class InnerSink {
 public:
  virtual ~InnerSink() = default;
  // IP packets from the stack, to be routed to peers (on a reader thread of the path).
  virtual void FromInner(std::span<const ByteSpan> packets) = 0;
  // A packet was read, so the link is up (TUN: before the link watcher notices).
  virtual void InnerLinkUp() = 0;
  // The path can no longer run (interface deleted, read error): the node stops.
  virtual void InnerStopped(const char* why) = 0;
};

class InnerPath {
 public:
  virtual ~InnerPath() = default;
  // Starts the reader thread(s); `sink` must outlive Shutdown.
  virtual Status Start(InnerSink& sink) = 0;
  // Writes decrypted IP packets into the stack. Never blocks for long; drops on overload.
  virtual void Deliver(std::span<const ByteSpan> packets) = 0;
  // Wakes and joins the reader thread(s). Idempotent.
  virtual void Shutdown() = 0;
  // The inner MTU, and whether the link is administratively up and running.
  virtual Result<size_t> Mtu() const = 0;
  virtual Result<bool> IsUp() const = 0;
};

}  // namespace dlog::node
