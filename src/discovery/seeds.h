// Seeds: where to look for peers when multicast does not reach.
//
//   "192.0.2.7:51820", "[2001:db8::7]:51820"   an address (kAddress)
//   "node-a.example:51820"                     a host name, resolved to A/AAAA (kHost)
//   "dns:dlog.ns.svc.cluster.local[:port]"     every A/AAAA record of the name (kDns) —
//                                              a Kubernetes headless Service
//   "srv:_dlog._udp.example"                   SRV records, then A/AAAA of each target
//                                              (kSrv)
//
// Resolution is sans-I/O: ResolveSeeds asks a DnsLookup (name, type) for the raw DNS
// response (net/dns_query.h does it with res_nquery) and parses it with the codec here.
// Thread-safety: free functions, no shared state.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "discovery/candidate.h"
#include "discovery/dns_name.h"
#include "discovery/ip_address.h"

namespace dlog::discovery {

inline constexpr size_t kMaxSeedCandidates = 256;  // per ResolveSeeds call
inline constexpr size_t kMaxSrvTargets = 32;       // per SRV seed

struct Seed {
  enum Kind { kAddress, kHost, kDns, kSrv } kind = kAddress;
  std::string text;   // as given
  std::string name;   // kHost, kDns, kSrv
  DnsName name_dns;   // `name` parsed
  IpAddress address;  // kAddress
  uint16_t port = 0;  // kAddress, kHost, kDns (default_port if not given); kSrv: 0
};

// Fails with a message that names the accepted forms.
Result<Seed> ParseSeed(std::string_view text, uint16_t default_port);

// The raw response to a query for (name, type), or an error (timeout, NXDOMAIN ...).
using DnsLookup = std::function<Result<Bytes>(const std::string& name, uint16_t type)>;

struct SeedResolution {
  std::vector<Candidate> candidates;  // one per (seed, address set); bounded
  std::vector<std::string> errors;    // one line per seed that yielded nothing
};

// kAddress needs no lookup. kHost and kDns: A and AAAA of the name, one Candidate per
// address (a headless Service's pods are separate nodes). kSrv: one Candidate per SRV
// target with the SRV port and the target's addresses (from the additional section if
// present, else asked for).
SeedResolution ResolveSeeds(std::span<const Seed> seeds, const DnsLookup& lookup);

// The addresses of `type` (A or AAAA) answering `name` in a DNS response, following
// CNAMEs within the message (at most 8). For tests and ResolveSeeds.
Result<std::vector<IpAddress>> AddressesFromResponse(ByteSpan response, const std::string& name,
                                                     uint16_t type);

}  // namespace dlog::discovery
