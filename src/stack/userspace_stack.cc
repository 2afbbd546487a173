#include "stack/userspace_stack.h"

#include <cstring>
#include <deque>
#include <future>
#include <mutex>
#include <vector>

// Debian's lwipopts.h declares sys_lock_tcpip_core & co. outside lwIP's own
// extern "C" blocks.
extern "C" {
#include "lwip/ip.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/tcpip.h"
}
#include "stack/deadline.h"
#include "stack/lwip_conn.h"
#include "stack/lwip_core.h"
#include "stack/lwip_listener.h"

namespace dlog::stack {
namespace {

constexpr size_t kMaxPacket = 65535;
std::atomic<bool> g_exists{false};  // one UserspaceStack per process (lwIP is global)

}  // namespace

struct UserspaceStack::Impl {
  UserspaceConfig config;
  Outbound outbound;
  netif nif{};  // guarded by the core lock
  std::atomic<uint64_t> packets_in{0}, packets_out{0}, dropped_invalid{0}, dropped_full{0};

  // kQueued input: our bounded queue, drained by one callback message in lwIP's tcpip
  // thread. At most one drain is outstanding (`drain_posted`), so a burst of packets
  // costs one mailbox slot, not one each (lwIP's mailbox is small).
  std::mutex in_mu;
  std::deque<pbuf*> inbound;  // guarded by in_mu; at most kInboundQueue
  bool drain_posted = false;  // guarded by in_mu
  tcpip_callback_msg* drain_msg = nullptr;

