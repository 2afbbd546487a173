// KernelStack over loopback (127.0.0.1): no privileges needed.
#include "stack/kernel_stack.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

namespace dlog::stack {
namespace {

constexpr Timeout kIo{10000};
const IpAddress kLoopback = IpAddress::V4(127, 0, 0, 1);

TEST(KernelStack, EchoesAMegabyteAndBothSidesSeeTheirAddresses) {
  KernelStack stack(kLoopback);
  EXPECT_EQ(stack.name(), "tun");
  auto l = stack.Listen(0);
  ASSERT_TRUE(l.ok()) << l.error();
  uint16_t port = (*l)->port();
  ASSERT_NE(port, 0);
  std::thread server([&] {
    auto a = (*l)->Accept(kIo);
    ASSERT_TRUE(a.ok()) << a.error();
    EXPECT_EQ(a->remote, a->stream->Peer());
    EXPECT_EQ(a->remote.ip, kLoopback);
    uint8_t buf[8192];
    for (;;) {
      auto n = a->stream->Read(buf, kIo);
      ASSERT_TRUE(n.ok()) << n.error();
      if (*n == 0) break;
      ASSERT_TRUE(a->stream->Write({buf, *n}, kIo).ok());
    }
    ASSERT_TRUE(a->stream->Shutdown().ok());
  });
  auto s = stack.Connect({kLoopback, port}, kIo);
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_EQ((*s)->Peer(), (SocketAddress{kLoopback, port}));
  EXPECT_EQ((*s)->Local().ip, kLoopback);
  Bytes data(1 << 20);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 7 + (i >> 11));
  std::thread writer([&] {
    ASSERT_TRUE((*s)->Write(data, kIo).ok());
    ASSERT_TRUE((*s)->Shutdown().ok());
  });
  Bytes back;
  uint8_t buf[8192];
  for (;;) {
    auto n = (*s)->Read(buf, kIo);
    ASSERT_TRUE(n.ok()) << n.error();
    if (*n == 0) break;
    back.insert(back.end(), buf, buf + *n);
  }
  writer.join();
  server.join();
  EXPECT_EQ(back, data);
}

TEST(KernelStack, ConnectToClosedPortIsRefused) {
  KernelStack stack(kLoopback);
  auto l = stack.Listen(0);  // take a free port, then free it
  ASSERT_TRUE(l.ok());
  uint16_t port = (*l)->port();
  l->reset();
  auto s = stack.Connect({kLoopback, port}, kIo);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().rfind("connection refused", 0), 0u) << s.error();
}

TEST(KernelStack, TimeoutsAndCloseWakeWaiters) {
  KernelStack stack(kLoopback);
  auto l = stack.Listen(0);
  ASSERT_TRUE(l.ok());
  auto timed = (*l)->Accept(Timeout(50));
  ASSERT_FALSE(timed.ok());
  EXPECT_TRUE(IsTimedOut(timed.status()));

  auto s = stack.Connect({kLoopback, (*l)->port()}, kIo);
  ASSERT_TRUE(s.ok()) << s.error();
  auto a = (*l)->Accept(kIo);
  ASSERT_TRUE(a.ok());
  uint8_t b;
  auto r = (*s)->Read({&b, 1}, Timeout(50));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(IsTimedOut(r.status()));

  Result<size_t> blocked = Status::Error("not run");
  std::thread reader([&] { blocked = (*s)->Read({&b, 1}, kForever); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  (*s)->Close();
  reader.join();
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error(), "closed");
  EXPECT_FALSE((*s)->Write(AsBytes("x"), kIo).ok());

  auto eof = a->stream->Read({&b, 1}, kIo);  // our close is their end of stream
  ASSERT_TRUE(eof.ok()) << eof.error();
  EXPECT_EQ(*eof, 0u);

  Result<Accepted> waiting = Status::Error("not run");
  std::thread acceptor([&] { waiting = (*l)->Accept(kForever); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  (*l)->Close();
  acceptor.join();
  ASSERT_FALSE(waiting.ok());
  EXPECT_EQ(waiting.error(), "closed");
}

TEST(KernelStack, ListenFailsOnAForeignAddress) {
  KernelStack stack(IpAddress::V4(192, 0, 2, 1));  // TEST-NET-1, not ours
  EXPECT_FALSE(stack.Listen(0).ok());
}

}  // namespace
}  // namespace dlog::stack

namespace dlog::stack {
namespace {

TEST(UnixSocket, OwnerOnlyStaleReplacedLiveRefused) {
  char dir[] = "/tmp/dlog-unix-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/admin.sock";
  {
    std::ofstream stale(path);  // a leftover file where the socket goes
  }
  auto l = ListenUnix(path);
  ASSERT_TRUE(l.ok()) << l.error();
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto c = ConnectUnix(path, kIo);
  ASSERT_TRUE(c.ok()) << c.error();
  auto a = (*l)->Accept(kIo);
  ASSERT_TRUE(a.ok()) << a.error();
  ASSERT_TRUE((*c)->Write(AsBytes("ping"), kIo).ok());
  uint8_t buf[4];
  size_t got = 0;
  while (got < 4) {
    auto n = a->stream->Read({buf + got, 4 - got}, kIo);
    ASSERT_TRUE(n.ok() && *n > 0);
    got += *n;
  }
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), 4), "ping");
  EXPECT_FALSE(ListenUnix(path).ok());  // a live listener is not replaced
  l->reset();
  c->reset();
  a->stream.reset();
  auto refused = ConnectUnix(path, kIo);  // the file remains, nobody listens
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().rfind("connection refused", 0), 0u) << refused.error();
  unlink(path.c_str());
  rmdir(dir);
}

}  // namespace
}  // namespace dlog::stack
