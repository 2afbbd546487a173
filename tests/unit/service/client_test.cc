// service::Client against scripted servers: NotLeader hints, timeouts, refused
// connections, protocol violations.
#include "service/client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <thread>

#include "api/connection.h"
#include "stack/kernel_stack.h"

namespace dlog::service {
namespace {

// Accepts one connection and answers each request with `answer` (nullopt: stays
// silent; the raw bytes it returns are written as they are).
class ScriptedServer {
 public:
  using Answer = std::function<std::optional<Bytes>(const api::IncomingRequest&)>;

  explicit ScriptedServer(Answer answer) : answer_(std::move(answer)) {
    auto l = stack_.Listen(0);
    EXPECT_TRUE(l.ok());
    listener_ = std::move(*l);
    thread_ = std::thread([this] { Run(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    listener_->Close();
    if (stream_) stream_->Close();
    thread_.join();
  }
  stack::SocketAddress addr() const { return {stack_.address(), listener_->port()}; }
  stack::KernelStack& stack() { return stack_; }

 private:
  void Run() {
    auto a = listener_->Accept(std::chrono::seconds(10));
    if (!a.ok()) return;
    stream_ = std::move(a->stream);
    api::ServerConnection conn;
    uint8_t buf[4096];
    while (!stop_) {
      auto n = stream_->Read(MutableByteSpan(buf, sizeof buf), std::chrono::milliseconds(100));
      if (!n.ok()) {
        if (stack::IsTimedOut(n.status())) continue;
        return;
      }
      if (*n == 0) return;
      std::vector<api::IncomingRequest> reqs;
      conn.OnBytes(ByteSpan(buf, *n), &reqs);
      for (const auto& r : reqs) {
        if (auto bytes = answer_(r)) {
          if (!stream_->Write(*bytes).ok()) return;
        }
      }
    }
  }

  stack::KernelStack stack_{stack::IpAddress::V4(127, 0, 0, 1)};
  Answer answer_;
  std::unique_ptr<stack::Listener> listener_;
  std::unique_ptr<stack::Stream> stream_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
};

TEST(ClientTest, NotLeaderCarriesTheHint) {
  ScriptedServer server([](const api::IncomingRequest& r) -> std::optional<Bytes> {
    api::ErrorResponse e =
        api::MakeError(api::ErrorCode::kNotLeader, "partition 0 is led elsewhere");
    e.leader_name = "node-b";
    e.leader_address = "10.0.0.2:9092";
    return *api::EncodeResponseFrame(r.correlation_id, e);
  });
  auto c = Client::Connect(&server.stack(), server.addr());
  ASSERT_TRUE(c.ok());
  auto p = (*c)->Produce("app/e", 0, {log::Record{}});
  ASSERT_FALSE(p.ok());
  EXPECT_TRUE(p.error().not_leader());
  EXPECT_EQ(p.error().leader_hint(), "node-b at 10.0.0.2:9092");
  EXPECT_NE(p.error().ToString().find("10.0.0.2:9092"), std::string::npos);
  EXPECT_FALSE((*c)->broken());  // a server error leaves the connection usable
}

TEST(ClientTest, TimeoutBreaksTheConnection) {
  ScriptedServer server([](const api::IncomingRequest&) { return std::optional<Bytes>(); });
  ClientOptions options;
  options.request_timeout = std::chrono::milliseconds(200);
  auto c = Client::Connect(&server.stack(), server.addr(), options);
  ASSERT_TRUE(c.ok());
  auto start = std::chrono::steady_clock::now();
  auto s = (*c)->NodeStatus();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ClientError::Kind::kTimeout);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_TRUE((*c)->broken());
  auto again = (*c)->NodeStatus();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, ClientError::Kind::kTransport);
}

TEST(ClientTest, WrongResponseTypeIsAProtocolError) {
  ScriptedServer server([](const api::IncomingRequest& r) -> std::optional<Bytes> {
    return *api::EncodeResponseFrame(r.correlation_id, api::DeleteLogResponse{});
  });
  auto c = Client::Connect(&server.stack(), server.addr());
  ASSERT_TRUE(c.ok());
  auto q = (*c)->Query("SELECT * FROM a/b");
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().kind, ClientError::Kind::kProtocol);
}

TEST(ClientTest, ResponseToNoRequestIsAProtocolError) {
  ScriptedServer server([](const api::IncomingRequest& r) -> std::optional<Bytes> {
    return *api::EncodeResponseFrame(r.correlation_id + 1000, api::DeleteLogResponse{});
  });
  auto c = Client::Connect(&server.stack(), server.addr());
  ASSERT_TRUE(c.ok());
  auto d = (*c)->DeleteLog("a/b");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().kind, ClientError::Kind::kProtocol) << d.error().ToString();
  EXPECT_TRUE((*c)->broken());
}

TEST(ClientTest, RefusedConnectIsATransportError) {
  stack::KernelStack stack(stack::IpAddress::V4(127, 0, 0, 1));
  uint16_t port = 0;
  {
    auto l = stack.Listen(0);  // a port nobody listens on once closed
    ASSERT_TRUE(l.ok());
    port = (*l)->port();
  }
  auto c = Client::Connect(&stack, {stack.address(), port});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ClientError::Kind::kTransport);
  EXPECT_NE(c.error().ToString().find("refused"), std::string::npos) << c.error().ToString();
}

}  // namespace
}  // namespace dlog::service
