// UserspaceStack: the `userspace` stack, lwIP (Debian's liblwip 2.1.3) inside the
// process; no privileges, no TUN. The WireGuard device hands it decrypted IP packets
// (InjectInbound) and it hands back IP packets to encrypt and send (the Outbound
// callback). One network interface carries our overlay address (IPv4, and optionally
// an IPv6 address); every other address is reached through it.
//
// One per process. lwIP keeps its state in globals (one tcpip thread, one set of
// PCBs), so a process has at most one UserspaceStack at a time: Create fails while
// another exists. lwIP's tcpip thread is started on first use and lives until exit.
//
// Threads. lwIP runs in its tcpip thread; this class calls into it under lwIP's core
// lock (LWIP_TCPIP_CORE_LOCKING=1 in Debian's build) from the caller's thread, and
// lwIP's callbacks fill per-connection buffers that Stream calls wait on. All public
// calls are thread-safe (stack.h).
//
// Outbound is called with lwIP's core lock held, from the tcpip thread or from a
// thread inside a Stream/Listener call, Connect, or InjectInbound with kInline. It must
// not block for long and must not call back into this stack, except InjectInbound in
// kQueued mode (it only queues). The span is valid only during the call.
//
// InputMode (below) says whether InjectInbound posts to the tcpip thread (default) or
// runs lwIP's input in the caller's thread.
//
// Limits (Debian's lwipopts.h): TCP_WND = TCP_SND_BUF = 64 KiB per connection (window
// scale 1), MSS = MTU - 40. Memory comes from malloc (MEMP_MEM_MALLOC). With kQueued,
// InjectInbound appends to our queue of at most kInboundQueue packets, drained by one
// callback in the tcpip thread per burst (lwIP's own mailbox is small); a packet that
// finds the queue full is dropped and counted (TCP retransmits).
//
// Destruction: no InjectInbound may run concurrently with the destructor (the caller
// stops delivering first); queued packets are dropped.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "base/bytes.h"
#include "base/result.h"
#include "stack/stack.h"

namespace dlog::stack {

inline constexpr size_t kUserspaceMtu = 1420;  // WireGuard's 1500 - 80 bytes overhead
inline constexpr size_t kInboundQueue = 1024;  // kQueued: packets waiting for lwIP

// How InjectInbound hands a packet to lwIP.
enum class InputMode {
  // Posted to lwIP's tcpip thread (tcpip_input): InjectInbound never calls Outbound.
  kQueued,
  // Processed at once in the caller's thread under lwIP's core lock (ip_input): one
  // thread hop less per packet, but Outbound (an ACK, say) may run inside
  // InjectInbound, so the caller must hold no lock that Outbound needs.
  kInline,
};

struct UserspaceConfig {
  IpInterface address;                  // IPv4, e.g. 10.0.0.3/24
  std::optional<IpInterface> address6;  // optional IPv6, e.g. fd00::3/64
  size_t mtu = kUserspaceMtu;
  InputMode input = InputMode::kQueued;
};

struct UserspaceCounters {
  uint64_t packets_in = 0;       // accepted by InjectInbound
  uint64_t packets_out = 0;      // given to Outbound
  uint64_t dropped_invalid = 0;  // InjectInbound: empty, oversized or not IPv4/IPv6
  uint64_t dropped_full = 0;     // InjectInbound: queue full (kInboundQueue) or no memory
};

class UserspaceStack final : public Stack {
 public:
  using Outbound = std::function<void(ByteSpan ip_packet)>;

  // Fails if another UserspaceStack exists in this process, or on a bad config.
  static Result<std::unique_ptr<UserspaceStack>> Create(const UserspaceConfig& config,
                                                        Outbound outbound);
  ~UserspaceStack() override;
  UserspaceStack(const UserspaceStack&) = delete;
  UserspaceStack& operator=(const UserspaceStack&) = delete;

  // A decrypted IP packet from the WireGuard device. Copied; any thread. kQueued: never
  // blocks; kInline: waits for the core lock and may call Outbound.
  // Packets that are not IPv4/IPv6 or longer than the MTU are dropped and counted.
  void InjectInbound(ByteSpan ip_packet);
  UserspaceCounters counters() const;

  std::string_view name() const override { return "userspace"; }
  IpAddress address() const override;
  Result<std::unique_ptr<Listener>> Listen(uint16_t port) override;
  Result<std::unique_ptr<Stream>> Connect(const SocketAddress& remote, Timeout timeout) override;

  struct Impl;  // lwIP glue (userspace_stack.cc); public for its C callbacks

 private:
  explicit UserspaceStack(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dlog::stack
