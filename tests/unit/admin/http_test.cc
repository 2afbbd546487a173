#include "admin/http.h"

#include <gtest/gtest.h>

#include <string>

namespace dlog::admin {
namespace {

ByteSpan B(const std::string& s) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

TEST(HttpTest, ParsesARequestFedByteByByte) {
  std::string raw =
      "POST /v1/tokens?role=admin&ttl=60&name=a%20b+c HTTP/1.1\r\nHost: x\r\n"
      "Content-Length: 5\r\nX-Thing:  spaced  \r\n\r\nhello";
  HttpRequestParser p;
  for (char c : raw) {
    ASSERT_FALSE(p.done());
    p.Feed(B(std::string(1, c)));
    ASSERT_FALSE(p.error()) << p.error()->message;
  }
  ASSERT_TRUE(p.done());
  const auto& r = p.request();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/v1/tokens");
  EXPECT_EQ(r.query.at("role"), "admin");
  EXPECT_EQ(r.query.at("ttl"), "60");
  EXPECT_EQ(r.query.at("name"), "a b c");
  EXPECT_EQ(r.headers.at("x-thing"), "spaced");
  EXPECT_EQ(r.body, "hello");
}

TEST(HttpTest, BadRequestsGetTheirStatus) {
  struct Case {
    std::string raw;
    int status;
  } cases[] = {
      {"GET /x HTTP/2.0\r\n\r\n", 505},
      {"GET x HTTP/1.1\r\n\r\n", 400},
      {"GET /x%zz HTTP/1.1\r\n\r\n", 400},
      {"GET /x?a=%4 HTTP/1.1\r\n\r\n", 400},
      {"GET /x HTTP/1.1\r\nno colon\r\n\r\n", 400},
      {"GET /x HTTP/1.1\r\nContent-Length: 12x\r\n\r\n", 400},
      {"GET /x HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", 413},
      {"GET /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"GET /x HTTP/1.1\r\nContent-Length: 1\r\n\r\nab", 400},
      {"GET /" + std::string(9000, 'a') + " HTTP/1.1\r\n\r\n", 431},
      {"G(T /x HTTP/1.1\r\n\r\n", 400},
  };
  for (const auto& c : cases) {
    HttpRequestParser p;
    p.Feed(B(c.raw));
    ASSERT_TRUE(p.error()) << c.raw.substr(0, 40);
    EXPECT_EQ(p.error()->status, c.status) << c.raw.substr(0, 40);
    EXPECT_FALSE(p.done());
  }
}

TEST(HttpTest, HeadWithoutEndIsBoundedTo8KiB) {
  HttpRequestParser p;
  std::string chunk = "GET /x HTTP/1.1\r\n";
  p.Feed(B(chunk));
  for (int i = 0; i < 1000 && !p.error(); ++i) p.Feed(B("X-A: " + std::string(20, 'b') + "\r\n"));
  ASSERT_TRUE(p.error());
  EXPECT_EQ(p.error()->status, 431);
}

TEST(HttpTest, ResponseRoundTrip) {
  HttpResponse r{201, "text/plain", "body\n"};
  auto bytes = EncodeResponse(r);
  EXPECT_EQ(bytes.rfind("HTTP/1.1 201 Created\r\n", 0), 0u);
  auto parsed = ParseResponse(bytes);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->status, 201);
  EXPECT_EQ(parsed->body, "body\n");
  EXPECT_FALSE(ParseResponse("HTTP/1.1 2x0 OK\r\n\r\n"));
  EXPECT_FALSE(ParseResponse("garbage"));
}

TEST(HttpTest, PercentCodingRoundTrips) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += char(c);
  EXPECT_EQ(PercentDecode(PercentEncode(all)), all);
  EXPECT_FALSE(PercentDecode("%"));
  EXPECT_FALSE(PercentDecode("%a"));
  EXPECT_FALSE(PercentDecode("%g0"));
}

}  // namespace
}  // namespace dlog::admin
