#include "admin/admin_routes.h"

#include <gtest/gtest.h>

#include "fake_backend.h"

namespace dlog::admin {
namespace {

using cluster::Role;

HttpRequest Req(std::string method, std::string path, std::map<std::string, std::string> q = {}) {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.query = std::move(q);
  return r;
}

const Caller kAdmin{false, "laptop", Role::kAdmin};
const Caller kNode{false, "node-b", Role::kNode};
const Caller kClient{false, "app", Role::kClient};
const Caller kLocal{true, "local", Role::kAdmin};

TEST(AdminRoutesTest, ReadsForNodesAdminsAndTheLocalSocket) {
  FakeBackend b;
  for (const auto& c : {kAdmin, kNode, kLocal}) {
    auto r = HandleAdminRequest(Req("GET", "/v1/status"), c, b);
    EXPECT_EQ(r.status, 200) << c.name;
    EXPECT_NE(r.body.find("node-a"), std::string::npos);
  }
  auto m = HandleAdminRequest(Req("GET", "/metrics"), kNode, b);
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.content_type, "text/plain; version=0.0.4");
}

TEST(AdminRoutesTest, ClientsAreRefusedEverything) {
  FakeBackend b;
  for (auto [method, path] :
       {std::pair{"GET", "/v1/status"}, {"POST", "/v1/tokens"}, {"DELETE", "/v1/members/node-b"}}) {
    EXPECT_EQ(HandleAdminRequest(Req(method, path), kClient, b).status, 403) << path;
  }
  EXPECT_TRUE(b.calls().empty());
}

TEST(AdminRoutesTest, ChangesNeedAnAdmin) {
  FakeBackend b;
  EXPECT_EQ(HandleAdminRequest(Req("POST", "/v1/tokens"), kNode, b).status, 403);
  EXPECT_EQ(HandleAdminRequest(Req("DELETE", "/v1/members/x"), kNode, b).status, 403);
  EXPECT_TRUE(b.calls().empty());
  auto r = HandleAdminRequest(
      Req("POST", "/v1/tokens", {{"role", "client"}, {"ttl", "60"}, {"uses", "3"}}), kAdmin, b);
  EXPECT_EQ(r.status, 201);
  EXPECT_NE(r.body.find("dlog1.fake"), std::string::npos);
  ASSERT_EQ(b.calls().size(), 1u);
  EXPECT_EQ(b.calls()[0], "CreateToken client 60 3");
}

TEST(AdminRoutesTest, TokenParametersAreChecked) {
  FakeBackend b;
  for (auto q : std::vector<std::map<std::string, std::string>>{
           {{"role", "king"}}, {{"ttl", "0"}}, {{"ttl", "-5"}}, {{"uses", "x"}}, {{"uses", "0"}}}) {
    auto r = HandleAdminRequest(Req("POST", "/v1/tokens", q), kLocal, b);
    EXPECT_EQ(r.status, 400) << q.begin()->first;
  }
  EXPECT_TRUE(b.calls().empty());
}

TEST(AdminRoutesTest, InviteRevokeRemove) {
  FakeBackend b;
  auto inv = HandleAdminRequest(Req("POST", "/v1/invite", {{"role", "admin"}, {"name", "lap"}}),
                                kLocal, b);
  EXPECT_EQ(inv.status, 201);
  EXPECT_EQ(inv.body.rfind("[Interface]", 0), 0u);
  EXPECT_EQ(HandleAdminRequest(Req("POST", "/v1/invite", {{"role", "node"}}), kLocal, b).status,
            400);
  EXPECT_EQ(HandleAdminRequest(Req("DELETE", "/v1/tokens/abc"), kAdmin, b).status, 200);
  EXPECT_EQ(HandleAdminRequest(Req("DELETE", "/v1/members/node-b"), kAdmin, b).status, 200);
  auto missing = HandleAdminRequest(Req("DELETE", "/v1/members/nobody"), kAdmin, b);
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("unknown member"), std::string::npos);
  EXPECT_EQ(b.calls(), (std::vector<std::string>{"Invite admin lap", "RevokeToken abc",
                                                 "RemoveMember node-b", "RemoveMember nobody"}));
}

TEST(AdminRoutesTest, RotateNeedsAnAdmin) {
  FakeBackend b;
  EXPECT_EQ(HandleAdminRequest(Req("POST", "/v1/rotate"), kNode, b).status, 403);
  EXPECT_EQ(HandleAdminRequest(Req("GET", "/v1/rotate"), kAdmin, b).status, 405);
  auto r = HandleAdminRequest(Req("POST", "/v1/rotate"), kLocal, b);
  EXPECT_EQ(r.status, 201);
  EXPECT_NE(r.body.find("bmV3IGtleQ=="), std::string::npos);
  EXPECT_EQ(b.calls(), std::vector<std::string>{"RotateKeys"});
}

TEST(AdminRoutesTest, InvalidUtf8InThePathIsAnsweredNotThrown) {
  FakeBackend b;
  auto r = HandleAdminRequest(Req("GET",
                                  "/\xff\xff"
                                  "1\"="),
                              kAdmin, b);
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("\xef\xbf\xbd"), std::string::npos) << r.body;  // U+FFFD
  auto rm = HandleAdminRequest(Req("DELETE", "/v1/members/\xc3"), kAdmin, b);
  EXPECT_EQ(rm.status, 200);
}

TEST(AdminRoutesTest, UnknownPathsAndMethods) {
  FakeBackend b;
  EXPECT_EQ(HandleAdminRequest(Req("GET", "/nope"), kAdmin, b).status, 404);
  EXPECT_EQ(HandleAdminRequest(Req("PUT", "/v1/status"), kAdmin, b).status, 405);
  EXPECT_EQ(HandleAdminRequest(Req("GET", "/v1/members/a/b"), kAdmin, b).status, 404);
}

}  // namespace
}  // namespace dlog::admin
