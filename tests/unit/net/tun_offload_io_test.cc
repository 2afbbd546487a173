// TunOffloadIo against the real kernel, as root in a throwaway network namespace (a
// forked child unshares CLONE_NEWNET). The test plays a minimal TCP peer behind the
// TUN, so the kernel's own TCP sends us TSO super-packets (read path) and must accept
// our coalesced super-packets (write path). Without root the tests fail (netns_child.h).
#include "net/tun_offload_io.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "netns_child.h"

namespace dlog::net {
namespace {

// --- A TUN with offloads, in the namespace ---

struct OffloadTun {
  std::unique_ptr<Tun> tun;
  std::unique_ptr<TunOffloadIo> io;
};

std::string OpenOffloadTun(const std::string& name, OffloadTun& t) {
  std::string actual;
  auto fd = OpenVnetTun(name, actual);
  if (!fd.ok()) return fd.error();
  auto tun = Tun::FromFd(*fd);
  if (!tun.ok()) return tun.error();
  t.tun = std::move(*tun);
  if (!HasVnetHdr(t.tun->fd())) return "HasVnetHdr is false";
  auto io = TunOffloadIo::Attach(t.tun->fd());
  if (!io.ok()) return io.error();
  t.io = std::move(*io);
  const unsigned want = kTunFCsum | kTunFTso4 | kTunFTso6;
  if ((t.io->offloads() & want) != want) return "kernel refused TSO";
  const std::string cmd = "ip addr add 10.203.0.1/24 dev " + name +
                          " && ip addr add fd00:203::1/64 dev " + name + " nodad" +
                          " && ip link set " + name + " mtu 1420 up";
  return system(cmd.c_str()) == 0 ? "" : "failed: " + cmd;
}

// --- A minimal TCP peer behind the TUN (addresses .2 / ::2, the kernel is .1 / ::1) ---

uint32_t NaiveSum(const uint8_t* p, size_t n, uint32_t sum = 0) {
  for (size_t i = 0; i < n; i += 2) sum += uint32_t(p[i]) << 8 | (i + 1 < n ? p[i + 1] : 0);
  return sum;
}
uint16_t NaiveFold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(sum);
}

struct Flow {
  bool v6 = false;
  uint16_t peer_port = 0;    // ours, behind the TUN
  uint16_t kernel_port = 0;  // the kernel socket's
};

uint8_t* Addr(Bytes& p, bool v6, bool src) { return &p[v6 ? (src ? 8 : 24) : (src ? 12 : 16)]; }

void SetAddresses(Bytes& p, bool v6, bool from_peer) {
  Bytes peer(v6 ? 16 : 4), kernel(v6 ? 16 : 4);
  inet_pton(v6 ? AF_INET6 : AF_INET, v6 ? "fd00:203::2" : "10.203.0.2", peer.data());
  inet_pton(v6 ? AF_INET6 : AF_INET, v6 ? "fd00:203::1" : "10.203.0.1", kernel.data());
  memcpy(Addr(p, v6, true), (from_peer ? peer : kernel).data(), peer.size());
  memcpy(Addr(p, v6, false), (from_peer ? kernel : peer).data(), peer.size());
}

uint32_t PseudoSum(const uint8_t* ip, bool v6, size_t l4_len, uint8_t proto = 6) {
  uint32_t s = v6 ? NaiveSum(ip + 8, 32) : NaiveSum(ip + 12, 8);
  return s + proto + uint32_t(l4_len >> 16) + uint32_t(l4_len & 0xffff);
}

// A TCP segment from the peer to the kernel socket, with valid checksums.
Bytes PeerSegment(const Flow& f, uint32_t seq, uint32_t ack, uint8_t flags, ByteSpan payload,
                  uint16_t mss_option = 0) {
  const size_t ip = f.v6 ? 40 : 20, tcp = mss_option ? 24 : 20;
  Bytes p(ip + tcp + payload.size(), 0);
  if (f.v6) {
    p[0] = 0x60;
    p[4] = uint8_t((tcp + payload.size()) >> 8);
    p[5] = uint8_t(tcp + payload.size());
    p[6] = 6;
    p[7] = 64;
  } else {
    p[0] = 0x45;
    p[2] = uint8_t(p.size() >> 8);
    p[3] = uint8_t(p.size());
    p[6] = 0x40;
    p[8] = 64;
    p[9] = 6;
  }
  SetAddresses(p, f.v6, true);
  if (!f.v6) {
    const uint16_t c = ~NaiveFold(NaiveSum(p.data(), 20));
    p[10] = uint8_t(c >> 8), p[11] = uint8_t(c);
  }
  uint8_t* t = &p[ip];
  t[0] = uint8_t(f.peer_port >> 8), t[1] = uint8_t(f.peer_port);
  t[2] = uint8_t(f.kernel_port >> 8), t[3] = uint8_t(f.kernel_port);
  for (int i = 0; i < 4; ++i) t[4 + i] = uint8_t(seq >> (24 - 8 * i));
  for (int i = 0; i < 4; ++i) t[8 + i] = uint8_t(ack >> (24 - 8 * i));
  t[12] = uint8_t((tcp / 4) << 4);
  t[13] = flags;
  t[14] = 0xff, t[15] = 0xff;  // window 65535, no scaling
  if (mss_option)
    t[20] = 2, t[21] = 4, t[22] = uint8_t(mss_option >> 8), t[23] = uint8_t(mss_option);
  if (!payload.empty()) memcpy(t + tcp, payload.data(), payload.size());
  const uint16_t c = ~NaiveFold(
      NaiveSum(t, tcp + payload.size(), PseudoSum(p.data(), f.v6, tcp + payload.size())));
  t[16] = uint8_t(c >> 8), t[17] = uint8_t(c);
  return p;
}

struct Segment {
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0;
  uint16_t window = 0;
  Bytes payload;
  bool checksums_ok = false;
};

// A TCP segment of `f` from the kernel to the peer, or nothing.
std::optional<Segment> KernelSegment(const Flow& f, ByteSpan p) {
  const size_t ip = f.v6 ? 40 : 20;
  if (p.size() < ip + 20 || (p[0] >> 4) != (f.v6 ? 6 : 4)) return std::nullopt;
  if (p[f.v6 ? 6 : 9] != 6) return std::nullopt;
  const uint8_t* t = &p[ip];
  if ((t[0] << 8 | t[1]) != f.kernel_port || (t[2] << 8 | t[3]) != f.peer_port) return std::nullopt;
  Segment s;
  s.seq = uint32_t(t[4]) << 24 | t[5] << 16 | t[6] << 8 | t[7];
  s.ack = uint32_t(t[8]) << 24 | t[9] << 16 | t[10] << 8 | t[11];
  s.flags = t[13];
  s.window = uint16_t(t[14] << 8 | t[15]);
  const size_t tcp = (t[12] >> 4) * 4u;
  s.payload.assign(p.begin() + ip + tcp, p.end());
  const bool ip_ok = f.v6 || NaiveFold(NaiveSum(p.data(), 20)) == 0xffff;
  s.checksums_ok = ip_ok && NaiveFold(NaiveSum(t, p.size() - ip,
                                               PseudoSum(p.data(), f.v6, p.size() - ip))) == 0xffff;
  return s;
}

// Reads from the TUN until a segment of `f` satisfying `want` arrives.
std::optional<Segment> ReadUntil(OffloadTun& t, const Flow& f,
                                 const std::function<bool(const Segment&)>& want) {
  PacketList packets;
  for (int reads = 0; reads < 200; ++reads) {
    auto r = t.io->Read(kMaxSuperPacketSize, packets);
    if (!r.ok() || *r != Tun::ReadResult::kOk) return std::nullopt;
    for (size_t i = 0; i < packets.size(); ++i) {
      auto s = KernelSegment(f, packets[i]);
      if (s && want(*s)) return s;
    }
  }
  return std::nullopt;
}

int KernelSocket(bool v6) { return socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0); }

