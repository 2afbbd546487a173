// dlog-pq's configuration file and its UAPI request.
#include "pq/daemon_config.h"

#include <gtest/gtest.h>

#include "base/hex.h"
#include "pq/wg_uapi.h"

namespace dlog::pq {
namespace {

using namespace std::chrono_literals;

const std::string kWgKey = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";

TEST(DaemonConfig, ParsesAFullFile) {
  const std::string text =
      "# dlog-pq\n"
      "interface = wg0\n"
      "listen = [::]:51830   # dual stack\n"
      "secret_key = /etc/dlog/pq.key\n"
      "algorithm = kyber768\n"
      "rekey_interval = 5s\n"
      "\n"
      "[peer]\n"
      "public_key = /etc/dlog/b.pub\n"
      "wireguard_public_key = " +
      kWgKey +
      "\n"
      "endpoint = 192.0.2.7:51830\n"
      "[peer]\n"
      "public_key = /etc/dlog/c.pub\n"
      "wireguard_public_key = " +
      kWgKey + "\n";
  Result<DaemonConfig> c = ParseDaemonConfig(text, "pq.conf");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->interface, "wg0");
  EXPECT_TRUE(c->listen.v6);
  EXPECT_EQ(c->listen.port, 51830);
  EXPECT_EQ(c->algorithm, Algorithm::kKyber768);
  EXPECT_EQ(c->rekey_interval, 5s);
  ASSERT_EQ(c->peers.size(), 2u);
  EXPECT_EQ(c->peers[0].endpoint->ToString(), "192.0.2.7:51830");
  EXPECT_FALSE(c->peers[1].endpoint.has_value());
  EXPECT_EQ(ToBase64(c->peers[1].wireguard_public_key), kWgKey);
}

TEST(DaemonConfig, ErrorsNameFileLineKeyAndForm) {
  auto err = [](const std::string& text) {
    Result<DaemonConfig> c = ParseDaemonConfig(text, "pq.conf");
    EXPECT_FALSE(c.ok());
    return c.ok() ? std::string() : c.error();
  };
  EXPECT_EQ(err("interface = wg0\nrekey_interval = soon\n"),
            "pq.conf:2: rekey_interval: expected a duration of at least 1 s, like 120s or 2m");
  EXPECT_NE(err("colour = blue\n").find("pq.conf:1: unknown key 'colour'"), std::string::npos);
  EXPECT_NE(err("[peer]\nwireguard_public_key = abc\n").find("pq.conf:2: wireguard_public_key"),
            std::string::npos);
  EXPECT_NE(err("algorithm = kyber512\n").find("kyber1024 or kyber768"), std::string::npos);
  EXPECT_NE(err("listen = nowhere\n").find("pq.conf:1: listen"), std::string::npos);
  EXPECT_NE(err("[peers]\n").find("unknown section"), std::string::npos);
  EXPECT_NE(err("interface\n").find("expected key = value"), std::string::npos);
  EXPECT_NE(err("interface = wg0\nlisten = 0.0.0.0:1\nsecret_key = k\n").find("no [peer]"),
            std::string::npos);
  EXPECT_NE(err("interface = wg0\nlisten = 0.0.0.0:1\nsecret_key = k\n[peer]\npublic_key = p\n")
                .find("peer 1: wireguard_public_key is not set"),
            std::string::npos);
}

// dlog-wg reads the same file without interface or listen and validates the rest itself.
TEST(DaemonConfig, WithoutValidationLeavesCrossFieldChecksToTheCaller) {
  const std::string text =
      "secret_key = k\n[peer]\npublic_key = p\nwireguard_public_key = " + kWgKey + "\n";
  EXPECT_FALSE(ParseDaemonConfig(text, "pq.conf").ok());
  Result<DaemonConfig> c = ParseDaemonConfig(text, "pq.conf", /*validate=*/false);
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_TRUE(c->interface.empty());
  EXPECT_EQ(c->secret_key, "k");
  ASSERT_EQ(c->peers.size(), 1u);
  EXPECT_FALSE(ParseDaemonConfig("colour = blue\n", "pq.conf", false).ok());  // syntax still
}

TEST(DaemonConfig, Durations) {
  EXPECT_EQ(ParseDuration("120"), Duration(120s));
  EXPECT_EQ(ParseDuration("2m"), Duration(120s));
  EXPECT_EQ(ParseDuration("500ms"), Duration(500ms));
  EXPECT_EQ(ParseDuration("1h"), Duration(3600s));
  EXPECT_FALSE(ParseDuration("0s"));
  EXPECT_FALSE(ParseDuration("-5s"));
  EXPECT_FALSE(ParseDuration("5 s"));
  EXPECT_FALSE(ParseDuration("5d"));
  EXPECT_FALSE(ParseDuration(""));
}

TEST(WgUapi, SetPskRequestAndResponses) {
  WgPublicKey peer;
  peer.fill(0xAB);
  Key psk;
  psk.data()[0] = 0x01;
  const std::string req = FormatSetPsk(peer, psk);
  EXPECT_EQ(req, "set=1\npublic_key=" + std::string(64, 'a').replace(0, 64, ToHex(peer)) +
                     "\nupdate_only=true\npreshared_key=01" + std::string(62, '0') + "\n\n");
  EXPECT_TRUE(ParseUapiSetResponse("errno=0\n\n").ok());
  Status s = ParseUapiSetResponse("errno=-22\n\n");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("Invalid argument"), std::string::npos) << s.message();
  EXPECT_FALSE(ParseUapiSetResponse("errno=0\n").ok()) << "incomplete";
  EXPECT_FALSE(ParseUapiSetResponse("\n\n").ok());
  EXPECT_FALSE(ParseUapiSetResponse("errno=x\n\n").ok());
  EXPECT_FALSE(UapiResponseComplete("errno=0\n"));
  EXPECT_TRUE(UapiResponseComplete("errno=0\n\n"));
}

}  // namespace
}  // namespace dlog::pq
