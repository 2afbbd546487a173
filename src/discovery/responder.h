// Responder: announces one DLog service instance over mDNS (RFC 6762) / DNS-SD
// (RFC 6763). Sans-I/O: datagrams and `now` in; datagrams to send and the next deadline
// out. Records, for instance I, host H, service type S = _dlog._udp.local:
//
//   _services._dns-sd._udp.local  PTR  S               4500 s
//   S                             PTR  I.S             4500 s
//   I.S                           SRV  0 0 port H.local  120 s, cache-flush
//   I.S                           TXT  k=v ...         4500 s, cache-flush
//   H.local                       A / AAAA             120 s, cache-flush
//   (NSEC for I.S and H.local in the additional section: RFC 6762 §6.1)
//
// Life cycle (RFC 6762 §8, simplified — see docs/DISCOVERY.md):
//   Start → probing: 3 QU queries for I.S and H.local (type ANY, proposed SRV and
//     A/AAAA in the authority section), 250 ms apart after a random 0-250 ms delay.
//     A response holding a different record for one of our unique names is a conflict:
//     the instance becomes "I (2)", "I (3)" ... and the host "H-2", "H-3" ..., and
//     probing starts over (at most kMaxRenames times, then state kFailed). A
//     simultaneous probe for one of our names is tie-broken (§8.2: proposed records
//     compared as class, type, raw rdata; the later set wins); the loser probes again one
//     second later and then meets the winner's announcement as a conflict.
//   → announcing: 3 unsolicited responses 1 s, 2 s apart, then running.
//   Queries: a multicast query (QM) is answered to the group after 20-120 ms
//     (aggregated); a QU query, or a query to our unicast port, is answered by unicast
//     to the querier at once (§5.4; unless the record was multicast > 1/4 TTL ago, in
//     which case it goes to the group too). A query from a port other than 5353 is a
//     legacy unicast query (§6.7): answered by unicast to its port, with its ID and its
//     question, no cache-flush bits, TTLs at most 10 s. Known answers (§7.1) whose TTL
//     is at least half ours suppress that answer. A record is multicast at most once a
//     second (§6), except probe defence.
//   Shutdown: goodbye (every shared and unique record with TTL 0), then kStopped.
//
// Invalid datagrams are dropped and counted (stats().malformed).
// Thread-safety: none; one owner drives it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "base/rng.h"
#include "discovery/datagram.h"
#include "discovery/dns_message.h"
#include "discovery/txt.h"

namespace dlog::discovery {

inline constexpr int kMaxRenames = 15;

struct ServiceConfig {
  std::string instance;  // one label, 1..63 bytes (UTF-8), e.g. "dlog-3f2a9c"
  std::string host;      // one label, e.g. "dlog-3f2a9c" → "dlog-3f2a9c.local"
  uint16_t port = 0;     // the WireGuard UDP port
  TxtPairs txt;
  std::vector<IpAddress> addresses;  // A / AAAA of the host; at most 16
  bool ipv4 = true;                  // multicast on 224.0.0.251
  bool ipv6 = false;                 // multicast on ff02::fb
};

struct ResponderStats {
  uint64_t received = 0;
  uint64_t malformed = 0;       // did not decode
  uint64_t queries = 0;         // queries that asked for at least one of our records
  uint64_t legacy_queries = 0;  // from a port other than 5353
  uint64_t suppressed = 0;      // answers left out by known-answer suppression
  uint64_t conflicts = 0;       // renames
  uint64_t sent = 0;            // datagrams produced
};

class Responder {
 public:
  enum class State { kIdle, kProbing, kAnnouncing, kRunning, kStopped, kFailed };

  // Fails if a label is empty or too long, a TXT pair is invalid, the port is 0, there
  // is no address, or neither family is enabled.
  static Result<Responder> Create(ServiceConfig config, Rng& rng);

  void Start(TimePoint now);
  // One datagram from the network. Responses are checked for conflicts; queries are
  // answered (as outgoing datagrams, possibly after a delay).
  void OnDatagram(TimePoint now, const Inbound& in, ByteSpan data);
  // Runs what is due at `now` (probes, announcements, delayed answers).
  void Tick(TimePoint now);
  // Replaces the host addresses (an interface changed); re-announces when running.
  void SetAddresses(TimePoint now, std::vector<IpAddress> addresses);
  // Queues goodbye datagrams and stops. Further input is ignored.
  void Shutdown(TimePoint now);

  // Datagrams to send now; the caller sends them in order.
  std::vector<Datagram> TakeOutgoing();
  // When Tick must next run; nullopt when nothing is scheduled.
  std::optional<TimePoint> NextDeadline() const;

  State state() const { return state_; }
  const ResponderStats& stats() const { return stats_; }
  // Current names (they change after a conflict).
  const std::string& instance() const { return config_.instance; }
  const std::string& host() const { return config_.host; }
  DnsName InstanceName() const;  // instance._dlog._udp.local
  DnsName HostName() const;      // host.local
  // Every record we own, with its full TTL (for tests and `dlog-mdns`).
  std::vector<ResourceRecord> Records() const;

 private:
  struct PendingAnswer {  // a delayed multicast answer (aggregated)
    TimePoint due;
    std::vector<ResourceRecord> answers;
    std::vector<ResourceRecord> additionals;
    IpAddress group;
  };
  Responder(ServiceConfig config, Rng& rng, std::vector<std::string> txt);

  void SendProbe(TimePoint now);
  void SendAnnouncement(TimePoint now);
  void HandleQuery(TimePoint now, const Inbound& in, const DnsMessage& q);
  void HandleResponse(TimePoint now, const DnsMessage& r);
  void HandleLegacyQuery(const Inbound& in, const DnsMessage& q);
  bool ConflictsWithUs(const ResourceRecord& rr) const;
  bool LosesTieBreak(const DnsName& name, const std::vector<ResourceRecord>& theirs) const;
  void Rename(TimePoint now);
  void StartProbing(TimePoint now);
  std::vector<ResourceRecord> AnswersFor(const Question& q) const;
  std::vector<ResourceRecord> AdditionalsFor(const std::vector<ResourceRecord>& answers) const;
  void Emit(const UdpAddress& to, DnsMessage m);
  void EmitMulticast(DnsMessage m);
  void NoteMulticast(TimePoint now, const std::vector<ResourceRecord>& rrs);
  bool RecentlyMulticast(TimePoint now, const ResourceRecord& rr) const;
  int RecordIndex(const ResourceRecord& rr) const;

  ServiceConfig config_;
  std::string base_instance_;
  std::string base_host_;
  Rng* rng_;
  std::vector<std::string> txt_;
  State state_ = State::kIdle;
  int step_ = 0;  // probes or announcements sent in the current phase
  int renames_ = 0;
  std::optional<TimePoint> phase_due_;
  std::vector<PendingAnswer> pending_;                    // at most kMaxPendingAnswers
  std::vector<std::optional<TimePoint>> last_multicast_;  // per Records() index
  std::vector<Datagram> out_;                             // at most kMaxOutgoing
  ResponderStats stats_;
};

inline constexpr size_t kMaxPendingAnswers = 16;
inline constexpr size_t kMaxOutgoing = 64;

}  // namespace dlog::discovery
