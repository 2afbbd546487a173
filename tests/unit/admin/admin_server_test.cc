#include "admin/admin_server.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "admin/http.h"
#include "fake_backend.h"
#include "stack/kernel_stack.h"

namespace dlog::admin {
namespace {

std::string Exchange(stack::Stream& s, const std::string& request) {
  EXPECT_TRUE(s.Write(ByteSpan(reinterpret_cast<const uint8_t*>(request.data()), request.size()),
                      stack::Timeout{5000})
                  .ok());
  std::string out;
  uint8_t buf[4096];
  for (;;) {
    auto n = s.Read(MutableByteSpan(buf, sizeof buf), stack::Timeout{5000});
    if (!n.ok() || *n == 0) break;
    out.append(reinterpret_cast<char*>(buf), *n);
  }
  return out;
}

std::string TempPath(const char* name) {
  return std::string("/tmp/dlog-admin-test-") + std::to_string(getpid()) + "-" + name;
}

TEST(AdminServerTest, LocalSocketIsOwnerOnlyAndHasFullRights) {
  FakeBackend backend;
  std::string path = TempPath("sock");
  auto listener = stack::ListenUnix(path);
  ASSERT_TRUE(listener.ok()) << listener.status().message();
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(stack::ListenUnix(path).ok()) << "a second listener on a live socket";
  AdminServer server(backend);
  server.ServeLocal(std::move(*listener));
  auto c = stack::ConnectUnix(path, stack::Timeout{2000});
  ASSERT_TRUE(c.ok()) << c.status().message();
  auto resp = ParseResponse(Exchange(**c, "POST /v1/tokens?role=node&uses=2 HTTP/1.1\r\n\r\n"));
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->status, 201);
  server.Stop();
  EXPECT_EQ(backend.calls(), std::vector<std::string>{"CreateToken node 86400 2"});
  unlink(path.c_str());
}

TEST(AdminServerTest, MeshCallersAreIdentifiedByAddress) {
  FakeBackend backend;  // 127.0.0.1 is an admin; anything else a stranger
  stack::KernelStack lo(stack::IpAddress::V4(127, 0, 0, 1));
  auto listener = lo.Listen(0);
  ASSERT_TRUE(listener.ok());
  uint16_t port = (*listener)->port();
  AdminServer server(backend);
  server.ServeMesh(std::move(*listener));

  auto c = lo.Connect({stack::IpAddress::V4(127, 0, 0, 1), port}, stack::Timeout{2000});
  ASSERT_TRUE(c.ok());
  auto ok = ParseResponse(Exchange(**c, "GET /v1/status HTTP/1.1\r\n\r\n"));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);

  stack::KernelStack other(stack::IpAddress::V4(127, 0, 0, 2));  // not a member
  auto s = other.Connect({stack::IpAddress::V4(127, 0, 0, 1), port}, stack::Timeout{2000});
  ASSERT_TRUE(s.ok());
  auto refused = ParseResponse(Exchange(**s, "GET /v1/status HTTP/1.1\r\n\r\n"));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  server.Stop();
  EXPECT_EQ(server.counters().forbidden.load(), 1u);
}

TEST(AdminServerTest, MalformedRequestGetsItsStatus) {
  FakeBackend backend;
  stack::KernelStack lo(stack::IpAddress::V4(127, 0, 0, 1));
  auto listener = lo.Listen(0);
  ASSERT_TRUE(listener.ok());
  uint16_t port = (*listener)->port();
  AdminServer server(backend);
  server.ServeMesh(std::move(*listener));
  auto bad = lo.Connect({stack::IpAddress::V4(127, 0, 0, 1), port}, stack::Timeout{2000});
  ASSERT_TRUE(bad.ok());
  auto r = ParseResponse(Exchange(**bad, "GET /x HTTP/9\r\n\r\n"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 505);
  server.Stop();
}

}  // namespace
}  // namespace dlog::admin
