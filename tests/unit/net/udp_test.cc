#include "net/udp.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <thread>

#include "netns_child.h"

namespace dlog::net {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<UdpSocket> OpenOrDie(UdpOptions o = {}) {
  auto s = UdpSocket::Open(o);
  EXPECT_TRUE(s.ok()) << s.error();
  return s.ok() ? std::move(*s) : nullptr;
}

wg::Endpoint Loopback(bool v6, uint16_t port) {
  return *wg::Endpoint::Parse(v6 ? "[::1]:" + std::to_string(port)
                                 : "127.0.0.1:" + std::to_string(port));
}

// A deterministic traffic pattern with runs GSO can coalesce (equal sizes, a shorter
// tail) and breaks between them (size changes).
std::vector<Bytes> Pattern(size_t n) {
  std::vector<Bytes> out;
  for (size_t i = 0; i < n; ++i) {
    size_t size = (i % 50 == 49) ? 100 + i % 7 : (i < n / 2 ? 1452 : 148);
    Bytes b(size);
    for (size_t j = 0; j < size; ++j) b[j] = uint8_t(i * 131 + j);
    b[0] = uint8_t(i);
    b[1] = uint8_t(i >> 8);
    out.push_back(std::move(b));
  }
  return out;
}

// Sends `datagrams` from `tx` to `to` (in slices of kUdpBatch, draining the receiver in
// between so that no socket buffer overflows) and returns what `rx` receives, in order.
std::vector<Bytes> RoundTrip(UdpSocket& tx, UdpSocket& rx, const wg::Endpoint& to,
                             const std::vector<Bytes>& datagrams, wg::Endpoint* from = nullptr) {
  SendScratch scratch;
  RecvBatch batch;
  std::vector<Bytes> got;
  for (size_t sent = 0; sent < datagrams.size() || got.size() < datagrams.size();) {
    if (sent < datagrams.size()) {
      std::vector<Outgoing> out;
      for (size_t i = sent; i < datagrams.size() && i < sent + kUdpBatch; ++i)
        out.push_back({to, ByteSpan(datagrams[i])});
      tx.Send(out, scratch);
      sent += out.size();
    }
    while (got.size() < sent) {
      pollfd pfd{rx.fd(), POLLIN, 0};
      if (poll(&pfd, 1, 2000) != 1) {
        ADD_FAILURE() << "timed out after " << got.size() << " of " << sent;
        return got;
      }
      EXPECT_TRUE(rx.Receive(batch).ok());
      for (const Received& r : batch.datagrams()) {
        got.emplace_back(r.data.begin(), r.data.end());
        if (from) *from = r.from;
      }
    }
  }
  return got;
}

TEST(UdpSockaddr, V4MappedRoundTrip) {
  wg::Endpoint v4 = *wg::Endpoint::Parse("192.0.2.7:51820");
  sockaddr_storage sa;
  ASSERT_EQ(ToSockaddr(v4, true, sa), sizeof(sockaddr_in6));
  EXPECT_TRUE(IN6_IS_ADDR_V4MAPPED(&reinterpret_cast<sockaddr_in6*>(&sa)->sin6_addr));
  EXPECT_EQ(FromSockaddr(sa), v4);
  ASSERT_EQ(ToSockaddr(v4, false, sa), sizeof(sockaddr_in));
  EXPECT_EQ(FromSockaddr(sa), v4);
  wg::Endpoint v6 = *wg::Endpoint::Parse("[fe80::1%7]:9");
  ASSERT_EQ(ToSockaddr(v6, true, sa), sizeof(sockaddr_in6));
  EXPECT_EQ(reinterpret_cast<sockaddr_in6*>(&sa)->sin6_scope_id, 7u);
  EXPECT_EQ(FromSockaddr(sa), v6);
  EXPECT_EQ(ToSockaddr(v6, false, sa), 0u);  // no IPv6 on an IPv4 socket
}

TEST(UdpSocket, PortZeroReportsTheKernelsChoiceAndAPortInUseFails) {
  auto a = OpenOrDie();
  ASSERT_TRUE(a);
  EXPECT_NE(a->port(), 0);
  EXPECT_TRUE(a->v6());
  UdpOptions same;
  same.port = a->port();
  auto b = UdpSocket::Open(same);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().find("Address already in use"), std::string::npos) << b.error();
}

