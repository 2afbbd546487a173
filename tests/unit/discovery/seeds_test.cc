#include "discovery/seeds.h"

#include <gtest/gtest.h>

#include <map>

#include "discovery/dns_message.h"

namespace dlog::discovery {
namespace {

DnsName N(const std::string& s) { return *DnsName::Parse(s); }

TEST(Seeds, ParsesEveryForm) {
  auto a = ParseSeed("192.0.2.7:51820", 1);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->kind, Seed::kAddress);
  EXPECT_EQ(a->address, IpAddress::V4(192, 0, 2, 7));
  EXPECT_EQ(a->port, 51820);
  auto b = ParseSeed("[2001:db8::7]:5", 1);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->address.v6);
  EXPECT_EQ(b->port, 5);
  auto h = ParseSeed("node-a.example:7", 1);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->kind, Seed::kHost);
  EXPECT_EQ(h->name, "node-a.example");
  auto d = ParseSeed("dns:dlog.ns.svc.cluster.local", 51820);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->kind, Seed::kDns);
  EXPECT_EQ(d->port, 51820);
  EXPECT_EQ(ParseSeed("dns:dlog.example:9", 1)->port, 9);
  auto s = ParseSeed("srv:_dlog._udp.example.org", 1);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->kind, Seed::kSrv);
}

TEST(Seeds, RejectsBadForms) {
  for (const char* bad : {"", "192.0.2.7", "192.0.2.7:0", "192.0.2.7:70000", "[::1]", "[zz]:5",
                          "host", "dns:", "srv:", "dns:a..b", "ho st:5", "dns:x:y", "1.2.3.4:5x"}) {
    auto r = ParseSeed(bad, 51820);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.error().find("expected"), std::string::npos) << r.error();
    }
  }
}

// A DNS server in a map: (name, type) → response.
struct FakeDns {
  std::map<std::pair<std::string, uint16_t>, DnsMessage> zone;
  int lookups = 0;
  void Add(const std::string& name, ResourceRecord rr) {
    auto& m = zone[{name, rr.type == rrtype::kCname ? rrtype::kA : rr.type}];
    m.flags = dnsflag::kResponse;
    rr.cache_flush = false;
    m.answers.push_back(std::move(rr));
  }
  DnsLookup Lookup() {
    return [this](const std::string& name, uint16_t type) -> Result<Bytes> {
      ++lookups;
      auto it = zone.find({name, type});
      if (it == zone.end()) return Status::Error("NXDOMAIN " + name);
      return *EncodeMessage(it->second);
    };
  }
};

TEST(Seeds, HeadlessServiceGivesOneCandidatePerAddress) {
  FakeDns dns;
  for (uint8_t i = 1; i <= 3; ++i) {
    dns.Add("dlog.ns.svc.cluster.local",
            MakeAddress(N("dlog.ns.svc.cluster.local"), IpAddress::V4(10, 244, 0, i), 30));
  }
  std::vector<Seed> seeds = {*ParseSeed("dns:dlog.ns.svc.cluster.local", 51820)};
  auto r = ResolveSeeds(seeds, dns.Lookup());
  ASSERT_EQ(r.candidates.size(), 3u);
  EXPECT_TRUE(r.errors.empty());
  for (uint8_t i = 0; i < 3; ++i) {
    EXPECT_EQ(r.candidates[i].addresses, std::vector<IpAddress>{IpAddress::V4(10, 244, 0, i + 1)});
    EXPECT_EQ(r.candidates[i].port, 51820);
    EXPECT_EQ(r.candidates[i].source, CandidateSource::kDns);
  }
}

TEST(Seeds, SrvUsesAdditionalsOrAsks) {
  FakeDns dns;
  DnsMessage srv;
  srv.flags = dnsflag::kResponse;
  auto s1 = MakeSrv(N("_dlog._udp.example"), 7001, N("a.example"), 60);
  auto s2 = MakeSrv(N("_dlog._udp.example"), 7002, N("b.example"), 60);
  s1.cache_flush = s2.cache_flush = false;
  srv.answers = {s1, s2};
  srv.additionals.push_back(MakeAddress(N("a.example"), IpAddress::V4(192, 0, 2, 1), 60));
  dns.zone[{"_dlog._udp.example", rrtype::kSrv}] = srv;
  dns.Add("b.example", MakeAddress(N("b.example"), *IpAddress::Parse("2001:db8::b"), 60));
  std::vector<Seed> seeds = {*ParseSeed("srv:_dlog._udp.example", 51820)};
  auto r = ResolveSeeds(seeds, dns.Lookup());
  ASSERT_EQ(r.candidates.size(), 2u);
  EXPECT_EQ(r.candidates[0].port, 7001);
  EXPECT_EQ(r.candidates[0].addresses[0], IpAddress::V4(192, 0, 2, 1));
  EXPECT_EQ(r.candidates[1].port, 7002);
  EXPECT_EQ(r.candidates[1].host, "b.example");
  EXPECT_EQ(r.candidates[1].addresses[0].ToString(), "2001:db8::b");
}

TEST(Seeds, FollowsCnamesAndReportsFailures) {
  FakeDns dns;
  DnsMessage m;
  m.flags = dnsflag::kResponse;
  m.answers.push_back(ResourceRecord{N("alias.example"), rrtype::kCname, kClassIn, false, 60,
                                     RData(N("real.example"))});
  m.answers.push_back(MakeAddress(N("real.example"), IpAddress::V4(198, 51, 100, 4), 60));
  m.answers.push_back(MakeAddress(N("other.example"), IpAddress::V4(198, 51, 100, 9), 60));
  dns.zone[{"alias.example", rrtype::kA}] = m;
  std::vector<Seed> seeds = {*ParseSeed("alias.example:1", 0), *ParseSeed("missing.example:2", 0),
                             *ParseSeed("203.0.113.1:3", 0)};
  auto r = ResolveSeeds(seeds, dns.Lookup());
  ASSERT_EQ(r.candidates.size(), 2u);
  EXPECT_EQ(r.candidates[0].addresses[0], IpAddress::V4(198, 51, 100, 4));  // not other.example
  EXPECT_EQ(r.candidates[1].source, CandidateSource::kStatic);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("missing.example"), std::string::npos);
}

TEST(Seeds, GarbageResponsesAreErrors) {
  EXPECT_FALSE(AddressesFromResponse(Bytes{1, 2, 3}, "a.example", rrtype::kA).ok());
}

}  // namespace
}  // namespace dlog::discovery
