// Browser: finds DLog service instances over mDNS (RFC 6762 §5.2 continuous querying,
// RFC 6763 browsing). Sans-I/O: datagrams and `now` in; queries to send, the next
// deadline and candidates out.
//
// Queries for _dlog._udp.local PTR go out 1 s, 2 s, 4 s ... after Start, capped at
// 60 s, each with the PTR records we know whose remaining TTL is more than half
// (known-answer suppression, §7.1). Every response (solicited or not, from any
// responder) feeds a bounded cache: PTR → instance, SRV → port and host, TXT, A/AAAA
// of hosts. An instance lacking its SRV, TXT or an address is asked for (QM, at most
// once a second per name). Records expire with their TTL (TTL 0 = goodbye: removed one
// second later, §10.1); cache-flush records replace older ones of the same name and
// type received more than one second earlier (§10.2).
//
// Bounds: kMaxInstances instances, kMaxHosts hosts, kMaxAddressesPerHost addresses,
// kMaxTxtStrings per instance; what does not fit is dropped and counted.
// Thread-safety: none; one owner drives it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/rng.h"
#include "discovery/candidate.h"
#include "discovery/datagram.h"
#include "discovery/dns_message.h"

namespace dlog::discovery {

inline constexpr size_t kMaxInstances = 256;
inline constexpr size_t kMaxHosts = 256;
inline constexpr size_t kMaxAddressesPerHost = 16;
inline constexpr size_t kMaxTxtStrings = 64;
inline constexpr size_t kMaxKnownAnswers = 32;  // per query
inline constexpr int kMaxAsks = 3;              // follow-up queries per missing record set

struct BrowserConfig {
  bool ipv4 = true;   // query on 224.0.0.251
  bool ipv6 = false;  // query on ff02::fb
  DnsName service;    // default: _dlog._udp.local
};

struct BrowserStats {
  uint64_t received = 0;
  uint64_t malformed = 0;     // did not decode
  uint64_t records = 0;       // records that concerned us
  uint64_t dropped_full = 0;  // not stored: a table was full
  uint64_t queries_sent = 0;
  uint64_t expired = 0;
};

struct BrowserEvent {
  enum Kind { kFound, kChanged, kLost } kind;
  Candidate candidate;  // for kLost: the last known state
};

class Browser {
 public:
  Browser(BrowserConfig config, Rng& rng);

  void Start(TimePoint now);
  void OnDatagram(TimePoint now, const Inbound& in, ByteSpan data);
  void Tick(TimePoint now);  // queries and expiry

  std::vector<Datagram> TakeOutgoing();
  std::optional<TimePoint> NextDeadline() const;
  // Complete instances (SRV and at least one address known), ordered by instance.
  std::vector<Candidate> Candidates() const;
  // Found / changed / lost since the last call; at most kMaxInstances * 2 are kept.
  std::vector<BrowserEvent> TakeEvents();
  const BrowserStats& stats() const { return stats_; }

 private:
  struct Expiring {
    TimePoint expires;
    TimePoint received;
    uint32_t ttl = 0;
  };
  struct Instance {
    std::string label;
    Expiring ptr;
    std::optional<Expiring> srv_life;
    SrvData srv;
    std::optional<Expiring> txt_life;
    std::vector<std::string> txt;
    std::optional<TimePoint> last_asked;
    int asks = 0;  // follow-up queries since the record set last changed; <= kMaxAsks
    std::optional<Candidate> reported;
  };
  struct Host {
    DnsName name;
    std::map<IpAddress, Expiring> addresses;  // <= kMaxAddressesPerHost
    std::optional<TimePoint> last_asked;
    int asks = 0;
  };

  void AbsorbPtr(TimePoint now, const ResourceRecord& rr);
  void AbsorbInstanceRecord(TimePoint now, const ResourceRecord& rr);
  void AbsorbAddress(TimePoint now, const Inbound& in, const ResourceRecord& rr);
  bool HostReferenced(const std::string& key) const;
  bool Stale(TimePoint now, const Expiring& e) const;
  void Expire(TimePoint now);
  void SendBrowseQuery(TimePoint now);
  void AskForMissing(TimePoint now);
  void Report();
  std::optional<Candidate> Build(const Instance& inst) const;
  Instance* FindInstance(const DnsName& name);
  void EmitQuery(DnsMessage m);

  BrowserConfig config_;
  Rng* rng_;
  bool started_ = false;
  TimePoint next_query_{};
  TimePoint last_now_{};  // latest `now` seen; NextDeadline only looks past it
  Duration interval_{};
  std::map<std::string, Instance> instances_;  // by lower-cased label; <= kMaxInstances
  std::map<std::string, Host> hosts_;          // by DnsName::Key(); <= kMaxHosts
  std::vector<Datagram> out_;
  std::vector<BrowserEvent> events_;
  BrowserStats stats_;
};

}  // namespace dlog::discovery