class UdpLoopback : public ::testing::TestWithParam<bool> {};  // param: IPv6 (::1)

TEST_P(UdpLoopback, BatchedSendAndReceivePreserveEveryDatagramInOrder) {
  auto tx = OpenOrDie(), rx = OpenOrDie();
  ASSERT_TRUE(tx && rx);
  auto sent = Pattern(300);
  wg::Endpoint from;
  auto got = RoundTrip(*tx, *rx, Loopback(GetParam(), rx->port()), sent, &from);
  EXPECT_EQ(got, sent);
  EXPECT_EQ(from, Loopback(GetParam(), tx->port()));
  EXPECT_EQ(tx->stats().sent.load(), 300u);
  EXPECT_EQ(tx->stats().send_errors.load(), 0u);
  EXPECT_EQ(rx->stats().received.load(), 300u);
}

TEST_P(UdpLoopback, GsoAndGroOnOrOffDeliverIdenticalDatagrams) {
  auto sent = Pattern(400);
  for (bool gso : {false, true}) {
    for (bool gro : {false, true}) {
      UdpOptions to, ro;
      to.gso = gso;
      ro.gro = gro;
      auto tx = OpenOrDie(to), rx = OpenOrDie(ro);
      ASSERT_TRUE(tx && rx);
      ASSERT_EQ(tx->gso_enabled(), gso) << "this kernel should support UDP_SEGMENT";
      ASSERT_EQ(rx->gro_enabled(), gro) << "this kernel should support UDP_GRO";
      wg::Endpoint tx_seen;
      auto got = RoundTrip(*tx, *rx, Loopback(GetParam(), rx->port()), sent, &tx_seen);
      EXPECT_EQ(got, sent) << "gso " << gso << " gro " << gro;
      // Back the other way: rx now knows its local address for tx, so its GSO sends carry
      // UDP_SEGMENT and a PKTINFO together.
      EXPECT_TRUE(rx->StickySource(tx_seen).set);
      EXPECT_EQ(RoundTrip(*rx, *tx, tx_seen, sent), sent)
          << "reverse, gso " << gso << " gro " << gro;
      EXPECT_GT(rx->stats().gso_sends.load(), 0u);
      EXPECT_EQ(rx->stats().send_errors.load(), 0u);
      if (gso) {
        EXPECT_GT(tx->stats().gso_sends.load(), 0u);
      } else {
        EXPECT_EQ(tx->stats().gso_sends.load(), 0u);
      }
      // Over loopback a GSO send reaches a GRO socket still whole, and is split by us.
      if (gso && gro) {
        EXPECT_GT(rx->stats().gro_buffers.load(), 0u);
      }
      if (!gro) {
        EXPECT_EQ(rx->stats().gro_buffers.load(), 0u);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(V4AndV6, UdpLoopback, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "ipv6" : "ipv4"; });

// A GSO run whose segments exceed the path MTU makes the kernel answer EINVAL; the run
// must then go out one datagram at a time (IP-fragmented) and still arrive intact.
TEST(UdpSocket, GsoRunLargerThanThePathMtuFallsBackToSingleSends) {
  REQUIRE_ROOT();
  EXPECT_EQ(testing::RunInNetns([]() -> std::string {
              if (system("ip link set lo mtu 1300 up") != 0) return "ip link set lo failed";
              UdpOptions o;
              o.ipv6 = false;
              auto tx = UdpSocket::Open(o), rx = UdpSocket::Open(o);
              if (!tx.ok() || !rx.ok()) return "open failed";
              if (!(*tx)->gso_enabled()) return "GSO not enabled";
              std::vector<Bytes> sent(10, Bytes(1452));
              for (size_t i = 0; i < sent.size(); ++i) sent[i][0] = uint8_t(i);
              std::vector<Outgoing> out;
              wg::Endpoint to = Loopback(false, (*rx)->port());
              for (const Bytes& b : sent) out.push_back({to, ByteSpan(b)});
              SendScratch scratch;
              (*tx)->Send(out, scratch);
              if ((*tx)->stats().sent.load() != 10) return "not all sent one by one";
              if ((*tx)->stats().gso_sends.load() != 0) return "a GSO send succeeded";
              if (!(*tx)->gso_enabled()) return "EINVAL must not switch GSO off";
              RecvBatch batch;
              size_t got = 0;
              while (got < sent.size()) {
                pollfd pfd{(*rx)->fd(), POLLIN, 0};
                if (poll(&pfd, 1, 2000) != 1) return "timed out";
                if (!(*rx)->Receive(batch).ok()) return "Receive";
                for (const Received& r : batch.datagrams()) {
                  if (Bytes(r.data.begin(), r.data.end()) != sent[got]) return "datagram differs";
                  ++got;
                }
              }
              return "";
            }),
            "");
}

// A plain client socket bound to `addr` (v4 or v6 text), for checking reply sources.
int ClientSocket(const std::string& addr, sockaddr_storage& bound) {
  bool v6 = addr.find(':') != std::string::npos;
  int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
  memset(&bound, 0, sizeof bound);
  socklen_t len;
  if (v6) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&bound);
    s6->sin6_family = AF_INET6;
    inet_pton(AF_INET6, addr.c_str(), &s6->sin6_addr);
    len = sizeof *s6;
  } else {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&bound);
    s4->sin_family = AF_INET;
    inet_pton(AF_INET, addr.c_str(), &s4->sin_addr);
    len = sizeof *s4;
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&bound), len) != 0) return -1;
  len = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// The client at `client_addr` sends to `server_addr`:port of `rx`; `rx` answers the
