// discovery_fuzz: arbitrary bytes as an mDNS/DNS message. Whatever decodes must encode,
// and the encoding must decode to the same message (names compared case-insensitively,
// TTLs and flags exactly). The bytes are also fed to a running Responder and Browser
// (as a multicast datagram from port 5353 and as a legacy query), which must neither
// crash nor produce an undecodable datagram.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>

#include "base/clock.h"
#include "base/rng.h"
#include "discovery/browser.h"
#include "discovery/dns_message.h"
#include "discovery/mdns_constants.h"
#include "discovery/responder.h"

namespace {

using namespace dlog;
using namespace dlog::discovery;

void Check(bool ok) {
  if (!ok) abort();
}

bool SameRecords(const std::vector<ResourceRecord>& a, const std::vector<ResourceRecord>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!a[i].SameRecord(b[i]) || a[i].ttl != b[i].ttl || a[i].cache_flush != b[i].cache_flush) {
      return false;
    }
  }
  return true;
}

void RoundTrip(ByteSpan data) {
  auto m = DecodeMessage(data);
  if (!m.ok()) return;
  auto wire = EncodeMessage(*m);
  Check(wire.ok());
  auto back = DecodeMessage(*wire);
  Check(back.ok());
  Check(back->id == m->id && back->flags == m->flags);
  Check(back->questions.size() == m->questions.size());
  for (size_t i = 0; i < m->questions.size(); ++i) {
    const auto& x = m->questions[i];
    const auto& y = back->questions[i];
    Check(x.name == y.name && x.type == y.type && x.qclass == y.qclass &&
          x.unicast_response == y.unicast_response);
  }
  Check(SameRecords(m->answers, back->answers));
  Check(SameRecords(m->authorities, back->authorities));
  Check(SameRecords(m->additionals, back->additionals));
  Check(wire->size() <= data.size() + 2 * 1024 * 64);  // bounded growth
}

void DrainValid(std::vector<Datagram> out) {
  for (const auto& d : out) Check(DecodeMessage(d.payload).ok());
}

// A responder that has finished probing and announcing, made once and copied per input.
const Responder& RunningResponder(Rng& rng, FakeClock& clock) {
  static const Responder running = [&] {
    ServiceConfig c;
    c.instance = "node-a";
    c.host = "host-a";
    c.port = 51820;
    c.txt = {{"v", "1"}};
    c.addresses = {IpAddress::V4(10, 0, 0, 1)};
    auto r = Responder::Create(c, rng);
    Check(r.ok());
    r->Start(clock.Now());
    for (int i = 0; i < 20 && r->NextDeadline(); ++i) {
      clock.Advance(*r->NextDeadline() - clock.Now());
      r->Tick(clock.Now());
      DrainValid(r->TakeOutgoing());
    }
    return std::move(*r);
  }();
  return running;
}

void FeedCores(ByteSpan data) {
  static SeededRng rng(1);
  static FakeClock clock;
  std::optional<Responder> r(RunningResponder(rng, clock));
  Browser b(BrowserConfig{}, rng);
  b.Start(clock.Now());
  UdpAddress peer{IpAddress::V4(10, 0, 0, 9), kMdnsPort};
  UdpAddress legacy{IpAddress::V4(10, 0, 0, 9), 40000};
  r->OnDatagram(clock.Now(), Inbound{peer, true}, data);
  r->OnDatagram(clock.Now(), Inbound{legacy, true}, data);
  b.OnDatagram(clock.Now(), Inbound{peer, true}, data);
  clock.Advance(std::chrono::seconds(1));
  r->Tick(clock.Now());
  b.Tick(clock.Now());
  DrainValid(r->TakeOutgoing());
  DrainValid(b.TakeOutgoing());
  (void)b.Candidates();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan in(data, size);
  RoundTrip(in);
  FeedCores(in);
  return 0;
}
