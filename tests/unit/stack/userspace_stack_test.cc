// UserspaceStack (lwIP, queued input) against a second lwIP (inline input) in another
// process (stack_peer), joined by a socketpair that carries IP packets: no root, no TUN.
#include "stack/userspace_stack.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

namespace dlog::stack {
namespace {

const IpAddress kPeerIp = IpAddress::V4(10, 77, 0, 2);
const IpAddress kOurIp = IpAddress::V4(10, 77, 0, 1);
constexpr Timeout kIo{10000};

std::string Sha256Hex(ByteSpan data) {
  unsigned char md[32];
  unsigned len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  std::string s;
  char h[3];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(h, sizeof h, "%02x", md[i]);
    s += h;
  }
  return s;
}

std::string ReadLine(Stream& s) {
  std::string line;
  uint8_t c;
  while (line.size() < 256) {
    auto n = s.Read({&c, 1}, kIo);
    if (!n || *n == 0 || c == '\n') break;
    line += char(c);
  }
  return line;
}

// Reads exactly n bytes or fails.
Bytes ReadExactly(Stream& s, size_t n) {
  Bytes out(n);
  for (size_t got = 0; got < n;) {
    auto k = s.Read({out.data() + got, n - got}, kIo);
    if (!k || *k == 0) {
      ADD_FAILURE() << "short read at " << got << ": " << (k ? "EOF" : k.error());
      out.resize(got);
      return out;
    }
    got += *k;
  }
  return out;
}

Bytes PatternBytes(size_t n, uint32_t seed) {
  Bytes b(n);
  uint32_t x = seed;
  for (auto& v : b) {
    x = x * 1664525u + 1013904223u;
    v = uint8_t(x >> 24);
  }
  return b;
}

class UserspaceStackTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    int out[2];
    ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
    child_ = fork();
    ASSERT_GE(child_, 0);
    if (child_ == 0) {
      dup2(sv[1], 3);  // dup2 clears close-on-exec
      dup2(out[1], 1);
      execl(DLOG_STACK_PEER, DLOG_STACK_PEER, "--stack", "userspace", "--addr", "10.77.0.2/24",
            "--fd", "3", "--input", "inline", "serve", nullptr);
      _exit(127);
    }
    close(sv[1]);
    close(out[1]);
    fd_ = sv[0];
    char ready[6] = {};
    ASSERT_EQ(read(out[0], ready, 6), 6) << "stack_peer did not start";
    ASSERT_EQ(std::string(ready, 6), "ready\n");
    close(out[0]);
    UserspaceConfig config;
    config.address = *IpInterface::Parse("10.77.0.1/24");
    auto st = UserspaceStack::Create(
        config, [](ByteSpan p) { send(fd_, p.data(), p.size(), MSG_NOSIGNAL); });
    ASSERT_TRUE(st.ok()) << st.error();
    stack_ = st->release();
    reader_ = new std::thread([] {
      std::vector<uint8_t> buf(65536);
      for (;;) {
        ssize_t n = recv(fd_, buf.data(), buf.size(), 0);
        if (n <= 0) return;
        stack_->InjectInbound({buf.data(), size_t(n)});
      }
    });
  }

  static void TearDownTestSuite() {
    if (child_ > 0) {
      kill(child_, SIGTERM);
      waitpid(child_, nullptr, 0);  // its end of the socketpair closes: the reader returns
    }
    if (reader_) {
      reader_->join();
      delete reader_;
    }
    delete stack_;
    close(fd_);
  }

  static inline pid_t child_ = -1;
  static inline int fd_ = -1;
  static inline UserspaceStack* stack_ = nullptr;
  static inline std::thread* reader_ = nullptr;
};

TEST_F(UserspaceStackTest, EchoesTenMegabytesBothWaysAtOnce) {
  auto s = stack_->Connect({kPeerIp, 7}, kIo);
  ASSERT_TRUE(s.ok()) << s.error();
  Bytes data = PatternBytes(10 << 20, 7);
  std::thread writer([&] {
    for (size_t off = 0; off < data.size(); off += 100000) {
      size_t n = std::min<size_t>(100000, data.size() - off);
      ASSERT_TRUE((*s)->Write({data.data() + off, n}, kIo).ok());
    }
    ASSERT_TRUE((*s)->Shutdown().ok());
  });
  Bytes back = ReadExactly(**s, data.size());
  writer.join();
  EXPECT_EQ(Sha256Hex(back), Sha256Hex(data));
  uint8_t extra;
  auto eof = (*s)->Read({&extra, 1}, kIo);  // the echo service closes after our FIN
  ASSERT_TRUE(eof.ok()) << eof.error();
  EXPECT_EQ(*eof, 0u);
}