// endpoint it saw. Returns the address the answer came from ("" on failure), and
// `local` gets what rx recorded as its local address.
std::string ReplySource(UdpSocket& rx, const std::string& client_addr,
                        const std::string& server_addr, LocalAddr* local = nullptr) {
  sockaddr_storage bound;
  int c = ClientSocket(client_addr, bound);
  if (c < 0) return std::string("bind ") + client_addr + ": " + strerror(errno);
  bool v6 = server_addr.find(':') != std::string::npos;
  wg::Endpoint server =
      *wg::Endpoint::Parse(v6 ? "[" + server_addr + "]:" + std::to_string(rx.port())
                              : server_addr + ":" + std::to_string(rx.port()));
  sockaddr_storage sa;
  socklen_t len = ToSockaddr(server, false, sa);
  if (v6) len = ToSockaddr(server, true, sa);
  if (sendto(c, "ping", 4, 0, reinterpret_cast<sockaddr*>(&sa), len) != 4) {
    close(c);
    return std::string("sendto: ") + strerror(errno);
  }
  RecvBatch batch;
  pollfd pfd{rx.fd(), POLLIN, 0};
  if (poll(&pfd, 1, 2000) != 1 || !rx.Receive(batch).ok() || batch.datagrams().empty()) {
    close(c);
    return "";
  }
  Received r = batch.datagrams()[0];
  if (local) *local = r.local;
  Outgoing reply{r.from, AsBytes("pong")};
  SendScratch scratch;
  rx.Send(std::span(&reply, 1), scratch);
  sockaddr_storage from{};
  socklen_t from_len = sizeof from;
  char buf[8];
  ssize_t n = recvfrom(c, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &from_len);
  close(c);
  if (n != 4) return "";
  auto ep = FromSockaddr(from);
  if (!ep) return "";
  std::string s = ep->ToString();
  return v6 ? s.substr(1, s.rfind(']') - 1) : s.substr(0, s.rfind(':'));
}

