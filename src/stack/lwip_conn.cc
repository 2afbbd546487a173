#include "stack/lwip_conn.h"

#include <algorithm>
#include <cstring>
#include <vector>

// Debian's lwipopts.h declares sys_lock_tcpip_core & co. outside lwIP's own
// extern "C" blocks.
extern "C" {
#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
}
#include "stack/deadline.h"
#include "stack/lwip_core.h"

namespace dlog::stack {
namespace {

std::string DescribeErr(err_t err) {
  switch (err) {
    case ERR_RST:
      return "connection reset";
    case ERR_ABRT:
      return "connection aborted";
    case ERR_CLSD:
      return "connection closed";
    case ERR_TIMEOUT:
      return "connection timed out";
    default:
      return "lwIP error " + std::to_string(int(err));
  }
}

// Callbacks: tcpip thread (or a thread inside an lwIP call), core lock held.
err_t OnRecv(void* arg, tcp_pcb* pcb, pbuf* p, err_t err) {
  auto* conn = static_cast<LwipConn*>(arg);
  std::lock_guard lock(conn->mu);
  if (p == nullptr) {
    conn->eof = true;
  } else {
    conn->rx.push_back(p);  // the window (tcp_recved on read) bounds what can queue
  }
  conn->cv.notify_all();
  return ERR_OK;
}

err_t OnSent(void* arg, tcp_pcb* pcb, u16_t len) {
  auto* conn = static_cast<LwipConn*>(arg);
  std::lock_guard lock(conn->mu);
  ++conn->sent_gen;
  conn->cv.notify_all();
  return ERR_OK;
}

void OnErr(void* arg, err_t err) {  // the pcb is already freed
  auto* conn = static_cast<LwipConn*>(arg);
  conn->pcb = nullptr;
  std::lock_guard lock(conn->mu);
  conn->error = DescribeErr(err);
  conn->cv.notify_all();
}

SocketAddress LocalOf(const tcp_pcb* pcb) {
  return {FromLwipAddr(&pcb->local_ip), pcb->local_port};
}

}  // namespace

void ToLwipAddr(const IpAddress& ip, void* out) {
  auto* a = static_cast<ip_addr_t*>(out);
  if (ip.v6) {
    IP_SET_TYPE(a, IPADDR_TYPE_V6);
    std::memcpy(ip_2_ip6(a)->addr, ip.bytes.data(), 16);
    ip6_addr_clear_zone(ip_2_ip6(a));
  } else {
    IP_SET_TYPE(a, IPADDR_TYPE_V4);
    std::memcpy(&ip_2_ip4(a)->addr, ip.bytes.data(), 4);
  }
}

IpAddress FromLwipAddr(const void* in) {
  const auto* a = static_cast<const ip_addr_t*>(in);
  IpAddress ip;
  if (IP_IS_V6(a)) {
    ip.v6 = true;
    std::memcpy(ip.bytes.data(), ip_2_ip6(a)->addr, 16);
  } else {
    std::memcpy(ip.bytes.data(), &ip_2_ip4(a)->addr, 4);
  }
  return ip;
}

LwipConn::~LwipConn() {
  // Close() ran (pcb detached); free what the reader never took.
  if (!rx.empty()) {
    CoreLock core;
    for (pbuf* p : rx) pbuf_free(p);
  }
}

void LwipConn::Attach(tcp_pcb* p) {
  pcb = p;
  tcp_arg(p, this);
  tcp_recv(p, OnRecv);
  tcp_sent(p, OnSent);
  tcp_err(p, OnErr);
  tcp_nagle_disable(p);
  local = LocalOf(p);
  remote = {FromLwipAddr(&p->remote_ip), p->remote_port};
}

void LwipConn::Close(bool abort) {
  std::deque<pbuf*> unread;
  {
    std::lock_guard lock(mu);
    if (closed) return;
    closed = true;
    unread.swap(rx);
    cv.notify_all();
  }
  CoreLock core;
  for (pbuf* p : unread) pbuf_free(p);
  if (pcb == nullptr) return;
  tcp_pcb* p = pcb;
  pcb = nullptr;
  tcp_arg(p, nullptr);
  tcp_recv(p, nullptr);  // lwIP's tcp_recv_null then drains and closes on FIN
  tcp_sent(p, nullptr);
  tcp_err(p, nullptr);
  if (abort || !unread.empty() || tcp_close(p) != ERR_OK) tcp_abort(p);
}

Result<size_t> LwipStream::Read(MutableByteSpan buf, Timeout timeout) {
  if (buf.empty()) return size_t{0};
  LwipConn& c = *conn_;
  Deadline deadline(timeout);
  std::vector<pbuf*> done;
  size_t n = 0;
  {
    std::unique_lock lock(c.mu);
    auto ready = [&] { return c.closed || !c.rx.empty() || c.eof || !c.error.empty(); };
    if (deadline.forever()) {
      c.cv.wait(lock, ready);
    } else if (!c.cv.wait_until(lock, deadline.at(), ready)) {
      return Status::Error(std::string(kTimedOut));
    }
    if (c.closed) return Status::Error("closed");
    while (n < buf.size() && !c.rx.empty()) {
      pbuf* p = c.rx.front();
      size_t take = std::min<size_t>(p->tot_len - c.rx_offset, buf.size() - n);
      pbuf_copy_partial(p, buf.data() + n, u16_t(take), u16_t(c.rx_offset));
      n += take;
      c.rx_offset += take;
      if (c.rx_offset == p->tot_len) {
        done.push_back(p);
        c.rx.pop_front();
        c.rx_offset = 0;
      }
    }
    if (n == 0 && !c.eof) return Status::Error(c.error);
  }
  if (n == 0) return size_t{0};  // end of stream
  CoreLock core;
  for (pbuf* p : done) pbuf_free(p);
  for (size_t left = n; c.pcb != nullptr && left > 0;) {  // reopen the window
    u16_t step = u16_t(std::min<size_t>(left, 0xFFFF));
    tcp_recved(c.pcb, step);
    left -= step;
  }
  return n;
}

Status LwipStream::Write(ByteSpan data, Timeout timeout) {
  LwipConn& c = *conn_;
  std::lock_guard write_lock(c.write_mu);
  Deadline deadline(timeout);
  while (!data.empty()) {
    uint64_t gen;
    {
      std::lock_guard lock(c.mu);
      if (c.closed) return Status::Error("closed");
      if (!c.error.empty()) return Status::Error(c.error);
      gen = c.sent_gen;
    }
    size_t n = 0;
    {
      CoreLock core;
      if (c.pcb == nullptr) continue;  // died just now: the error is recorded
      size_t room = tcp_sndqueuelen(c.pcb) < TCP_SND_QUEUELEN ? tcp_sndbuf(c.pcb) : 0;
      n = std::min<size_t>({room, data.size(), 0xFFFF});
      if (n > 0) {
        err_t err = tcp_write(c.pcb, data.data(), u16_t(n), TCP_WRITE_FLAG_COPY);
        if (err == ERR_MEM) {
          n = 0;
        } else if (err != ERR_OK) {
          return Status::Error("write: lwIP error " + std::to_string(int(err)));
        }
      }
      tcp_output(c.pcb);
    }
    if (n > 0) {
      data = data.subspan(n);
      continue;
    }
    std::unique_lock lock(c.mu);  // wait for an ACK to free send-buffer room
    auto ready = [&] { return c.closed || !c.error.empty() || c.sent_gen != gen; };
    if (deadline.forever()) {
      c.cv.wait(lock, ready);
    } else if (!c.cv.wait_until(lock, deadline.at(), ready)) {
      return Status::Error(std::string(kTimedOut));
    }
  }
  return Status::Ok();
}

Status LwipStream::Shutdown() {
  {
    std::lock_guard lock(conn_->mu);
    if (conn_->closed) return Status::Error("closed");
  }
  CoreLock core;
  if (conn_->pcb == nullptr) return Status::Error("connection gone");
  err_t err = tcp_shutdown(conn_->pcb, 0, 1);
  if (err != ERR_OK) return Status::Error("shutdown: lwIP error " + std::to_string(int(err)));
  tcp_output(conn_->pcb);
  return Status::Ok();
}

}  // namespace dlog::stack