socklen_t SockAddr(bool v6, const char* addr, uint16_t port, sockaddr_storage& ss) {
  memset(&ss, 0, sizeof ss);
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    inet_pton(AF_INET6, addr, &a->sin6_addr);
    return sizeof *a;
  }
  auto* a = reinterpret_cast<sockaddr_in*>(&ss);
  a->sin_family = AF_INET;
  a->sin_port = htons(port);
  inet_pton(AF_INET, addr, &a->sin_addr);
  return sizeof *a;
}

Bytes RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = uint8_t(rng());
  return b;
}

constexpr uint8_t kSyn = 0x02, kPsh = 0x08, kAck = 0x10;

// The kernel connects to the peer and sends `data`; the peer acknowledges everything
// in order. Every IP packet read must be a valid segment; some reads must have been
// super-packets.
std::string KernelSendsThroughTso(bool v6) {
  OffloadTun t;
  const std::string ifname = v6 ? "dloff6" : "dloff4";
  if (std::string e = OpenOffloadTun(ifname, t); !e.empty()) return e;
  Flow f{v6, 7777, 0};
  int c = KernelSocket(v6);
  sockaddr_storage ss;
  socklen_t len = SockAddr(v6, v6 ? "fd00:203::2" : "10.203.0.2", f.peer_port, ss);
  fcntl(c, F_SETFL, O_NONBLOCK);
  if (connect(c, reinterpret_cast<sockaddr*>(&ss), len) == 0 || errno != EINPROGRESS)
    return "connect did not start";
  sockaddr_storage local;
  socklen_t local_len = sizeof local;
  getsockname(c, reinterpret_cast<sockaddr*>(&local), &local_len);
  f.kernel_port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&local)->sin6_port
                           : reinterpret_cast<sockaddr_in*>(&local)->sin_port);
  auto syn = ReadUntil(t, f, [](const Segment& s) { return s.flags & kSyn; });
  if (!syn) return "no SYN from the kernel";
  const uint32_t iss = 1000;
  TunWriteScratch scratch;
  const Bytes synack = PeerSegment(f, iss, syn->seq + 1, kSyn | kAck, {}, 1380);
  const ByteSpan one[] = {synack};
  if (Status s = t.io->Write(one, scratch); !s.ok()) return s.message();

  const Bytes data = RandomBytes(300000, v6 ? 6 : 4);
  size_t sent = 0;
  Bytes received;
  uint32_t next = syn->seq + 1;
  while (received.size() < data.size()) {
    if (sent < data.size()) {
      ssize_t n = send(c, data.data() + sent, data.size() - sent, MSG_DONTWAIT);
      if (n > 0) sent += size_t(n);
    }
    PacketList packets;
    auto r = t.io->Read(kMaxSuperPacketSize, packets);
    if (!r.ok() || *r != Tun::ReadResult::kOk) return "Read failed";
    for (size_t i = 0; i < packets.size(); ++i) {
      auto s = KernelSegment(f, packets[i]);
      if (!s) continue;
      if (packets[i].size() > 1420) return "segment above the MTU";
      if (!s->checksums_ok) return "segment with a bad checksum";
      if (s->seq != next || s->payload.empty()) continue;  // retransmission or pure ACK
      received.insert(received.end(), s->payload.begin(), s->payload.end());
      next += uint32_t(s->payload.size());
    }
    const Bytes ack = PeerSegment(f, iss + 1, next, kAck, {});
    const ByteSpan acks[] = {ack};
    if (Status s = t.io->Write(acks, scratch); !s.ok()) return s.message();
  }
  close(c);
  if (received != data) return "payload differs";
  if (t.io->stats().gso_reads == 0) return "the kernel sent no super-packet";
  if (t.io->stats().read_malformed != 0) return "malformed reads";
  return "";
}

