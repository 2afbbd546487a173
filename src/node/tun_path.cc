#include "node/tun_path.h"

#include <pthread.h>

#include <vector>

#include "base/log.h"

namespace dlog::node {

TunPath::~TunPath() { Shutdown(); }

Status TunPath::Start(InnerSink& sink) {
  sink_ = &sink;
  if (net::HasVnetHdr(tun_->fd())) {
    auto io = net::TunOffloadIo::Attach(tun_->fd());
    if (!io.ok()) return io.status();
    offload_ = std::move(*io);
    DLOG_INFO("tun: virtio-net header, offloads 0x%x", offload_->offloads());
  }
  reader_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "wg-tun");
    if (offload_) {
      ReadOffloadLoop();
    } else {
      ReadLoop();
    }
  });
  return Status::Ok();
}

void TunPath::Shutdown() {
  if (stopping_.exchange(true)) return;
  tun_->Shutdown();
  if (offload_) offload_->Shutdown();
  if (reader_.joinable()) reader_.join();
  if (offload_) LogOffloadStats();
}

void TunPath::Deliver(std::span<const ByteSpan> packets) {
  if (packets.empty()) return;
  if (offload_) {
    thread_local net::TunWriteScratch scratch;
    if (Status s = offload_->Write(packets, scratch); !s.ok())
      DLOG_DEBUG("tun: %s", s.message().c_str());
    return;
  }
  for (ByteSpan p : packets) {
    if (Status s = tun_->Write(0, p); !s.ok()) DLOG_DEBUG("tun: %s", s.message().c_str());
  }
}

void TunPath::ReadOffloadLoop() {
  net::PacketList batch;
  std::vector<ByteSpan> packets;
  while (!stopping_) {
    auto r = offload_->Read(net::kTunMaxPacket, batch);
    if (!r.ok()) {
      DLOG_ERROR("tun: %s", r.error().c_str());
      return sink_->InnerStopped("TUN read failed");
    }
    if (*r == net::Tun::ReadResult::kShutdown) return;
    if (*r == net::Tun::ReadResult::kDeleted) return sink_->InnerStopped("interface deleted");
    if (batch.size() > 0) sink_->InnerLinkUp();
    packets.clear();
    for (size_t i = 0; i < batch.size(); ++i) packets.push_back(batch[i]);
    sink_->FromInner(packets);
  }
}

void TunPath::ReadLoop() {
  net::PacketBatch batch;
  std::vector<ByteSpan> packets;
  while (!stopping_) {
    auto r = tun_->ReadBatch(0, batch);
    if (!r.ok()) {
      DLOG_ERROR("tun: %s", r.error().c_str());
      return sink_->InnerStopped("TUN read failed");
    }
    if (*r == net::Tun::ReadResult::kShutdown) return;
    if (*r == net::Tun::ReadResult::kDeleted) return sink_->InnerStopped("interface deleted");
    if (batch.size() > 0) sink_->InnerLinkUp();
    packets.clear();
    for (size_t i = 0; i < batch.size(); ++i) packets.push_back(batch.packet(i));
    sink_->FromInner(packets);
  }
}

void TunPath::LogOffloadStats() const {
  const net::TunOffloadStats& st = offload_->stats();
  DLOG_INFO(
      "tun offload: %llu reads (%llu super) -> %llu packets, %llu malformed; "
      "%llu packets -> %llu writes (%llu super), %llu write errors",
      (unsigned long long)st.reads, (unsigned long long)st.gso_reads,
      (unsigned long long)st.read_packets, (unsigned long long)st.read_malformed,
      (unsigned long long)st.written_packets, (unsigned long long)st.writes,
      (unsigned long long)st.gso_writes, (unsigned long long)st.write_errors);
}

}  // namespace dlog::node
