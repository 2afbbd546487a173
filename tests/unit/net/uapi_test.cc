#include "net/uapi.h"

#include <gtest/gtest.h>

#include <string>

#include "net/uapi_session.h"

namespace dlog::net::uapi {
namespace {

const std::string kKeyA = std::string(62, 'a') + "01";
const std::string kKeyB = "E0" + std::string(62, 'b');  // upper case is accepted
const std::string kZero(64, '0');

Key KeyOf(const std::string& hex) { return *ParseHexKey(hex); }

TEST(UapiHexKey, ParsesBothCasesAndRejectsBadLengthOrDigits) {
  auto k = ParseHexKey(kKeyB);
  ASSERT_TRUE(k);
  EXPECT_EQ((*k)[0], 0xe0);
  EXPECT_EQ((*k)[31], 0xbb);
  EXPECT_FALSE(ParseHexKey(kKeyA.substr(1)));
  EXPECT_FALSE(ParseHexKey(kKeyA + "0"));
  EXPECT_FALSE(ParseHexKey(std::string(63, '0') + "g"));
  EXPECT_FALSE(ParseHexKey(""));
}

TEST(UapiPrefix, ParsesV4AndV6AndClearsHostBits) {
  auto p = ParsePrefix("10.1.2.3/8");
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->v6);
  EXPECT_EQ(p->bits, 8);
  EXPECT_EQ(FormatPrefix(*p), "10.0.0.0/8");
  auto q = ParsePrefix("fd00:1:2::7/46");
  ASSERT_TRUE(q);
  EXPECT_TRUE(q->v6);
  EXPECT_EQ(FormatPrefix(*q), "fd00:1::/46");
  EXPECT_EQ(FormatPrefix(*ParsePrefix("0.0.0.0/0")), "0.0.0.0/0");
  EXPECT_EQ(FormatPrefix(*ParsePrefix("::/0")), "::/0");
  EXPECT_EQ(FormatPrefix(*ParsePrefix("1.2.3.4/32")), "1.2.3.4/32");
}

TEST(UapiPrefix, RejectsMalformed) {
  for (const char* bad : {"10.0.0.0", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1",
                          "10.0.0.0/+8", "10.0.0.0/08", "10.0.0.256/8", "010.0.0.0/8",
                          "fe80::1%eth0/64", "/8", "10.0.0.0/8 ", "x/1"}) {
    EXPECT_FALSE(ParsePrefix(bad)) << bad;
  }
}

TEST(UapiParseSet, FullRequestAsWgSetconfSendsIt) {
  std::string body = "private_key=" + kKeyA +
                     "\nlisten_port=51820\nfwmark=0\nreplace_peers=true\n" + "public_key=" + kKeyB +
                     "\npreshared_key=" + kKeyA +
                     "\nendpoint=192.168.250.2:51821\npersistent_keepalive_interval=25\n"
                     "replace_allowed_ips=true\nallowed_ip=10.0.0.2/32\nallowed_ip=fd00::/64\n"
                     "public_key=" +
                     kKeyA + "\nremove=true\n";
  SetParse r = ParseSet(body);
  ASSERT_FALSE(r.error) << r.error->message;
  const SetRequest& req = r.request;
  ASSERT_TRUE(req.private_key);
  EXPECT_EQ(req.private_key->data()[31], 0x01);
  EXPECT_EQ(req.listen_port, 51820);
  EXPECT_EQ(req.fwmark, 0u);
  EXPECT_TRUE(req.replace_peers);
  ASSERT_EQ(req.peers.size(), 2u);
  const PeerChange& p = req.peers[0];
  EXPECT_EQ(p.public_key, KeyOf(kKeyB));
  EXPECT_FALSE(p.remove);
  ASSERT_TRUE(p.preshared_key);
  EXPECT_EQ(p.endpoint->ToString(), "192.168.250.2:51821");
  EXPECT_EQ(p.persistent_keepalive_interval, 25);
  EXPECT_TRUE(p.replace_allowed_ips);
  ASSERT_EQ(p.allowed_ips.size(), 2u);
  EXPECT_EQ(FormatPrefix(p.allowed_ips[0].prefix), "10.0.0.2/32");
  EXPECT_FALSE(p.allowed_ips[0].remove);
  EXPECT_EQ(FormatPrefix(p.allowed_ips[1].prefix), "fd00::/64");
  EXPECT_TRUE(req.peers[1].remove);
  EXPECT_EQ(req.peers[1].public_key, KeyOf(kKeyA));
}

TEST(UapiParseSet, EmptyBodyIsANoOp) {
  SetParse r = ParseSet("");
  EXPECT_FALSE(r.error);
  EXPECT_FALSE(r.request.private_key);
  EXPECT_TRUE(r.request.peers.empty());
}

TEST(UapiParseSet, ZeroKeysMeanRemove) {
  SetParse r = ParseSet("private_key=" + kZero + "\npublic_key=" + kKeyB +
                        "\npreshared_key=" + kZero + "\n");
  ASSERT_FALSE(r.error);
  EXPECT_TRUE(r.request.private_key->IsZero());
  EXPECT_TRUE(r.request.peers[0].preshared_key->IsZero());
}

TEST(UapiParseSet, AllowedIpRemovalWithMinus) {
  SetParse r = ParseSet("public_key=" + kKeyB +
                        "\nupdate_only=true\nallowed_ip=-1.2.3.4/32\nallowed_ip=5.6.7.0/24\n");
  ASSERT_FALSE(r.error);
  const PeerChange& p = r.request.peers[0];
  EXPECT_TRUE(p.update_only);
  ASSERT_EQ(p.allowed_ips.size(), 2u);
  EXPECT_TRUE(p.allowed_ips[0].remove);
  EXPECT_EQ(FormatPrefix(p.allowed_ips[0].prefix), "1.2.3.4/32");
  EXPECT_FALSE(p.allowed_ips[1].remove);
}

TEST(UapiParseSet, ReplaceAllowedIpsDropsEarlierAllowedIpsOfTheBlock) {
  SetParse r = ParseSet("public_key=" + kKeyB +
                        "\nallowed_ip=1.0.0.0/8\nreplace_allowed_ips=true\nallowed_ip=2.0.0.0/8\n");
  ASSERT_FALSE(r.error);
  ASSERT_EQ(r.request.peers[0].allowed_ips.size(), 1u);
  EXPECT_EQ(FormatPrefix(r.request.peers[0].allowed_ips[0].prefix), "2.0.0.0/8");
}

TEST(UapiParseSet, LinesAfterRemoveAreCheckedButIgnored) {
  SetParse r =
      ParseSet("public_key=" + kKeyB + "\nendpoint=1.2.3.4:5\nremove=true\nallowed_ip=1.0.0.0/8\n");
  ASSERT_FALSE(r.error);
  const PeerChange& p = r.request.peers[0];
  EXPECT_TRUE(p.remove);
  EXPECT_FALSE(p.endpoint);
  EXPECT_TRUE(p.allowed_ips.empty());
  SetParse bad = ParseSet("public_key=" + kKeyB + "\nremove=true\nallowed_ip=nonsense\n");
  ASSERT_TRUE(bad.error);
  EXPECT_EQ(bad.error->code, kErrInvalid);
}

TEST(UapiParseSet, AcceptsCrLfAndStopsAtEmptyLine) {
  SetParse r = ParseSet("listen_port=7\r\n\r\nlisten_port=8\n");
  ASSERT_FALSE(r.error);
  EXPECT_EQ(r.request.listen_port, 7);
}

struct BadLine {
  std::string body;
  int64_t code;
};

TEST(UapiParseSet, MalformedLinesGiveWireguardGoErrnos) {
  const std::string peer = "public_key=" + kKeyB + "\n";
  const BadLine cases[] = {
      {"listen_port\n", kErrProtocol},
      {"garbage\n", kErrProtocol},
      {"listen_port=65536\n", kErrInvalid},
      {"listen_port=-1\n", kErrInvalid},
      {"listen_port=+1\n", kErrInvalid},
      {"listen_port=\n", kErrInvalid},
      {"listen_port= 1\n", kErrInvalid},
      {"fwmark=4294967296\n", kErrInvalid},
      {"private_key=" + kKeyA.substr(2) + "\n", kErrInvalid},
      {"private_key=" + std::string(64, 'z') + "\n", kErrInvalid},
      {"replace_peers=false\n", kErrInvalid},
      {"endpoint=1.2.3.4:5\n", kErrInvalid},  // a peer key before any public_key
      {"bogus=1\n", kErrInvalid},
      {"=1\n", kErrInvalid},
      {"public_key=123\n", kErrInvalid},
      {peer + "listen_port=1\n", kErrInvalid},  // a device key after public_key
      {peer + "remove=yes\n", kErrInvalid},
      {peer + "update_only=1\n", kErrInvalid},
      {peer + "preshared_key=xyz\n", kErrInvalid},
      {peer + "endpoint=1.2.3.4\n", kErrInvalid},
      {peer + "endpoint=[::1:5\n", kErrInvalid},
      {peer + "endpoint=1.2.3.4:99999\n", kErrInvalid},
      {peer + "endpoint=host.example:5\n", kErrInvalid},
      {peer + "persistent_keepalive_interval=65536\n", kErrInvalid},
      {peer + "replace_allowed_ips=TRUE\n", kErrInvalid},
      {peer + "allowed_ip=1.2.3.4\n", kErrInvalid},
      {peer + "allowed_ip=--1.2.3.4/32\n", kErrInvalid},
      {peer + "protocol_version=2\n", kErrInvalid},
      {peer + "last_handshake_time_sec=0\n", kErrInvalid},
      {"listen_port=1" + std::string(kMaxLineBytes, '0') + "\n", kErrIo},
  };
  for (const BadLine& c : cases) {
    SetParse r = ParseSet(c.body);
    ASSERT_TRUE(r.error) << c.body.substr(0, 80);
    EXPECT_EQ(r.error->code, c.code) << c.body.substr(0, 80);
    EXPECT_FALSE(r.error->message.empty());
  }
}

TEST(UapiParseSet, KeepsTheLinesBeforeTheFirstBadOne) {
  SetParse r = ParseSet("listen_port=9\npublic_key=" + kKeyB +
                        "\nallowed_ip=1.0.0.0/8\nallowed_ip=bad\nallowed_ip=2.0.0.0/8\n");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.request.listen_port, 9);
  ASSERT_EQ(r.request.peers.size(), 1u);
  ASSERT_EQ(r.request.peers[0].allowed_ips.size(), 1u);
  EXPECT_EQ(FormatPrefix(r.request.peers[0].allowed_ips[0].prefix), "1.0.0.0/8");
}

