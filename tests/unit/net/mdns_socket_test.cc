// MdnsSocket and DnsQuery. Multicast tests run as root in a throwaway network namespace
// (a forked child unshares CLONE_NEWNET and marks lo multicast-capable), so port 5353
// and the mDNS groups are private to the test and nothing leaves the host.
#include "net/mdns_socket.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <thread>

#include "net/dns_query.h"
#include "netns_child.h"

namespace dlog::net {
namespace {

using namespace std::chrono_literals;

// Two sockets share port 5353 (as dlog and avahi would); a datagram to the group
// reaches both, marked as multicast, from port 5353.
std::string GroupRoundTrip(bool v6) {
  // IPv6 multicast does not loop back through lo: a veth pair (no DAD, so its
  // link-local source address is usable at once) carries it.
  std::string ifname = v6 ? "m0" : "lo";
  if (v6 && system("echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad && "
                   "ip link add m0 type veth peer name m1 && ip link set m1 up && "
                   "ip link set m0 up") != 0) {
    return "veth setup failed";
  }
  MdnsSocketOptions o{.v6 = v6, .port = 5353, .interface = ifname, .loopback = true};
  auto a = MdnsSocket::Open(o);
  if (!a.ok()) return "open a: " + a.error();
  auto b = MdnsSocket::Open(o);
  if (!b.ok()) return "open b (SO_REUSEPORT): " + b.error();
  const Bytes msg = {1, 2, 3, 4, 5};
  if (Status s = (*a)->Send((*a)->group(), msg); !s.ok()) return s.message();
  for (auto* s : {a->get(), b->get()}) {
    auto r = s->Receive(2000ms);
    if (!r.ok()) return r.error();
    if (!*r) return "no datagram on a socket sharing the port";
    if ((*r)->data != msg) return "payload differs";
    if (!(*r)->to_group) return "not marked as sent to the group";
    if ((*r)->from.port != 5353) return "source port " + std::to_string((*r)->from.port);
    if ((*r)->ifindex != if_nametoindex(ifname.c_str())) return "wrong ifindex";
  }
  if ((*a)->stats().sent.load() != 1) return "sent counter";
  if ((*a)->joined() != std::vector<std::string>{ifname}) return "joined list";
  return "";
}

TEST(MdnsSocket, GroupRoundTripV4) {
  REQUIRE_ROOT();
  EXPECT_EQ(testing::RunInNetns([] { return GroupRoundTrip(false); }), "");
}

TEST(MdnsSocket, GroupRoundTripV6) {
  REQUIRE_ROOT();
  EXPECT_EQ(testing::RunInNetns([] { return GroupRoundTrip(true); }), "");
}

// A legacy querier (ephemeral port, plain socket) gets a unicast answer from 5353; the
// socket sees the query as multicast from the querier's port.
TEST(MdnsSocket, UnicastToALegacyQuerier) {
  REQUIRE_ROOT();
  EXPECT_EQ(testing::RunInNetns([]() -> std::string {
              auto s = MdnsSocket::Open({.v6 = false, .port = 5353, .interface = "lo"});
              if (!s.ok()) return s.error();
              int q = socket(AF_INET, SOCK_DGRAM, 0);
              sockaddr_in to{};
              to.sin_family = AF_INET;
              to.sin_port = htons(5353);
              inet_pton(AF_INET, "224.0.0.251", &to.sin_addr);
              in_addr lo{htonl(INADDR_LOOPBACK)};
              setsockopt(q, IPPROTO_IP, IP_MULTICAST_IF, &lo, sizeof lo);
              const uint8_t query[3] = {9, 8, 7};
              sendto(q, query, 3, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
              auto r = (*s)->Receive(2000ms);
              if (!r.ok() || !*r) return "query not received";
              if (!(*r)->to_group) return "query not marked multicast";
              wg::Endpoint from = (*r)->from;
              if (from.port == 5353) return "querier port";
              (void)(*s)->Send(from, Bytes{42});
              uint8_t buf[16];
              sockaddr_in src{};
              socklen_t len = sizeof src;
              timeval tv{2, 0};
              setsockopt(q, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
              ssize_t n = recvfrom(q, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&src), &len);
              close(q);
              if (n != 1 || buf[0] != 42) return "no unicast answer";
              if (ntohs(src.sin_port) != 5353) return "answer not from 5353";
              return "";
            }),
            "");
}

TEST(MdnsSocket, ReceiveTimesOutAndShutdownStops) {
  REQUIRE_ROOT();
  EXPECT_EQ(testing::RunInNetns([]() -> std::string {
              auto s = MdnsSocket::Open({.v6 = false, .port = 5353, .interface = "lo"});
              if (!s.ok()) return s.error();
              auto t0 = std::chrono::steady_clock::now();
              auto r = (*s)->Receive(100ms);
              if (!r.ok() || *r) return "expected a timeout";
              if (std::chrono::steady_clock::now() - t0 < 90ms) return "returned early";
              (*s)->Shutdown();
              r = (*s)->Receive(5000ms);
              if (!r.ok() || *r) return "expected nothing after Shutdown";
              return "";
            }),
            "");
}

TEST(MdnsSocket, UnknownInterfaceIsAnError) {
  EXPECT_FALSE(MdnsSocket::Open({.interface = "no-such-if0"}).ok());
}

// A DNS server on loopback that answers every A question with 192.0.2.77.
TEST(DnsQuery, ReturnsTheRawAnswer) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  socklen_t len = sizeof sa;
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  std::thread server([fd] {
    uint8_t buf[512];
    sockaddr_in from{};
    socklen_t fl = sizeof from;
    ssize_t n = recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fl);
    if (n < 12) return;
    size_t qend = 12;
    while (qend < size_t(n) && buf[qend] != 0) qend += buf[qend] + 1;
    qend += 5;  // root, type, class
    Bytes reply(buf, buf + qend);
    reply[2] = 0x81;            // QR, RD
    reply[3] = 0x80;            // RA
    reply[7] = 1;               // ANCOUNT
    reply[10] = reply[11] = 0;  // no additionals (the query's EDNS record is dropped)
    const uint8_t answer[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 77};
    reply.insert(reply.end(), answer, answer + sizeof answer);
    sendto(fd, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), fl);
  });
  DnsQueryOptions o;
  o.timeout = 2s;
  o.attempts = 1;
  o.server = *wg::Endpoint::Parse("127.0.0.1:" + std::to_string(ntohs(sa.sin_port)));
  auto r = DnsQuery("node.example", 1, o);
  server.join();
  close(fd);
  ASSERT_TRUE(r.ok()) << r.error();
  const uint8_t tail[] = {192, 0, 2, 77};
  ASSERT_GE(r->size(), 4u);
  EXPECT_TRUE(std::equal(tail, tail + 4, r->end() - 4));
}

TEST(DnsQuery, TimesOutWithAnError) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);  // a server that never answers
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  socklen_t len = sizeof sa;
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  DnsQueryOptions o;
  o.timeout = 1s;
  o.attempts = 1;
  o.server = *wg::Endpoint::Parse("127.0.0.1:" + std::to_string(ntohs(sa.sin_port)));
  auto t0 = std::chrono::steady_clock::now();
  auto r = DnsQuery("node.example", 1, o);
  close(fd);
  EXPECT_FALSE(r.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

}  // namespace
}  // namespace dlog::net
