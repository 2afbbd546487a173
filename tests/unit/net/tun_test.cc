// TUN tests run as root in a throwaway network namespace: a forked child unshares
// CLONE_NEWNET, so every interface, address and packet lives and dies with the child.
// Without root the tests fail (netns_child.h).
#include "net/tun.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <thread>

#include "netns_child.h"

namespace dlog::net {
namespace {

uint16_t Checksum(const uint8_t* p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += uint32_t(p[i]) << 8 | p[i + 1];
  if (n & 1) sum += uint32_t(p[n - 1]) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(~sum);
}

// An IPv4/UDP packet (UDP checksum 0: none).
Bytes Ipv4Udp(const char* src, const char* dst, uint16_t sport, uint16_t dport,
              std::string_view payload) {
  Bytes p(28 + payload.size());
  p[0] = 0x45;
  p[2] = uint8_t(p.size() >> 8);
  p[3] = uint8_t(p.size());
  p[8] = 64;
  p[9] = IPPROTO_UDP;
  inet_pton(AF_INET, src, &p[12]);
  inet_pton(AF_INET, dst, &p[16]);
  uint16_t c = Checksum(p.data(), 20);
  p[10] = uint8_t(c >> 8);
  p[11] = uint8_t(c);
  p[20] = uint8_t(sport >> 8);
  p[21] = uint8_t(sport);
  p[22] = uint8_t(dport >> 8);
  p[23] = uint8_t(dport);
  p[24] = uint8_t((8 + payload.size()) >> 8);
  p[25] = uint8_t(8 + payload.size());
  memcpy(&p[28], payload.data(), payload.size());
  return p;
}

int UdpSocketOn(const char* addr, uint16_t port) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  inet_pton(AF_INET, addr, &sa.sin_addr);
  if (bind(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    close(s);
    return -1;
  }
  return s;
}

std::string AddressAndRaise(const std::string& ifname) {
  std::string cmd = "ip addr add 10.201.0.1/24 dev " + ifname + " && ip link set " + ifname + " up";
  return system(cmd.c_str()) == 0 ? "" : "failed: " + cmd;
}

TEST(Tun, CreatesWithMtu1420AndCarriesPacketsBothWays) {
  REQUIRE_ROOT();
  EXPECT_EQ(testing::RunInNetns([]() -> std::string {
              auto tun = Tun::Create("dltun0", TunOptions{});
              if (!tun.ok()) return tun.error();
              Tun& t = **tun;
              if (t.name() != "dltun0") return "name " + t.name();
              if (auto up = t.IsUp(); !up.ok() || *up) return "a new TUN should be down";
              auto mtu = t.Mtu();
              if (!mtu.ok() || *mtu != 1420) return "mtu not 1420";
              if (std::string e = AddressAndRaise(t.name()); !e.empty()) return e;
              if (!t.SetMtu(1380).ok() || *t.Mtu() != 1380) return "SetMtu";
              if (auto up = t.IsUp(); !up.ok() || !*up) return "TUN not up after ip link set up";

              // Kernel → TUN: a datagram to a peer address on the TUN's subnet.
              int tx = UdpSocketOn("10.201.0.1", 4000);
              sockaddr_in to{};
              to.sin_family = AF_INET;
              to.sin_port = htons(5000);
              inet_pton(AF_INET, "10.201.0.2", &to.sin_addr);
              if (sendto(tx, "hello", 5, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) != 5)
                return "sendto";
              PacketBatch batch;
              bool found = false;
              for (int tries = 0; tries < 20 && !found; ++tries) {
                auto r = t.ReadBatch(0, batch);
                if (!r.ok() || *r != Tun::ReadResult::kOk) return "ReadBatch";
                for (size_t i = 0; i < batch.size(); ++i) {
                  ByteSpan p = batch.packet(i);
                  if (p.size() == 33 && p[0] == 0x45 && p[9] == IPPROTO_UDP &&
                      memcmp(&p[28], "hello", 5) == 0)
                    found = true;
                }
              }
              if (!found) return "datagram never came out of the TUN";

              // TUN → kernel: a packet written to the TUN reaches a local socket.
              int rx = UdpSocketOn("10.201.0.1", 6000);
              Bytes pkt = Ipv4Udp("10.201.0.2", "10.201.0.1", 7000, 6000, "world");
              if (!t.Write(0, pkt).ok()) return "Write";
              pollfd pfd{rx, POLLIN, 0};
              if (poll(&pfd, 1, 2000) != 1) return "written packet not delivered";
              char buf[16];
              if (recv(rx, buf, sizeof buf, 0) != 5 || memcmp(buf, "world", 5) != 0)
                return "bad payload";
              close(tx);
              close(rx);
              return "";
            }),
            "");
}

TEST(Tun, ShutdownWakesReaderAndDeletionIsReported) {
  REQUIRE_ROOT();
  EXPECT_EQ(testing::RunInNetns([]() -> std::string {
              auto tun = Tun::Create("dltun1", TunOptions{});
              if (!tun.ok()) return tun.error();
              Tun& t = **tun;
              Tun::ReadResult seen = Tun::ReadResult::kOk;
              std::thread reader([&] {
                PacketBatch batch;
                auto r = t.ReadBatch(0, batch);
                seen = r.ok() ? *r : Tun::ReadResult::kOk;
              });
              usleep(50'000);
              t.Shutdown();
              reader.join();
              if (seen != Tun::ReadResult::kShutdown) return "Shutdown did not wake the reader";

              auto tun2 = Tun::Create("dltun2", TunOptions{});
              if (!tun2.ok()) return tun2.error();
              Tun& t2 = **tun2;
              if (std::string e = AddressAndRaise(t2.name()); !e.empty()) return e;
              std::thread reader2([&] {
                PacketBatch batch;
                for (int i = 0; i < 100; ++i) {  // skip router solicitations etc.
                  auto r = t2.ReadBatch(0, batch);
                  seen = r.ok() ? *r : Tun::ReadResult::kOk;
                  if (seen != Tun::ReadResult::kOk) return;
                }
              });
              usleep(50'000);
              if (system("ip link del dltun2") != 0) return "ip link del failed";
              reader2.join();
              if (seen != Tun::ReadResult::kDeleted) return "deletion not reported";
              return "";
            }),
            "");
}

TEST(Tun, MultiQueueOpensOneDescriptorPerQueueAndAdoptsAnFd) {
  REQUIRE_ROOT();
  EXPECT_EQ(testing::RunInNetns([]() -> std::string {
              TunOptions o;
              o.queues = 3;
              auto tun = Tun::Create("dltunmq", o);
              if (!tun.ok()) return tun.error();
              if ((*tun)->queue_count() != 3) return "queue count";
              auto single = Tun::Create("dltun3", TunOptions{});
              if (!single.ok()) return single.error();
              int fd = (*single)->ReleaseFd();
              auto adopted = Tun::FromFd(fd);
              if (!adopted.ok()) return adopted.error();
              if ((*adopted)->name() != "dltun3") return "adopted name " + (*adopted)->name();
              if (Tun::FromFd(0).ok()) return "stdin adopted as a TUN";
              if (Tun::Create(std::string(20, 'x'), TunOptions{}).ok())
                return "overlong name accepted";
              return "";
            }),
            "");
}

}  // namespace
}  // namespace dlog::net