  void Enqueue(pbuf* p) {
    bool post = false, full = false;
    {
      std::lock_guard lock(in_mu);
      full = inbound.size() >= kInboundQueue;
      if (!full) {
        inbound.push_back(p);
        post = !drain_posted;
        drain_posted = true;
      }
    }
    if (full) {
      CoreLock core;  // lwIP frees pbufs under its lock (never taken inside in_mu)
      pbuf_free(p);
      dropped_full.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    packets_in.fetch_add(1, std::memory_order_relaxed);
    // lwIP's mailbox is nearly always empty now. If it is full, the packets wait in the
    // queue for the next InjectInbound to post again (TCP retransmits if none comes);
    // never block: InjectInbound may run inside Outbound, on the tcpip thread itself.
    if (post && tcpip_callbackmsg_trycallback(drain_msg) != ERR_OK) {
      std::lock_guard lock(in_mu);
      drain_posted = false;
    }
  }

  // tcpip thread, core lock held: feeds the queued packets to lwIP, one queue's worth
  // (at most kInboundQueue) per call, then re-posts itself if more arrived, so lwIP's
  // timers and other messages get their turn under a steady stream.
  static void Drain(void* arg) {
    auto* self = static_cast<Impl*>(arg);
    std::deque<pbuf*> batch;
    for (;;) {
      {
        std::lock_guard lock(self->in_mu);
        if (self->inbound.empty()) {
          self->drain_posted = false;
          return;
        }
        batch.swap(self->inbound);
      }
      for (pbuf* p : batch) ip_input(p, &self->nif);  // takes the pbuf
      batch.clear();
      {
        std::lock_guard lock(self->in_mu);
        if (self->inbound.empty()) {
          self->drain_posted = false;
          return;
        }
      }
      // More arrived: yield. If the mailbox is full, keep draining here (blocking on
      // our own mailbox would deadlock).
      if (tcpip_callbackmsg_trycallback(self->drain_msg) == ERR_OK) return;
    }
  }

  // netif->output / output_ip6 (core lock held): one IP packet to the device.
  static err_t Output(netif* nif, pbuf* p) {
    auto* self = static_cast<Impl*>(nif->state);
    thread_local std::vector<uint8_t> flat;
    ByteSpan packet;
    if (p->len == p->tot_len) {
      packet = {static_cast<const uint8_t*>(p->payload), p->len};
    } else {
      flat.resize(p->tot_len);
      pbuf_copy_partial(p, flat.data(), p->tot_len, 0);
      packet = flat;
    }
    self->packets_out.fetch_add(1, std::memory_order_relaxed);
    self->outbound(packet);
    return ERR_OK;
  }
  static err_t Output4(netif* nif, pbuf* p, const ip4_addr_t*) { return Output(nif, p); }
  static err_t Output6(netif* nif, pbuf* p, const ip6_addr_t*) { return Output(nif, p); }

  static err_t Init(netif* nif) {
    auto* self = static_cast<Impl*>(nif->state);
    nif->name[0] = 'w';
    nif->name[1] = 'g';
    nif->mtu = u16_t(self->config.mtu);
    nif->output = Output4;
    nif->output_ip6 = Output6;
    nif->flags = 0;  // point-to-point: no ARP, no Ethernet, no IGMP/MLD
    return ERR_OK;
  }

  Status AddNetif() {
    ip4_addr_t addr, mask, gw;
    std::memcpy(&addr.addr, config.address.ip.bytes.data(), 4);
    mask.addr = config.address.prefix_len == 0
                    ? 0
                    : lwip_htonl(~uint32_t(0) << (32 - config.address.prefix_len));
    gw.addr = 0;
    CoreLock core;
    if (netif_add(&nif, &addr, &mask, &gw, this, Init, tcpip_input) == nullptr)
      return Status::Error("lwIP: netif_add failed");
    if (config.address6) {
      ip6_addr_t a6;
      std::memcpy(a6.addr, config.address6->ip.bytes.data(), 16);
      ip6_addr_clear_zone(&a6);
      s8_t index = -1;
      if (netif_add_ip6_address(&nif, &a6, &index) != ERR_OK) {
        netif_remove(&nif);
        return Status::Error("lwIP: cannot add " + config.address6->ToString());
      }
      netif_ip6_addr_set_state(&nif, index, IP6_ADDR_PREFERRED);  // no DAD over a tunnel
    }
    netif_set_ip6_autoconfig_enabled(&nif, 0);
    nif.rs_count = 0;  // no router solicitations into the tunnel
    netif_set_default(&nif);
    netif_set_link_up(&nif);
    netif_set_up(&nif);
    return Status::Ok();
  }
};

Result<std::unique_ptr<UserspaceStack>> UserspaceStack::Create(const UserspaceConfig& config,
                                                               Outbound outbound) {
  if (config.address.ip.v6 || config.address.prefix_len > 32)
    return Status::Error("userspace stack: address must be IPv4 with a prefix (10.0.0.3/24), got " +
                         config.address.ToString());
  if (config.address6 && (!config.address6->ip.v6 || config.address6->prefix_len > 128))
    return Status::Error("userspace stack: address6 must be IPv6 (fd00::3/64)");
  if (config.mtu < 1280 || config.mtu > kMaxPacket)
    return Status::Error("userspace stack: mtu must be 1280..65535");
  if (!outbound) return Status::Error("userspace stack: no outbound callback");
  if (g_exists.exchange(true))
    return Status::Error("userspace stack: one per process (lwIP's state is global)");
  EnsureLwipStarted();
  auto impl = std::make_unique<Impl>();
  impl->drain_msg = tcpip_callbackmsg_new(Impl::Drain, impl.get());
  if (impl->drain_msg == nullptr) {
    g_exists = false;
    return Status::Error("lwIP: out of memory");
  }
  impl->config = config;
  impl->outbound = std::move(outbound);
  if (Status s = impl->AddNetif(); !s) {
    tcpip_callbackmsg_delete(impl->drain_msg);
    g_exists = false;
    return s;
  }
  return std::unique_ptr<UserspaceStack>(new UserspaceStack(std::move(impl)));
}

UserspaceStack::UserspaceStack(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

UserspaceStack::~UserspaceStack() {
  // A barrier through lwIP's mailbox (FIFO): a drain posted before it has run after it.
  std::promise<void> done;
  tcpip_callback([](void* arg) { static_cast<std::promise<void>*>(arg)->set_value(); }, &done);
  done.get_future().wait();
  {
    CoreLock core;
    for (pbuf* p : impl_->inbound) pbuf_free(p);
    impl_->inbound.clear();
    netif_set_down(&impl_->nif);
    netif_remove(&impl_->nif);  // no Output after this
  }
  tcpip_callbackmsg_delete(impl_->drain_msg);
  g_exists = false;
}

void UserspaceStack::InjectInbound(ByteSpan packet) {
  uint8_t version = packet.empty() ? 0 : packet[0] >> 4;
  if (packet.size() > kMaxPacket || (version != 4 && version != 6)) {
    impl_->dropped_invalid.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  pbuf* p = pbuf_alloc(PBUF_RAW, u16_t(packet.size()), PBUF_RAM);
  if (p == nullptr) {
    impl_->dropped_full.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  std::memcpy(p->payload, packet.data(), packet.size());
  if (impl_->config.input == InputMode::kInline) {
    CoreLock core;
    ip_input(p, &impl_->nif);  // takes the pbuf, whatever it returns
    impl_->packets_in.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  impl_->Enqueue(p);
}

UserspaceCounters UserspaceStack::counters() const {
  return {impl_->packets_in.load(), impl_->packets_out.load(), impl_->dropped_invalid.load(),
          impl_->dropped_full.load()};
}

IpAddress UserspaceStack::address() const { return impl_->config.address.ip; }

Result<std::unique_ptr<Listener>> UserspaceStack::Listen(uint16_t port) {
  CoreLock core;
  tcp_pcb* pcb = tcp_new_ip_type(IPADDR_TYPE_ANY);
  if (pcb == nullptr) return Status::Error("lwIP: out of memory");
  // Bound to any address of our only interface: the IPv4 and the IPv6 overlay address.
  if (tcp_bind(pcb, IP_ANY_TYPE, port) != ERR_OK) {
    tcp_abort(pcb);
    return Status::Error("listen on port " + std::to_string(port) + ": address in use");
  }
  tcp_pcb* listening = tcp_listen_with_backlog(pcb, u8_t(kAcceptBacklog));
  if (listening == nullptr) {
    tcp_abort(pcb);
    return Status::Error("lwIP: listen failed (out of memory)");
  }
  return std::unique_ptr<Listener>(new LwipListener(listening, listening->local_port));
}

Result<std::unique_ptr<Stream>> UserspaceStack::Connect(const SocketAddress& remote,
                                                        Timeout timeout) {
  if (remote.ip.v6 && !impl_->config.address6)
    return Status::Error("connect to " + remote.ToString() + ": no IPv6 overlay address");
  auto conn = std::make_unique<LwipConn>();
  {
    CoreLock core;
    tcp_pcb* pcb = tcp_new_ip_type(remote.ip.v6 ? IPADDR_TYPE_V6 : IPADDR_TYPE_V4);
    if (pcb == nullptr) return Status::Error("lwIP: out of memory");
    ip_addr_t local_ip, remote_ip;
    ToLwipAddr(remote.ip.v6 ? impl_->config.address6->ip : impl_->config.address.ip, &local_ip);
    ToLwipAddr(remote.ip, &remote_ip);
    if (tcp_bind(pcb, &local_ip, 0) != ERR_OK) {
      tcp_abort(pcb);
      return Status::Error("connect to " + remote.ToString() + ": no free local port");
    }
    conn->Attach(pcb);
    conn->remote = remote;
    err_t err = tcp_connect(pcb, &remote_ip, remote.port, [](void* arg, tcp_pcb*, err_t) {
      auto* c = static_cast<LwipConn*>(arg);
      std::lock_guard lock(c->mu);
      c->connected = true;
      c->cv.notify_all();
      return err_t(ERR_OK);
    });
    conn->local = {FromLwipAddr(&pcb->local_ip), pcb->local_port};
    if (err != ERR_OK) {
      conn->pcb = nullptr;
      tcp_arg(pcb, nullptr);
      tcp_err(pcb, nullptr);
      tcp_abort(pcb);
      return Status::Error("connect to " + remote.ToString() + ": no route (lwIP error " +
                           std::to_string(int(err)) + ")");
    }
  }
  Deadline deadline(timeout);
  std::string error;
  {
    std::unique_lock lock(conn->mu);
    auto ready = [&] { return conn->connected || !conn->error.empty(); };
    bool ok = deadline.forever() ? (conn->cv.wait(lock, ready), true)
                                 : conn->cv.wait_until(lock, deadline.at(), ready);
    if (!ok)
      error = std::string(kTimedOut);
    else if (!conn->connected)
      error =
          (conn->error == "connection reset" ? "connection refused: connect to " : "connect to ") +
          remote.ToString() + ": " + conn->error;
  }
  if (!error.empty()) {
    conn->Close(/*abort=*/true);
    return Status::Error(error);
  }
  return std::unique_ptr<Stream>(new LwipStream(std::move(conn)));
}

}  // namespace dlog::stack