// The peer connects to a listening kernel socket and sends a burst of segments in one
// Write(); they must arrive coalesced and intact.
std::string PeerSendsThroughGro(bool v6) {
  OffloadTun t;
  const std::string ifname = v6 ? "dlgro6" : "dlgro4";
  if (std::string e = OpenOffloadTun(ifname, t); !e.empty()) return e;
  Flow f{v6, 5555, 8888};
  int l = KernelSocket(v6);
  sockaddr_storage ss;
  socklen_t len = SockAddr(v6, v6 ? "fd00:203::1" : "10.203.0.1", f.kernel_port, ss);
  if (bind(l, reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(l, 1) != 0)
    return "listen failed";
  TunWriteScratch scratch;
  const uint32_t iss = 0xfffff000;  // the sequence numbers wrap within the burst
  const Bytes syn = PeerSegment(f, iss, 0, kSyn, {}, 1000);
  const ByteSpan one[] = {syn};
  if (Status s = t.io->Write(one, scratch); !s.ok()) return s.message();
  auto synack =
      ReadUntil(t, f, [](const Segment& s) { return (s.flags & (kSyn | kAck)) == (kSyn | kAck); });
  if (!synack) return "no SYN-ACK";
  const Bytes ack = PeerSegment(f, iss + 1, synack->seq + 1, kAck, {});
  const ByteSpan acks[] = {ack};
  if (Status s = t.io->Write(acks, scratch); !s.ok()) return s.message();
  int a = accept(l, nullptr, nullptr);
  if (a < 0) return "accept failed";

  const size_t segments = std::min<size_t>(40, synack->window / 1000);
  if (segments < 8) return "kernel window too small: " + std::to_string(synack->window);
  const Bytes data = RandomBytes(segments * 1000, 9);
  std::vector<Bytes> burst;
  for (size_t i = 0; i < segments; ++i) {
    const uint8_t flags = kAck | (i + 1 == segments ? kPsh : 0);
    burst.push_back(PeerSegment(f, iss + 1 + uint32_t(i * 1000), synack->seq + 1, flags,
                                ByteSpan(data).subspan(i * 1000, 1000)));
  }
  std::vector<ByteSpan> spans(burst.begin(), burst.end());
  if (Status s = t.io->Write(spans, scratch); !s.ok()) return s.message();
  if (t.io->stats().gso_writes != 1) return "burst not written as one super-packet";
  Bytes got(data.size());
  size_t have = 0;
  while (have < got.size()) {
    pollfd p{a, POLLIN, 0};
    if (poll(&p, 1, 5000) != 1) return "kernel delivered " + std::to_string(have) + " bytes";
    ssize_t n = recv(a, got.data() + have, got.size() - have, 0);
    if (n <= 0) return "recv failed";
    have += size_t(n);
  }
  close(a);
  close(l);
  return got == data ? "" : "payload differs";
}

TEST(TunOffloadIo, KernelTsoIpv4) {
  REQUIRE_ROOT();
  EXPECT_EQ(testing::RunInNetns([] { return KernelSendsThroughTso(false); }), "");
}

TEST(TunOffloadIo, KernelTsoIpv6) {
  REQUIRE_ROOT();
  EXPECT_EQ(testing::RunInNetns([] { return KernelSendsThroughTso(true); }), "");
}

TEST(TunOffloadIo, CoalescedWriteIpv4) {
  REQUIRE_ROOT();
  EXPECT_EQ(testing::RunInNetns([] { return PeerSendsThroughGro(false); }), "");
}

TEST(TunOffloadIo, CoalescedWriteIpv6) {
  REQUIRE_ROOT();
  EXPECT_EQ(testing::RunInNetns([] { return PeerSendsThroughGro(true); }), "");
}

// A local UDP_SEGMENT send comes out of the TUN as one UDP_L4 super-packet (Linux
// ≥ 6.2 with USO) and splits into the datagrams the application meant.
TEST(TunOffloadIo, KernelUsoIpv4) {
  REQUIRE_ROOT();
  EXPECT_EQ(testing::RunInNetns([]() -> std::string {
              OffloadTun t;
              if (std::string e = OpenOffloadTun("dluso4", t); !e.empty()) return e;
              if (!(t.io->offloads() & kTunFUso4)) return "kernel without USO";
              int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
              int gso = 1000;
              if (setsockopt(u, SOL_UDP, UDP_SEGMENT, &gso, sizeof gso) != 0) return "UDP_SEGMENT";
              sockaddr_storage ss;
              socklen_t len = SockAddr(false, "10.203.0.2", 9999, ss);
              const Bytes data = RandomBytes(5500, 3);
              if (sendto(u, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&ss), len) !=
                  ssize_t(data.size()))
                return "sendto";
              Bytes got;
              size_t datagrams = 0;
              PacketList packets;
              for (int reads = 0; reads < 50 && got.size() < data.size(); ++reads) {
                auto r = t.io->Read(1420, packets);
                if (!r.ok() || *r != Tun::ReadResult::kOk) return "Read failed";
                for (size_t i = 0; i < packets.size(); ++i) {
                  ByteSpan p = packets[i];
                  if (p.size() < 28 || p[0] != 0x45 || p[9] != 17 || (p[22] << 8 | p[23]) != 9999)
                    continue;
                  if (NaiveFold(NaiveSum(p.data() + 20, p.size() - 20,
                                         PseudoSum(p.data(), false, p.size() - 20, 17))) != 0xffff)
                    return "bad UDP checksum";
                  got.insert(got.end(), p.begin() + 28, p.end());
                  ++datagrams;
                }
              }
              close(u);
              if (got != data) return "payload differs";
              if (datagrams != 6) return "datagrams: " + std::to_string(datagrams);
              if (t.io->stats().gso_reads != 1) return "not one super-packet";
              return "";
            }),
            "");
}