TEST(UapiParseSet, ErrorMessagesNeverCarryKeyMaterial) {
  std::string secret = std::string(63, 'c') + "x";
  SetParse r = ParseSet("private_key=" + secret + "\n");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->message.find("ccc"), std::string::npos);
  SetParse p = ParseSet("public_key=" + kKeyB + "\npreshared_key=" + secret + "\n");
  ASSERT_TRUE(p.error);
  EXPECT_EQ(p.error->message.find("ccc"), std::string::npos);
}

TEST(UapiFormatGet, EmptyDevice) { EXPECT_EQ(FormatGet(DeviceState{}), "errno=0\n\n"); }

TEST(UapiFormatGet, WireguardGoOrderAndOmissions) {
  DeviceState s;
  Key sk = KeyOf(kKeyA);
  s.private_key = Secret<32>(std::span<const uint8_t, 32>(sk));
  s.listen_port = 51820;
  PeerState peer;
  peer.public_key = KeyOf(kKeyB);
  peer.endpoint = wg::Endpoint::Parse("[fd00::2]:51821");
  peer.last_handshake_time_sec = 1700000000;
  peer.last_handshake_time_nsec = 5;
  peer.tx_bytes = 92;
  peer.rx_bytes = 212;
  peer.persistent_keepalive_interval = 25;
  peer.allowed_ips = {*ParsePrefix("10.0.0.2/32"), *ParsePrefix("fd00::/64")};
  s.peers.push_back(peer);
  PeerState bare;
  bare.public_key = KeyOf(kKeyA);
  s.peers.push_back(bare);
  std::string lower_b = "e0" + std::string(62, 'b');
  EXPECT_EQ(FormatGet(s),
            "private_key=" + kKeyA +
                "\nlisten_port=51820\n"
                "public_key=" +
                lower_b + "\npreshared_key=" + kZero +
                "\nprotocol_version=1\n"
                "endpoint=[fd00::2]:51821\nlast_handshake_time_sec=1700000000\n"
                "last_handshake_time_nsec=5\ntx_bytes=92\nrx_bytes=212\n"
                "persistent_keepalive_interval=25\nallowed_ip=10.0.0.2/32\nallowed_ip=fd00::/64\n"
                "public_key=" +
                kKeyA + "\npreshared_key=" + kZero +
                "\nprotocol_version=1\n"
                "last_handshake_time_sec=0\nlast_handshake_time_nsec=0\ntx_bytes=0\nrx_bytes=0\n"
                "persistent_keepalive_interval=0\n"
                "errno=0\n\n");
}

