#include "stack/lwip_listener.h"

// Debian's lwipopts.h declares sys_lock_tcpip_core & co. outside lwIP's own
// extern "C" blocks.
extern "C" {
#include "lwip/tcp.h"
}
#include "stack/deadline.h"
#include "stack/lwip_core.h"

namespace dlog::stack {
namespace {

err_t OnAccept(void* arg, tcp_pcb* newpcb, err_t err) {
  if (err != ERR_OK || newpcb == nullptr) return ERR_VAL;
  auto conn = std::make_unique<LwipConn>();
  conn->Attach(newpcb);
  if (static_cast<LwipListener*>(arg)->Enqueue(std::move(conn))) return ERR_OK;
  return ERR_ABRT;  // Enqueue aborted newpcb
}

}  // namespace

LwipListener::LwipListener(tcp_pcb* pcb, uint16_t port) : pcb_(pcb), port_(port) {
  tcp_arg(pcb_, this);
  tcp_accept(pcb_, OnAccept);
}

bool LwipListener::Enqueue(std::unique_ptr<LwipConn> conn) {
  {
    std::lock_guard lock(mu_);
    if (!closed_ && pending_.size() < size_t(kAcceptBacklog)) {
      pending_.push_back(std::move(conn));
      cv_.notify_all();
      return true;
    }
  }
  // Core lock is held here: detach and reset without taking it again.
  tcp_pcb* p = conn->pcb;
  conn->pcb = nullptr;
  conn->closed = true;
  tcp_arg(p, nullptr);
  tcp_recv(p, nullptr);
  tcp_sent(p, nullptr);
  tcp_err(p, nullptr);
  tcp_abort(p);
  return false;
}

Result<Accepted> LwipListener::Accept(Timeout timeout) {
  Deadline deadline(timeout);
  std::unique_ptr<LwipConn> conn;
  {
    std::unique_lock lock(mu_);
    auto ready = [&] { return closed_ || !pending_.empty(); };
    if (deadline.forever()) {
      cv_.wait(lock, ready);
    } else if (!cv_.wait_until(lock, deadline.at(), ready)) {
      return Status::Error(std::string(kTimedOut));
    }
    if (closed_) return Status::Error("closed");
    conn = std::move(pending_.front());
    pending_.pop_front();
  }
  SocketAddress remote = conn->remote;
  return Accepted{std::make_unique<LwipStream>(std::move(conn)), remote};
}

void LwipListener::Close() {
  std::deque<std::unique_ptr<LwipConn>> pending;
  {
    CoreLock core;
    if (pcb_ != nullptr) {
      tcp_arg(pcb_, nullptr);
      tcp_accept(pcb_, nullptr);
      tcp_close(pcb_);  // a listening pcb is freed at once
      pcb_ = nullptr;
    }
    std::lock_guard lock(mu_);
    closed_ = true;
    pending.swap(pending_);
    cv_.notify_all();
  }
  for (auto& conn : pending) conn->Close(/*abort=*/true);
}

}  // namespace dlog::stack
