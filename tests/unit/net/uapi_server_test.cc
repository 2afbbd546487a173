#include "net/uapi_server.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

namespace dlog::net {
namespace {

using namespace std::chrono_literals;

class PortHandler : public uapi::UapiHandler {
 public:
  uapi::DeviceState Get() override {
    uapi::DeviceState s;
    s.listen_port = port.load();
    return s;
  }
  std::optional<uapi::Error> Set(const uapi::SetRequest& req) override {
    if (req.listen_port) port = *req.listen_port;
    return std::nullopt;
  }
  std::atomic<uint16_t> port{0};
};

std::string TempDir() {
  char tmpl[] = "/tmp/dlog-uapi-XXXXXX";
  return mkdtemp(tmpl);
}

int Connect(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    close(fd);
    return -1;
  }
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// Sends `req`, reads until the answer's terminating empty line (or EOF).
std::string Ask(int fd, const std::string& req) {
  EXPECT_EQ(send(fd, req.data(), req.size(), MSG_NOSIGNAL), ssize_t(req.size()));
  std::string out;
  char buf[4096];
  while (out.size() < 2 || out.substr(out.size() - 2) != "\n\n") {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, size_t(n));
  }
  return out;
}

struct Fixture {
  std::string dir = TempDir();
  std::string path = UapiSocketPath("wgtest0", dir + "/run/wireguard");
  PortHandler handler;
  std::atomic<int> removed{0};
  std::unique_ptr<UapiServer> server;

  bool Start() {
    auto fd = UapiServer::Listen(path);
    EXPECT_TRUE(fd.ok()) << fd.error();
    if (!fd.ok()) return false;
    server = std::make_unique<UapiServer>(*fd, path, handler, [this] { ++removed; });
    return server->Start().ok();
  }
  ~Fixture() {
    server.reset();
    std::string cmd = "rm -rf " + dir;
    [[maybe_unused]] int r = system(cmd.c_str());
  }
};

TEST(UapiServer, CreatesDirectoryAndRootOnlySocket) {
  Fixture f;
  ASSERT_TRUE(f.Start());
  EXPECT_EQ(f.path, f.dir + "/run/wireguard/wgtest0.sock");
  struct stat st {};
  ASSERT_EQ(stat((f.dir + "/run/wireguard").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0755u);
  ASSERT_EQ(lstat(f.path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST(UapiServer, ServesSequentialRequestsOnOneConnectionAndManyClients) {
  Fixture f;
  ASSERT_TRUE(f.Start());
  int a = Connect(f.path), b = Connect(f.path);
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  EXPECT_EQ(Ask(a, "get=1\n\n"), "errno=0\n\n");
  EXPECT_EQ(Ask(b, "set=1\nlisten_port=4242\n\n"), "errno=0\n\n");
  EXPECT_EQ(Ask(a, "get=1\n\n"), "listen_port=4242\nerrno=0\n\n");
  EXPECT_EQ(Ask(a, "set=1\nbogus\n\n"), "errno=-71\n\n");
  char c;
  EXPECT_EQ(recv(a, &c, 1, 0), 0);  // closed after a failed set
  EXPECT_EQ(Ask(b, "get=1\n\n"), "listen_port=4242\nerrno=0\n\n");
  close(a);
  close(b);
}

TEST(UapiServer, HalfClosedSetIsAppliedAndAnswered) {
  Fixture f;
  ASSERT_TRUE(f.Start());
  int fd = Connect(f.path);
  std::string req = "set=1\nlisten_port=99";
  ASSERT_EQ(send(fd, req.data(), req.size(), 0), ssize_t(req.size()));
  shutdown(fd, SHUT_WR);
  char buf[64];
  ssize_t n = recv(fd, buf, sizeof buf, 0);
  EXPECT_EQ(std::string(buf, n > 0 ? size_t(n) : 0), "errno=0\n\n");
  EXPECT_EQ(f.handler.port.load(), 99);
  close(fd);
}

TEST(UapiServer, LiveSocketIsRefusedStaleOneReplaced) {
  Fixture f;
  ASSERT_TRUE(f.Start());
  auto again = UapiServer::Listen(f.path);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().find("in use"), std::string::npos);

  // A stale socket file: bound once, never listened on, its owner gone.
  std::string stale = f.dir + "/stale.sock";
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  strncpy(sa.sun_path, stale.c_str(), sizeof sa.sun_path - 1);
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  close(s);
  auto fresh = UapiServer::Listen(stale);
  ASSERT_TRUE(fresh.ok()) << fresh.error();
  close(*fresh);
}

TEST(UapiServer, StopUnlinksTheSocket) {
  Fixture f;
  ASSERT_TRUE(f.Start());
  f.server->Stop();
  EXPECT_NE(access(f.path.c_str(), F_OK), 0);
  EXPECT_EQ(f.removed.load(), 0);
}

TEST(UapiServer, DeletingTheSocketFileIsReported) {
  Fixture f;
  ASSERT_TRUE(f.Start());
  ASSERT_EQ(unlink(f.path.c_str()), 0);  // what `wg-quick down` does
  for (int i = 0; i < 200 && f.removed.load() == 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(f.removed.load(), 1);
}

TEST(UapiServer, SocketReplacedByAnotherIsNotUnlinkedOnStop) {
  Fixture f;
  ASSERT_TRUE(f.Start());
  ASSERT_EQ(unlink(f.path.c_str()), 0);
  auto other = UapiServer::Listen(f.path);
  ASSERT_TRUE(other.ok());
  f.server->Stop();
  EXPECT_EQ(access(f.path.c_str(), F_OK), 0);
  close(*other);
}

TEST(UapiServer, ConnectionsBeyondTheBoundWaitTheirTurn) {
  Fixture f;
  ASSERT_TRUE(f.Start());
  std::vector<int> idle;
  for (size_t i = 0; i < kMaxUapiConnections; ++i) {
    int fd = Connect(f.path);
    ASSERT_GE(fd, 0);
    idle.push_back(fd);
  }
  EXPECT_EQ(Ask(idle[0], "get=1\n\n"), "errno=0\n\n");  // all accepted and served
  int late = Connect(f.path);                           // in the listen backlog, not yet accepted
  ASSERT_GE(late, 0);
  std::string req = "get=1\n\n";
  ASSERT_EQ(send(late, req.data(), req.size(), 0), ssize_t(req.size()));
  pollfd pfd{late, POLLIN, 0};
  EXPECT_EQ(poll(&pfd, 1, 200), 0) << "served beyond the bound";
  close(idle.back());
  idle.pop_back();
  EXPECT_EQ(poll(&pfd, 1, 5000), 1) << "not served after a slot freed";
  char buf[64];
  EXPECT_EQ(std::string(buf, size_t(std::max<ssize_t>(0, recv(late, buf, sizeof buf, 0)))),
            "errno=0\n\n");
  close(late);
  for (int fd : idle) close(fd);
}

}  // namespace
}  // namespace dlog::net