TEST(UapiFormatGet, OutputParsesBackAsSetLines) {
  DeviceState s;
  s.fwmark = 51820;
  PeerState peer;
  peer.public_key = KeyOf(kKeyB);
  peer.allowed_ips = {*ParsePrefix("10.9.0.0/16")};
  s.peers.push_back(peer);
  std::string get = FormatGet(s);
  EXPECT_EQ(get.find("fwmark=51820\n"), 0u);
  EXPECT_NE(get.find("allowed_ip=10.9.0.0/16\n"), std::string::npos);
  EXPECT_EQ(FormatErrno(kErrInvalid), "errno=-22\n\n");
  EXPECT_EQ(FormatErrno(kErrPortInUse), "errno=-98\n\n");
}

// --- UapiSession -------------------------------------------------------------------------

class FakeHandler : public UapiHandler {
 public:
  DeviceState Get() override {
    ++gets;
    DeviceState s;
    s.listen_port = port;
    return s;
  }
  std::optional<Error> Set(const SetRequest& req) override {
    sets.push_back(req.listen_port.value_or(0));
    if (req.listen_port && *req.listen_port == 1) return Error{kErrPortInUse, "in use"};
    if (req.listen_port) port = *req.listen_port;
    return std::nullopt;
  }
  int gets = 0;
  uint16_t port = 0;
  std::vector<uint16_t> sets;
};

