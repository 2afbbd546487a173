// wg::Device under its thread model: two TUN readers, two UDP readers, a timer thread
// and a UAPI thread at once (run under TSan too). Every packet must arrive exactly once.
#include <atomic>
#include <thread>

#include "wire_harness.h"

namespace dlog::wg {
namespace {

using wgtest::Datagram;
using wgtest::Prefix;

class DeviceConcurrencyTest : public wgtest::WirePair {};

TEST_F(DeviceConcurrencyTest, ParallelSendReceiveTickAndConfig) {
  ConfigureBoth();
  Establish();
  SendFrom(b, PacketFrom(b, a));  // confirm both directions
  Pump();
  a.delivered.clear();

  constexpr int kPerThread = 1500;
  // Datagrams a → b sealed in parallel by two "TUN reader" threads.
  std::vector<Datagram> sealed[2];
  {
    std::vector<std::thread> senders;
    for (int t = 0; t < 2; ++t) {
      senders.emplace_back([&, t] {
        Output out;
        for (int i = 0; i < kPerThread; ++i) {
          out.Clear();
          a.dev.HandleTunPacket(PacketFrom(a, b, 200 + t, uint8_t(i)), now(), wall(), out);
          for (size_t j = 0; j < out.datagram_count(); ++j)
            sealed[t].push_back({a.ep, out.datagram_endpoint(j),
                                 Bytes(out.datagram(j).begin(), out.datagram(j).end())});
        }
      });
    }
    for (auto& th : senders) th.join();
  }
  ASSERT_EQ(sealed[0].size() + sealed[1].size(), size_t(2 * kPerThread));

  // Two "UDP reader" threads open them at b while b's own TUN reader sends to a, a
  // timer thread ticks and a UAPI thread reconfigures and snapshots.
  std::atomic<bool> done{false};
  std::atomic<size_t> delivered{0};
  std::vector<Datagram> b_to_a;
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      Output out;
      for (const Datagram& d : sealed[t]) {
        out.Clear();
        b.dev.HandleDatagram(d.from, d.bytes, now(), wall(), out);
        delivered += out.tun_packet_count();
      }
    });
  }
  threads.emplace_back([&] {
    Output out;
    for (int i = 0; i < kPerThread; ++i) {
      out.Clear();
      b.dev.HandleTunPacket(PacketFrom(b, a, 64), now(), wall(), out);
      for (size_t j = 0; j < out.datagram_count(); ++j)
        b_to_a.push_back({b.ep, out.datagram_endpoint(j),
                          Bytes(out.datagram(j).begin(), out.datagram(j).end())});
    }
  });
  std::thread timer([&] {
    Output out;
    while (!done) {
      out.Clear();
      b.dev.Tick(now(), wall(), out);
      (void)b.dev.NextDeadline();
    }
  });
  std::thread uapi([&] {
    Output out;
    for (int i = 0; !done; ++i) {
      ConfigUpdate u;
      PeerUpdate p;
      p.public_key = a.pub;
      p.update_only = true;
      p.allowed_ips = {{Prefix("172.16.0.0/12"), /*remove=*/i % 2 == 1}};
      u.peers = {p};
      EXPECT_TRUE(b.dev.ApplyConfig(u, now(), wall(), out).ok());
      DeviceSnapshot s = b.dev.Snapshot();
      EXPECT_EQ(s.peers.size(), 1u);
    }
  });
  for (auto& th : threads) th.join();
  done = true;
  timer.join();
  uapi.join();

  EXPECT_EQ(delivered.load(), size_t(2 * kPerThread));
  DeviceCounters c = b.dev.Counters();
  EXPECT_EQ(c.replayed + c.decrypt_failed + c.unknown_index, 0u);
  for (const Datagram& d : b_to_a) Deliver(d);
  EXPECT_EQ(a.delivered.size(), size_t(kPerThread));
}

}  // namespace
}  // namespace dlog::wg