TEST(UdpSticky, RepliesLeaveFromTheAddressThePeerContacted) {
  // 127.0.0.2 is local (127/8 on lo); the kernel's own choice towards 127.0.0.1 would
  // be 127.0.0.1.
  auto rx = OpenOrDie();
  ASSERT_TRUE(rx);
  LocalAddr local;
  EXPECT_EQ(ReplySource(*rx, "127.0.0.1", "127.0.0.2", &local), "127.0.0.2");
  EXPECT_TRUE(local.set);
  EXPECT_FALSE(local.v6);
  EXPECT_EQ(local.addr[3], 2);
  EXPECT_TRUE(rx->StickySource(Loopback(false, 1)).set == false);

  UdpOptions plain;
  plain.sticky_source = false;
  auto rx2 = OpenOrDie(plain);
  ASSERT_TRUE(rx2);
  EXPECT_EQ(ReplySource(*rx2, "127.0.0.1", "127.0.0.2"), "127.0.0.1");

  UdpOptions v4only;
  v4only.ipv6 = false;
  auto rx3 = OpenOrDie(v4only);
  ASSERT_TRUE(rx3);
  EXPECT_EQ(ReplySource(*rx3, "127.0.0.1", "127.0.0.2"), "127.0.0.2");
}

TEST(UdpSticky, Ipv6AndAVanishedAddress) {
  REQUIRE_ROOT();
  EXPECT_EQ(
      testing::RunInNetns([]() -> std::string {
        if (system("ip link set lo up && ip addr add fd00::1/128 dev lo nodad && "
                   "ip addr add fd00::2/128 dev lo nodad && ip addr add 10.9.9.2/32 dev lo") != 0)
          return "ip setup failed";
        // Even with nodad, addrconf finishes new IPv6 addresses from a work queue: wait
        // (bounded) until none is tentative.
        for (int i = 0; i < 100; ++i) {
          if (system("test -z \"$(ip -6 -o addr show dev lo tentative)\"") == 0) break;
          usleep(20'000);
        }
        auto rx = UdpSocket::Open(UdpOptions{});
        if (!rx.ok()) return rx.error();
        std::string got = ReplySource(**rx, "fd00::1", "fd00::2");
        if (got != "fd00::2") return "IPv6 reply from '" + got + "'";

        // Remember 10.9.9.2, then take it away: the send must still go out.
        got = ReplySource(**rx, "127.0.0.1", "10.9.9.2");
        if (got != "10.9.9.2") return "IPv4 reply from '" + got + "'";
        sockaddr_storage bound;
        int c = ClientSocket("127.0.0.1", bound);
        wg::Endpoint client = *FromSockaddr(bound);
        wg::Endpoint server = *wg::Endpoint::Parse("10.9.9.2:" + std::to_string((*rx)->port()));
        sockaddr_storage sa;
        socklen_t len = ToSockaddr(server, false, sa);
        sendto(c, "ping", 4, 0, reinterpret_cast<sockaddr*>(&sa), len);
        RecvBatch batch;
        pollfd pfd{(*rx)->fd(), POLLIN, 0};
        if (poll(&pfd, 1, 2000) != 1 || !(*rx)->Receive(batch).ok()) return "no datagram";
        if (!(*rx)->StickySource(client).set) return "source not remembered";
        if (system("ip addr del 10.9.9.2/32 dev lo") != 0) return "ip addr del failed";
        Outgoing reply{client, AsBytes("pong")};
        SendScratch scratch;
        (*rx)->Send(std::span(&reply, 1), scratch);
        char buf[8];
        sockaddr_storage from{};
        socklen_t from_len = sizeof from;
        ssize_t n = recvfrom(c, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &from_len);
        close(c);
        if (n != 4)
          return "reply lost after the address went away; errors " +
                 std::to_string((*rx)->stats().send_errors.load()) + " resets " +
                 std::to_string((*rx)->stats().sticky_resets.load()) + " sent " +
                 std::to_string((*rx)->stats().sent.load());
        if ((*rx)->stats().sticky_resets.load() != 1) return "sticky source not reset";
        if ((*rx)->StickySource(client).set) return "stale source kept";
        if (FromSockaddr(from)->ToString().rfind("127.0.0.1:", 0) != 0) return "unexpected source";
        return "";
      }),
      "");
}

TEST(UdpSocket, Ipv4OnlySocketWorksAndRefusesIpv6Endpoints) {
  UdpOptions o;
  o.ipv6 = false;
  auto tx = OpenOrDie(o), rx = OpenOrDie(o);
  ASSERT_TRUE(tx && rx);
  EXPECT_FALSE(tx->v6());
  auto sent = Pattern(70);
  EXPECT_EQ(RoundTrip(*tx, *rx, Loopback(false, rx->port()), sent), sent);
  Bytes b(10);
  Outgoing o6{Loopback(true, rx->port()), ByteSpan(b)};
  SendScratch scratch;
  tx->Send(std::span(&o6, 1), scratch);
  EXPECT_EQ(tx->stats().send_errors.load(), 1u);
}

TEST(UdpSocket, EnvironmentSwitchTurnsOffloadsOff) {
  setenv("DLOG_WG_DISABLE_GSO", "1", 1);
  auto s = OpenOrDie();
  unsetenv("DLOG_WG_DISABLE_GSO");
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->gso_enabled());
  EXPECT_FALSE(s->gro_enabled());
  auto t = OpenOrDie();
  EXPECT_TRUE(t->gso_enabled());
}