TEST(UapiSession, GetThenSetThenGetOnOneConnection) {
  FakeHandler h;
  UapiSession s(h);
  EXPECT_EQ(s.Feed("get=1\n\n"), "errno=0\n\n");
  EXPECT_EQ(s.Feed("set=1\nlisten_port=51820\n\n"), "errno=0\n\n");
  EXPECT_EQ(s.Feed("get=1\n\n"), "listen_port=51820\nerrno=0\n\n");
  EXPECT_FALSE(s.closed());
  EXPECT_EQ(h.gets, 2);
}

TEST(UapiSession, RequestsSplitAtEveryByteBoundary) {
  const std::string stream =
      "set=1\nlisten_port=7\n\nget=1\n\nset=1\nlisten_port=8\r\n\r\nget=1\n\n";
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    FakeHandler h;
    UapiSession s(h);
    std::string out = s.Feed(stream.substr(0, cut));
    out += s.Feed(stream.substr(cut));
    EXPECT_EQ(out, "errno=0\n\nlisten_port=7\nerrno=0\n\nerrno=0\n\nlisten_port=8\nerrno=0\n\n")
        << cut;
    EXPECT_FALSE(s.closed());
  }
}

TEST(UapiSession, ByteByByte) {
  FakeHandler h;
  UapiSession s(h);
  std::string out;
  for (char c : std::string("set=1\nlisten_port=9\n\nget=1\n\n"))
    out += s.Feed(std::string_view(&c, 1));
  EXPECT_EQ(out, "errno=0\n\nlisten_port=9\nerrno=0\n\n");
}

