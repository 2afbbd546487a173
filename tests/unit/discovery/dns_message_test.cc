#include "discovery/dns_message.h"

#include <gtest/gtest.h>

namespace dlog::discovery {
namespace {

DnsName N(const char* s) { return *DnsName::Parse(s); }

DnsMessage FullMessage() {
  DnsMessage m;
  m.id = 0x1234;
  m.flags = dnsflag::kResponse | dnsflag::kAuthoritative;
  m.questions.push_back(Question{N("_dlog._udp.local"), rrtype::kPtr, kClassIn, true});
  m.answers.push_back(MakePtr(N("_dlog._udp.local"), N("node a._dlog._udp.local"), 4500));
  m.answers.push_back(MakeSrv(N("node a._dlog._udp.local"), 51820, N("host-a.local"), 120));
  m.answers.push_back(MakeTxt(N("node a._dlog._udp.local"), {"v=1", "key=abc="}, 4500));
  m.additionals.push_back(MakeAddress(N("host-a.local"), IpAddress::V4(10, 1, 2, 3), 120));
  m.additionals.push_back(MakeAddress(N("host-a.local"), *IpAddress::Parse("fe80::1"), 120));
  m.additionals.push_back(MakeNsec(N("host-a.local"), {rrtype::kA, rrtype::kAaaa, 300}, 120));
  m.authorities.push_back(ResourceRecord{N("x.local"), 99, kClassIn, false, 7, RawData{{1, 2, 3}}});
  return m;
}

void ExpectSameMessage(const DnsMessage& a, const DnsMessage& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.flags, b.flags);
  ASSERT_EQ(a.questions.size(), b.questions.size());
  for (size_t i = 0; i < a.questions.size(); ++i) {
    EXPECT_EQ(a.questions[i].name, b.questions[i].name);
    EXPECT_EQ(a.questions[i].type, b.questions[i].type);
    EXPECT_EQ(a.questions[i].unicast_response, b.questions[i].unicast_response);
  }
  for (auto [x, y] : {std::pair{&a.answers, &b.answers},
                      {&a.authorities, &b.authorities},
                      {&a.additionals, &b.additionals}}) {
    ASSERT_EQ(x->size(), y->size());
    for (size_t i = 0; i < x->size(); ++i) {
      EXPECT_TRUE((*x)[i].SameRecord((*y)[i])) << i;
      EXPECT_EQ((*x)[i].ttl, (*y)[i].ttl);
      EXPECT_EQ((*x)[i].cache_flush, (*y)[i].cache_flush);
    }
  }
}

TEST(DnsMessage, RoundTripsEveryType) {
  DnsMessage m = FullMessage();
  auto wire = EncodeMessage(m);
  ASSERT_TRUE(wire.ok()) << wire.error();
  auto back = DecodeMessage(*wire);
  ASSERT_TRUE(back.ok()) << back.error();
  ExpectSameMessage(m, *back);
}

TEST(DnsMessage, CompressesRepeatedNames) {
  DnsMessage m;
  m.answers.push_back(MakePtr(N("_dlog._udp.local"), N("a._dlog._udp.local"), 1));
  auto wire = *EncodeMessage(m);
  // header 12 + owner 18 + type/class/ttl/len 10 + "a" label 2 + pointer 2.
  EXPECT_EQ(wire.size(), 12u + 18 + 10 + 4);
  EXPECT_EQ(wire[wire.size() - 2], 0xc0);
  EXPECT_EQ(wire[wire.size() - 1], 12);  // points at the owner name
}

TEST(DnsMessage, EncodesAKnownQuery) {
  // dig-style: ID 0xbeef, one question _dlog._udp.local PTR IN with the QU bit.
  DnsMessage m;
  m.id = 0xbeef;
  m.questions.push_back(Question{N("_dlog._udp.local"), rrtype::kPtr, kClassIn, true});
  const Bytes expected = {0xbe, 0xef, 0,   0,   0,   1,   0, 0,   0,    0,   0,   0,
                          5,    '_',  'd', 'l', 'o', 'g', 4, '_', 'u',  'd', 'p', 5,
                          'l',  'o',  'c', 'a', 'l', 0,   0, 12,  0x80, 1};
  EXPECT_EQ(*EncodeMessage(m), expected);
  auto back = DecodeMessage(expected);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->questions[0].unicast_response);
  EXPECT_EQ(back->questions[0].qclass, kClassIn);
}

TEST(DnsMessage, CacheFlushBitOnTheWire) {
  DnsMessage m;
  m.answers.push_back(MakeAddress(N("h.local"), IpAddress::V4(1, 2, 3, 4), 120));
  auto wire = *EncodeMessage(m);
  // owner "h.local" = 9 bytes, then type (2), class (2).
  EXPECT_EQ(wire[12 + 9 + 2], 0x80);
  EXPECT_EQ(wire[12 + 9 + 3], 0x01);
  EXPECT_TRUE(DecodeMessage(wire)->answers[0].cache_flush);
}