TEST_F(UserspaceStackTest, ConcurrentWritesStayWhole) {
  // Two writers share one stream; every 4 KiB block written by one Write call must come
  // back from the echo service uniform (no interleaving inside a Write).
  auto s = stack_->Connect({kPeerIp, 7}, kIo);
  ASSERT_TRUE(s.ok()) << s.error();
  constexpr size_t kBlock = 4096, kBlocks = 300;
  auto writer = [&](uint8_t tag) {
    for (size_t i = 0; i < kBlocks; ++i) {
      Bytes block(kBlock, uint8_t(tag + (i % 8) * 2));
      ASSERT_TRUE((*s)->Write(block, kIo).ok());
    }
  };
  std::thread a(writer, 1), b(writer, 2);
  Bytes back = ReadExactly(**s, 2 * kBlocks * kBlock);
  a.join();
  b.join();
  size_t odd = 0;
  for (size_t off = 0; off < back.size(); off += kBlock) {
    for (size_t i = 1; i < kBlock; ++i) ASSERT_EQ(back[off + i], back[off]) << "block at " << off;
    odd += back[off] % 2;
  }
  EXPECT_EQ(odd, kBlocks);  // writer 1's blocks (odd tags) all arrived
}

TEST_F(UserspaceStackTest, ManyConnectionsAtOnce) {
  constexpr int kConns = 32;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < kConns; ++i) {
    threads.emplace_back([&, i] {
      auto s = stack_->Connect({kPeerIp, 7}, kIo);
      if (!s.ok()) return ADD_FAILURE() << s.error();
      Bytes data = PatternBytes(64 * 1024, uint32_t(i));
      if (!(*s)->Write(data, kIo).ok()) return ADD_FAILURE() << "write " << i;
      if (ReadExactly(**s, data.size()) == data) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kConns);
}

TEST_F(UserspaceStackTest, ConnectToClosedPortIsRefused) {
  auto t0 = std::chrono::steady_clock::now();
  auto s = stack_->Connect({kPeerIp, 5555}, kIo);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().rfind("connection refused", 0), 0u) << s.error();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

TEST_F(UserspaceStackTest, ServiceSeesOurAddressAndWeSeeItsAddress) {
  auto s = stack_->Connect({kPeerIp, 8}, kIo);
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_EQ((*s)->Local().ip, kOurIp);
  EXPECT_NE((*s)->Local().port, 0);
  EXPECT_EQ((*s)->Peer(), (SocketAddress{kPeerIp, 8}));
  EXPECT_EQ(ReadLine(**s), (*s)->Local().ToString());
}

TEST_F(UserspaceStackTest, AcceptReportsTheRemoteOverlayAddress) {
  auto l = stack_->Listen(0);
  ASSERT_TRUE(l.ok()) << l.error();
  uint16_t port = (*l)->port();
  ASSERT_NE(port, 0);
  auto s = stack_->Connect({kPeerIp, 10}, kIo);  // the peer connects back to `port`
  ASSERT_TRUE(s.ok()) << s.error();
  ASSERT_TRUE((*s)->Write(AsBytes(std::to_string(port) + "\n"), kIo).ok());
  auto a = (*l)->Accept(kIo);
  ASSERT_TRUE(a.ok()) << a.error();
  EXPECT_EQ(a->remote.ip, kPeerIp);
  EXPECT_EQ(a->stream->Peer(), a->remote);
  EXPECT_EQ(a->stream->Local(), (SocketAddress{kOurIp, port}));
  EXPECT_EQ(ReadLine(*a->stream), a->remote.ToString());  // what the peer saw as its own
}

TEST_F(UserspaceStackTest, ShutdownSendsEndOfStreamAndKeepsReading) {
  auto s = stack_->Connect({kPeerIp, 9}, kIo);
  ASSERT_TRUE(s.ok()) << s.error();
  Bytes data = PatternBytes(1 << 20, 9);
  ASSERT_TRUE((*s)->Write(data, kIo).ok());
  ASSERT_TRUE((*s)->Shutdown().ok());
  EXPECT_EQ(ReadLine(**s),
            std::to_string(data.size()) + " " + Sha256Hex(data) + " " + (*s)->Local().ToString());
  uint8_t b;
  auto eof = (*s)->Read({&b, 1}, kIo);
  ASSERT_TRUE(eof.ok()) << eof.error();
  EXPECT_EQ(*eof, 0u);
}

TEST_F(UserspaceStackTest, ReadTimesOutAndCloseWakesABlockedReader) {
  auto s = stack_->Connect({kPeerIp, 7}, kIo);
  ASSERT_TRUE(s.ok()) << s.error();
  uint8_t b;
  auto timed = (*s)->Read({&b, 1}, Timeout(100));
  ASSERT_FALSE(timed.ok());
  EXPECT_TRUE(IsTimedOut(timed.status())) << timed.error();

  Result<size_t> blocked = Status::Error("not run");
  std::thread reader([&] { blocked = (*s)->Read({&b, 1}, kForever); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto t0 = std::chrono::steady_clock::now();
  (*s)->Close();
  reader.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error(), "closed");
  EXPECT_FALSE((*s)->Write(AsBytes("x"), kIo).ok());
  (*s)->Close();  // idempotent
}

TEST_F(UserspaceStackTest, PeerCloseIsEndOfStream) {
  auto s = stack_->Connect({kPeerIp, 19}, kIo);  // source: N bytes, then close
  ASSERT_TRUE(s.ok()) << s.error();
  ASSERT_TRUE((*s)->Write(AsBytes("3000\n"), kIo).ok());
  Bytes got = ReadExactly(**s, 3000);
  EXPECT_EQ(got.size(), 3000u);
  uint8_t b;
  auto eof = (*s)->Read({&b, 1}, kIo);
  ASSERT_TRUE(eof.ok()) << eof.error();
  EXPECT_EQ(*eof, 0u);
}

TEST_F(UserspaceStackTest, ListenerAcceptTimesOutAndCloseWakesAccept) {
  auto l = stack_->Listen(0);
  ASSERT_TRUE(l.ok()) << l.error();
  auto timed = (*l)->Accept(Timeout(50));
  ASSERT_FALSE(timed.ok());
  EXPECT_TRUE(IsTimedOut(timed.status()));
  Result<Accepted> blocked = Status::Error("not run");
  std::thread t([&] { blocked = (*l)->Accept(kForever); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  (*l)->Close();
  t.join();
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error(), "closed");
}

TEST_F(UserspaceStackTest, PortInUseIsAnError) {
  auto a = stack_->Listen(4000);
  ASSERT_TRUE(a.ok()) << a.error();
  auto b = stack_->Listen(4000);
  EXPECT_FALSE(b.ok());
}

TEST_F(UserspaceStackTest, OnlyOnePerProcess) {
  UserspaceConfig config;
  config.address = *IpInterface::Parse("10.78.0.1/24");
  auto second = UserspaceStack::Create(config, [](ByteSpan) {});
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().find("one per process"), std::string::npos);
}

TEST_F(UserspaceStackTest, InvalidPacketsAreDroppedAndCounted) {
  auto before = stack_->counters();
  stack_->InjectInbound({});
  uint8_t junk[40] = {0x55};
  stack_->InjectInbound(junk);
  Bytes huge(70000, 0x45);
  stack_->InjectInbound(huge);
  EXPECT_EQ(stack_->counters().dropped_invalid, before.dropped_invalid + 3);
}

TEST(UserspaceStackConfig, RejectsBadConfigs) {
  UserspaceConfig v6;
  v6.address = *IpInterface::Parse("fd00::1/64");
  EXPECT_FALSE(UserspaceStack::Create(v6, [](ByteSpan) {}).ok());
  UserspaceConfig small;
  small.address = *IpInterface::Parse("10.0.0.1/24");
  small.mtu = 500;
  EXPECT_FALSE(UserspaceStack::Create(small, [](ByteSpan) {}).ok());
  EXPECT_FALSE(UserspaceStack::Create(small, nullptr).ok());
}

}  // namespace
}  // namespace dlog::stack