TEST(UdpSocket, ShutdownWakesABlockedReceive) {
  auto s = OpenOrDie();
  ASSERT_TRUE(s);
  std::atomic<bool> returned{false};
  std::thread reader([&] {
    RecvBatch batch;
    EXPECT_TRUE(s->Receive(batch).ok());
    EXPECT_TRUE(batch.datagrams().empty());
    returned = true;
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(returned.load());
  s->Shutdown();
  reader.join();
  EXPECT_TRUE(returned.load());
  RecvBatch again;
  EXPECT_TRUE(s->Receive(again).ok());
  EXPECT_TRUE(again.datagrams().empty());
}

TEST(UdpBind, RebindMovesTheReaderToTheNewPort) {
  UdpBind bind(UdpOptions{});
  ASSERT_TRUE(bind.Open().ok());
  uint16_t first = bind.port();
  std::atomic<int> got{0};
  std::thread reader([&] {
    RecvBatch batch;
    while (auto s = bind.Current()) {
      if (!s->Receive(batch).ok()) break;
      got += int(batch.datagrams().size());
    }
  });
  auto probe = OpenOrDie();
  auto free_port = OpenOrDie();
  uint16_t second = free_port->port();
  free_port.reset();
  ASSERT_TRUE(bind.Rebind(second).ok());
  EXPECT_EQ(bind.port(), second);
  EXPECT_TRUE(bind.Rebind(second).ok());  // same port: no-op
  UdpOptions taken;
  auto blocker = OpenOrDie(taken);
  EXPECT_FALSE(bind.Rebind(blocker->port()).ok());  // in use: the old socket stays
  EXPECT_EQ(bind.port(), second);
  Bytes b(32, 7);
  std::vector<Outgoing> out(5, Outgoing{Loopback(false, second), ByteSpan(b)});
  SendScratch scratch;
  for (int i = 0; i < 100 && got.load() < 5; ++i) {
    if (got.load() == 0) probe->Send(out, scratch);
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_GE(got.load(), 5);
  EXPECT_NE(first, second);
  bind.Close();
  reader.join();
  EXPECT_EQ(bind.Current(), nullptr);
}

}  // namespace
}  // namespace dlog::net