TEST(UapiSession, SetErrorAnswersAndCloses) {
  FakeHandler h;
  UapiSession s(h);
  EXPECT_EQ(s.Feed("set=1\nlisten_port=9\nbogus\n\nget=1\n\n"), "errno=-71\n\n");
  EXPECT_TRUE(s.closed());
  EXPECT_EQ(h.port, 9);  // the line before the bad one took effect
  EXPECT_EQ(h.gets, 0);
  EXPECT_EQ(s.Feed("get=1\n\n"), "");
}

TEST(UapiSession, HandlerErrorIsAnswered) {
  FakeHandler h;
  UapiSession s(h);
  EXPECT_EQ(s.Feed("set=1\nlisten_port=1\n\n"), "errno=-98\n\n");
  EXPECT_TRUE(s.closed());
  ASSERT_TRUE(s.last_error());
  EXPECT_EQ(s.last_error()->code, kErrPortInUse);
}

TEST(UapiSession, UnknownOperationClosesWithoutAnswer) {
  for (const char* op : {"hello\n", "get=2\n\n", "set=1 \n\n", "GET=1\n\n", "\n"}) {
    FakeHandler h;
    UapiSession s(h);
    EXPECT_EQ(s.Feed(op), "") << op;
    EXPECT_TRUE(s.closed()) << op;
  }
}

TEST(UapiSession, GetWithTrailingByteIsInvalid) {
  FakeHandler h;
  UapiSession s(h);
  EXPECT_EQ(s.Feed("get=1\nx\n"), "errno=-22\n\n");
  EXPECT_TRUE(s.closed());
  EXPECT_EQ(h.gets, 0);
}

TEST(UapiSession, EofAppliesAnUnterminatedSet) {
  FakeHandler h;
  UapiSession s(h);
  EXPECT_EQ(s.Feed("set=1\nlisten_port=5\nlisten_port=6"), "");
  EXPECT_EQ(s.Finish(), "errno=0\n\n");
  EXPECT_EQ(h.port, 6);
  EXPECT_TRUE(s.closed());
}

TEST(UapiSession, EofInsideGetOrOpLineAnswersNothing) {
  FakeHandler h;
  UapiSession a(h), b(h);
  EXPECT_EQ(a.Feed("get=1\n"), "");
  EXPECT_EQ(a.Finish(), "");
  EXPECT_EQ(b.Feed("get="), "");
  EXPECT_EQ(b.Finish(), "");
  EXPECT_EQ(h.gets, 0);
}

TEST(UapiSession, OversizedInputIsBounded) {
  FakeHandler h;
  UapiSession op(h);
  EXPECT_EQ(op.Feed(std::string(kMaxLineBytes + 1, 'x')), "");
  EXPECT_TRUE(op.closed());

  UapiSession set(h);
  EXPECT_EQ(set.Feed("set=1\n"), "");
  std::string line = "listen_port=1234\n";
  std::string chunk;
  while (chunk.size() < 1024 * 1024) chunk += line;
  std::string out;
  for (size_t sent = 0; sent <= kMaxRequestBytes && !set.closed(); sent += chunk.size())
    out += set.Feed(chunk);
  EXPECT_EQ(out, "errno=-5\n\n");
  EXPECT_TRUE(set.closed());
  EXPECT_TRUE(h.sets.empty());
}

}  // namespace
}  // namespace dlog::net::uapi
