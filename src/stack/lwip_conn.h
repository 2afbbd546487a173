// LwipConn: one lwIP TCP connection (a raw-API tcp_pcb) with the buffers its Stream
// waits on; LwipStream: the Stream over it. Internal to the stack layer.
//
// The pcb's callbacks (tcpip thread, core lock held) queue received pbufs, count acked
// bytes and record errors under `mu`, and wake `cv`. Stream calls wait on `cv`, then
// call lwIP under the core lock (tcp_recved once the reader consumed bytes, so the
// receive window is the bound on buffered data; tcp_write/tcp_output for writes, which
// tcp_sndbuf bounds).
//
// Ownership: a LwipConn is owned by its LwipStream (or by a listener's backlog before
// Accept). The pcb holds a raw pointer to it (tcp_arg) until Detach(), which runs under
// the core lock; a LwipConn is destroyed only after Detach.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "stack/stack.h"

struct tcp_pcb;
struct pbuf;

namespace dlog::stack {

struct LwipConn {
  LwipConn() = default;
  ~LwipConn();

  // Core lock held: takes over `pcb` (sets its callbacks and arg, disables Nagle) and
  // records its addresses.
  void Attach(tcp_pcb* pcb);
  // Takes the core lock: detaches from the pcb; graceful close, or a reset if `abort`
  // or unread data remains. Wakes every waiter with "closed". Idempotent.
  void Close(bool abort = false);

  // Guarded by the core lock.
  tcp_pcb* pcb = nullptr;

  // Guarded by mu.
  std::mutex mu;
  std::condition_variable cv;
  std::deque<pbuf*> rx;  // received chains, oldest first
  size_t rx_offset = 0;  // bytes of rx.front() already read
  bool eof = false;      // peer's FIN seen
  bool connected = false;
  bool closed = false;    // Close() called
  std::string error;      // non-empty once the pcb died (reset, timeout)
  uint64_t sent_gen = 0;  // bumped on every ACK of sent data

  SocketAddress local;   // set by Attach (or by Connect once bound)
  SocketAddress remote;  // set by Attach
  std::mutex write_mu;   // one Write at a time
};

class LwipStream final : public Stream {
 public:
  explicit LwipStream(std::unique_ptr<LwipConn> conn) : conn_(std::move(conn)) {}
  ~LwipStream() override { conn_->Close(); }

  Result<size_t> Read(MutableByteSpan buf, Timeout timeout) override;
  Status Write(ByteSpan data, Timeout timeout) override;
  Status Shutdown() override;
  void Close() override { conn_->Close(); }
  SocketAddress Peer() const override { return conn_->remote; }
  SocketAddress Local() const override { return conn_->local; }

 private:
  std::unique_ptr<LwipConn> conn_;
};

// Converts between lwIP's ip_addr_t and ours (lwip_conn.cc); void* keeps lwIP's types
// out of this header.
void ToLwipAddr(const IpAddress& ip, void* ip_addr_t_out);
IpAddress FromLwipAddr(const void* ip_addr_t_in);

}  // namespace dlog::stack
