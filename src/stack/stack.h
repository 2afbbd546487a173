// Stack, Listener, Stream: the one small TCP interface that services (API 9092, internal
// 9093, admin 8080) use over either network stack of the overlay:
//   - KernelStack (kernel_stack.h): ordinary sockets on the overlay address of a TUN.
//   - UserspaceStack (userspace_stack.h): lwIP inside the process, no privileges.
// A service written against these classes runs unchanged on both.
//
// Blocking semantics. Every call that can wait takes a Timeout; kForever waits without
// limit. A call that times out returns an error whose message is kTimedOut (test with
// IsTimedOut). Calls return early with an error once the object is closed (from any
// thread) or the connection fails (reset, timeout of the TCP machinery).
//
// Thread-safety. Stream, Listener and Stack are safe to use from several threads at
// once: one thread may block in Read while another Writes and a third calls Close.
// Concurrent Writes on one Stream are serialised, each Write's bytes stay contiguous.
// Concurrent Reads get disjoint parts of the byte stream, in an unspecified split.
//
// Lifetime. Streams and Listeners must be destroyed before the Stack that made them.
// Destroying a Stream or Listener closes it, but only once no other thread is inside
// one of its calls: Close() it first, let the blocked threads return, then destroy.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "stack/address.h"

namespace dlog::stack {

using Timeout = std::chrono::milliseconds;
inline constexpr Timeout kForever{-1};
inline constexpr std::string_view kTimedOut = "timed out";
inline bool IsTimedOut(const Status& s) { return !s.ok() && s.message() == kTimedOut; }

class Stream {
 public:
  virtual ~Stream() = default;

  // Reads 1..buf.size() bytes, waiting for at least one. Returns 0 only at end of
  // stream (the peer shut down its side and every byte was read) or for an empty buf.
  virtual Result<size_t> Read(MutableByteSpan buf, Timeout timeout = kForever) = 0;
  // Writes every byte of data, waiting for send-buffer room. On an error (timeout
  // included) an unknown prefix of data was sent: close the stream.
  virtual Status Write(ByteSpan data, Timeout timeout = kForever) = 0;
  // Half-close: sends FIN after the bytes already written; Read keeps working.
  virtual Status Shutdown() = 0;
  // Closes both directions and releases the connection; blocked Read/Write return an
  // error ("closed"). Idempotent. Bytes written before are still delivered (graceful
  // FIN), unless the stack must reset because unread data remains.
  virtual void Close() = 0;

  virtual SocketAddress Peer() const = 0;   // the remote overlay address and port
  virtual SocketAddress Local() const = 0;  // our overlay address and port
};

// An accepted connection and who it comes from. The remote overlay address is bound
// by WireGuard's cryptokey routing to one member's public key, so it identifies the
// member (the node layer maps it to a member).
struct Accepted {
  std::unique_ptr<Stream> stream;
  SocketAddress remote;
};

class Listener {
 public:
  virtual ~Listener() = default;
  // Waits for the next connection. The backlog of connections not yet accepted is
  // bounded (kAcceptBacklog); connections beyond it are refused.
  virtual Result<Accepted> Accept(Timeout timeout = kForever) = 0;
  // Stops listening; blocked Accepts return an error ("closed"). Idempotent.
  virtual void Close() = 0;
  virtual uint16_t port() const = 0;
};

inline constexpr int kAcceptBacklog = 64;

class Stack {
 public:
  virtual ~Stack() = default;
  // "tun" or "userspace".
  virtual std::string_view name() const = 0;
  // Our overlay address (the one listeners bind to and connections come from).
  virtual IpAddress address() const = 0;
  // Listens on our overlay address; port 0 picks a free port (see Listener::port()).
  virtual Result<std::unique_ptr<Listener>> Listen(uint16_t port) = 0;
  // Connects from our overlay address. A refused connection returns an error whose
  // message starts with "connection refused".
  virtual Result<std::unique_ptr<Stream>> Connect(const SocketAddress& remote, Timeout timeout) = 0;
};

}  // namespace dlog::stack
