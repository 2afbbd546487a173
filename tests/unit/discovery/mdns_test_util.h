// Helpers for the mDNS tests: a fake clock, decoding of outgoing datagrams, and a
// one-segment "LAN" that hands every multicast datagram to every core.
#pragma once

#include <gtest/gtest.h>

#include "base/clock.h"
#include "base/rng.h"
#include "discovery/browser.h"
#include "discovery/mdns_constants.h"
#include "discovery/responder.h"

namespace dlog::discovery::testing {

inline DnsName N(const char* s) { return *DnsName::Parse(s); }

inline const UdpAddress kPeer{IpAddress::V4(10, 0, 0, 9), kMdnsPort};

inline ServiceConfig NodeConfig(std::string instance = "node-a", std::string host = "host-a") {
  ServiceConfig c;
  c.instance = std::move(instance);
  c.host = std::move(host);
  c.port = 51820;
  c.txt = {{"v", "1"}, {"cluster", "c1"}, {"key", "a2V5"}};
  c.addresses = {IpAddress::V4(10, 0, 0, 1)};
  return c;
}

inline DnsMessage Decoded(const Datagram& d) {
  auto m = DecodeMessage(d.payload);
  EXPECT_TRUE(m.ok()) << m.error();
  return m.ok() ? *m : DnsMessage{};
}

inline Bytes Query(std::vector<Question> qs, std::vector<ResourceRecord> known = {},
                   uint16_t id = 0) {
  DnsMessage m;
  m.id = id;
  m.questions = std::move(qs);
  m.answers = std::move(known);
  return *EncodeMessage(m);
}

inline const ResourceRecord* Find(const std::vector<ResourceRecord>& rrs, uint16_t type) {
  for (const auto& rr : rrs) {
    if (rr.type == type) return &rr;
  }
  return nullptr;
}

// Runs the responder until it is announcing/running; returns what it sent.
inline std::vector<Datagram> RunUntil(Responder& r, FakeClock& clock, Duration span) {
  std::vector<Datagram> all;
  TimePoint end = clock.Now() + span;
  for (int guard = 0; guard < 10000; ++guard) {
    r.Tick(clock.Now());
    for (auto& d : r.TakeOutgoing()) all.push_back(std::move(d));
    auto next = r.NextDeadline();
    if (!next || *next > end) break;
    if (*next > clock.Now()) clock.Advance(*next - clock.Now());
  }
  if (clock.Now() < end) clock.Advance(end - clock.Now());
  return all;
}

}  // namespace dlog::discovery::testing