TEST(TunOffloadIo, ShutdownWakesReaderAndPlainFdIsRefused) {
  REQUIRE_ROOT();
  EXPECT_EQ(testing::RunInNetns([]() -> std::string {
              OffloadTun t;
              if (std::string e = OpenOffloadTun("dloffsd", t); !e.empty()) return e;
              std::optional<Tun::ReadResult> seen;
              std::thread reader([&] {
                PacketList packets;
                for (int i = 0; i < 100; ++i) {  // skip router solicitations etc.
                  auto r = t.io->Read(1420, packets);
                  if (!r.ok() || *r != Tun::ReadResult::kOk) {
                    seen = r.ok() ? *r : Tun::ReadResult::kOk;
                    return;
                  }
                }
              });
              usleep(50'000);
              t.io->Shutdown();
              reader.join();
              if (seen != Tun::ReadResult::kShutdown) return "Shutdown did not wake Read";
              auto plain = Tun::Create("dlplain", TunOptions{});
              if (!plain.ok()) return plain.error();
              if (HasVnetHdr((*plain)->fd())) return "plain TUN reported a vnet header";
              if (TunOffloadIo::Attach((*plain)->fd()).ok()) return "plain TUN attached";
              return "";
            }),
            "");
}

}  // namespace
}  // namespace dlog::net
