// TunPath: the kernel TUN as a node's InnerPath (net/tun.h), with the virtio-net-header
// offloads (net/tun_offload_io.h) when the TUN was opened with IFF_VNET_HDR.
//
// One reader thread ("wg-tun") reads batches (super-packets split) and hands them to the
// sink; Deliver writes through the offload path (TCP runs coalesced) or packet by packet.
// A deleted interface or a read error stops the node (InnerSink::InnerStopped).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "net/tun.h"
#include "net/tun_offload_io.h"
#include "node/inner_path.h"

namespace dlog::node {

class TunPath : public InnerPath {
 public:
  explicit TunPath(std::unique_ptr<net::Tun> tun) : tun_(std::move(tun)) {}
  ~TunPath() override;

  Status Start(InnerSink& sink) override;
  void Deliver(std::span<const ByteSpan> packets) override;
  void Shutdown() override;
  Result<size_t> Mtu() const override { return tun_->Mtu(); }
  Result<bool> IsUp() const override { return tun_->IsUp(); }

  const std::string& name() const { return tun_->name(); }
  net::Tun& tun() { return *tun_; }

 private:
  void ReadLoop();
  void ReadOffloadLoop();
  void LogOffloadStats() const;

  std::unique_ptr<net::Tun> tun_;
  std::unique_ptr<net::TunOffloadIo> offload_;  // set when the TUN has IFF_VNET_HDR
  InnerSink* sink_ = nullptr;
  std::thread reader_;
  std::atomic<bool> stopping_{false};
};

}  // namespace dlog::node
