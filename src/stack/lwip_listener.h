// LwipListener: a listening lwIP pcb and its bounded backlog of accepted connections.
// Internal to the stack layer.
//
// lwIP's accept callback (tcpip thread, core lock held) attaches each new pcb to a
// LwipConn at once, so bytes that arrive before Accept() are buffered (up to the
// window), and queues it; past kAcceptBacklog pending connections it resets the new
// one. Accept() waits on the queue.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>

#include "stack/lwip_conn.h"
#include "stack/stack.h"

struct tcp_pcb;

namespace dlog::stack {

class LwipListener final : public Listener {
 public:
  // Core lock held by the caller: takes over listening pcb `pcb`.
  LwipListener(tcp_pcb* pcb, uint16_t port);
  ~LwipListener() override { Close(); }

  Result<Accepted> Accept(Timeout timeout) override;
  void Close() override;
  uint16_t port() const override { return port_; }

  // The accept callback's work (core lock held). Returns false if the connection
  // must be refused (closed or backlog full).
  bool Enqueue(std::unique_ptr<LwipConn> conn);

 private:
  tcp_pcb* pcb_;  // guarded by the core lock; null once closed
  const uint16_t port_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<LwipConn>> pending_;  // guarded by mu_
  bool closed_ = false;                            // guarded by mu_
};

}  // namespace dlog::stack
