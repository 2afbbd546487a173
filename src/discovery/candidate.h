// Candidate: "a node with this key may be reachable at these addresses". A hint from
// mDNS, DNS or a static seed; never a proof of anything (docs/DISCOVERY.md, Trust).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "discovery/ip_address.h"
#include "discovery/txt.h"

namespace dlog::discovery {

enum class CandidateSource { kMdns, kDns, kStatic };

struct Candidate {
  CandidateSource source = CandidateSource::kMdns;
  std::string instance;              // mDNS: the instance label; seeds: the seed text
  std::string host;                  // mDNS: SRV target ("node-a.local"); seeds: the DNS name or ""
  std::vector<IpAddress> addresses;  // sorted, no duplicates
  uint16_t port = 0;                 // the WireGuard UDP port
  TxtMap txt;                        // mDNS only; keys lower-cased
  friend bool operator==(const Candidate&, const Candidate&) = default;
};

const char* SourceName(CandidateSource s);  // "mdns", "dns", "static"

}  // namespace dlog::discovery