TEST(DnsMessage, RejectsPointerLoops) {
  Bytes self = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1};
  EXPECT_FALSE(DecodeMessage(self).ok());
  Bytes forward = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 14, 1, 'a', 0, 0, 1, 0, 1};
  EXPECT_FALSE(DecodeMessage(forward).ok());
  // Two names pointing at each other: "a" → name 2, name 2 = "b" → name 1.
  Bytes mutual = {0,  0, 0, 0, 0, 2, 0, 0, 0,   0,    0,  0, 1, 'a', 0xc0,
                  22, 0, 1, 0, 1, 0, 0, 1, 'b', 0xc0, 12, 0, 1, 0,   1};
  EXPECT_FALSE(DecodeMessage(mutual).ok());
}

TEST(DnsMessage, RejectsLongNamesAndLabels) {
  std::string label(64, 'x');
  DnsMessage m;
  m.questions.push_back(Question{DnsName({label, "local"}), rrtype::kA, kClassIn, false});
  EXPECT_FALSE(EncodeMessage(m).ok());
  // 5 labels of 63 bytes: 320 bytes on the wire.
  std::vector<std::string> labels(5, std::string(63, 'y'));
  m.questions[0].name = DnsName(labels);
  EXPECT_FALSE(EncodeMessage(m).ok());
  // The same on the wire: a decoder must refuse names over 255 bytes.
  Bytes wire = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0};
  for (int i = 0; i < 5; ++i) {
    wire.push_back(63);
    wire.insert(wire.end(), 63, 'y');
  }
  wire.insert(wire.end(), {0, 0, 1, 0, 1});
  EXPECT_FALSE(DecodeMessage(wire).ok());
}

TEST(DnsMessage, EveryTruncationIsAnError) {
  auto wire = *EncodeMessage(FullMessage());
  for (size_t n = 0; n < wire.size(); ++n) {
    EXPECT_FALSE(DecodeMessage(ByteSpan(wire.data(), n)).ok()) << n;
  }
}

TEST(DnsMessage, RejectsBadRecordData) {
  DnsMessage m;
  m.answers.push_back(MakeAddress(N("h.local"), IpAddress::V4(1, 2, 3, 4), 120));
  auto wire = *EncodeMessage(m);
  wire[wire.size() - 5] = 5;  // RDLENGTH 5 for an A record
  wire.push_back(0);
  EXPECT_FALSE(DecodeMessage(wire).ok());
  // A TXT string longer than its record.
  DnsMessage t;
  t.answers.push_back(MakeTxt(N("i.local"), {"abc"}, 1));
  auto tw = *EncodeMessage(t);
  tw[tw.size() - 4] = 9;
  EXPECT_FALSE(DecodeMessage(tw).ok());
  // Counts that promise more than the message holds.
  Bytes counts = {0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};
  EXPECT_FALSE(DecodeMessage(counts).ok());
}

TEST(DnsMessage, RefusesDataOfTheWrongKind) {
  DnsMessage m;
  ResourceRecord rr = MakeAddress(N("h.local"), IpAddress::V4(1, 2, 3, 4), 120);
  rr.type = rrtype::kAaaa;
  m.answers.push_back(rr);
  EXPECT_FALSE(EncodeMessage(m).ok());
  m.answers[0] = MakeTxt(N("h.local"), {std::string(256, 'a')}, 1);
  EXPECT_FALSE(EncodeMessage(m).ok());
}

TEST(DnsMessage, NsecBitmap) {
  DnsMessage m;
  m.answers.push_back(MakeNsec(N("h.local"), {rrtype::kAaaa, rrtype::kA}, 120));
  auto wire = *EncodeMessage(m);
  // next name uncompressed (9), window 0, length 4, bits for 1 and 28.
  const Bytes tail = {0, 4, 0x40, 0, 0, 0x08};
  EXPECT_TRUE(std::equal(tail.begin(), tail.end(), wire.end() - 6));
  auto back = DecodeMessage(wire);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(std::get<NsecData>(back->answers[0].data).types, (std::vector<uint16_t>{1, 28}));
}

TEST(DnsName, CaseInsensitiveAndEscapes) {
  EXPECT_EQ(N("Node._DLOG._udp.LOCAL"), N("node._dlog._udp.local"));
  auto n = N("a\\.b.local");
  ASSERT_EQ(n.labels().size(), 2u);
  EXPECT_EQ(n.labels()[0], "a.b");
  EXPECT_EQ(n.ToString(), "a\\.b.local");
  EXPECT_TRUE(N("x._dlog._udp.local").EndsWith(N("_DLOG._udp.local")));
  EXPECT_FALSE(DnsName::Parse("a..b").ok());
}

}  // namespace
}  // namespace dlog::discovery
