#include "discovery/seeds.h"

#include <algorithm>
#include <charconv>

#include "discovery/dns_message.h"

namespace dlog::discovery {
namespace {

constexpr const char* kForms =
    "expected ip:port, [ipv6]:port, host:port, dns:name[:port] or srv:_service._udp.domain";

bool ParsePort(std::string_view s, uint16_t& port) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v == 0 || v > 65535) {
    return false;
  }
  port = uint16_t(v);
  return true;
}

bool ValidHostName(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  return DnsName::Parse(name).ok() && std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '.' || c == '_';
         });
}

Status SeedError(std::string_view text, const std::string& why) {
  return Status::Error("seed '" + std::string(text) + "': " + why + " (" + kForms + ")");
}

// "name[:port]" → name, port (default when absent).
Result<std::pair<std::string, uint16_t>> NameAndPort(std::string_view text, std::string_view rest,
                                                     uint16_t default_port, bool port_required) {
  uint16_t port = default_port;
  std::string_view name = rest;
  if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    if (!ParsePort(rest.substr(colon + 1), port)) return SeedError(text, "bad port");
    name = rest.substr(0, colon);
  } else if (port_required) {
    return SeedError(text, "missing port");
  }
  if (!ValidHostName(name)) return SeedError(text, "bad host name");
  return std::make_pair(std::string(name), port);
}

std::vector<IpAddress> Lookup(const DnsLookup& lookup, const std::string& name, uint16_t type,
                              std::string* error) {
  auto response = lookup(name, type);
  if (!response.ok()) {
    *error = response.error();
    return {};
  }
  auto addrs = AddressesFromResponse(*response, name, type);
  if (!addrs.ok()) {
    *error = addrs.error();
    return {};
  }
  return *addrs;
}

// One candidate per address: behind a name (a headless Service) each address is a node.
void AddPerAddress(SeedResolution& out, const Seed& seed, const std::string& host,
                   const std::vector<IpAddress>& addrs, uint16_t port) {
  for (const auto& a : addrs) {
    if (out.candidates.size() >= kMaxSeedCandidates) return;
    out.candidates.push_back(Candidate{CandidateSource::kDns, seed.text, host, {a}, port, {}});
  }
}

void ResolveName(SeedResolution& out, const Seed& seed, const DnsLookup& lookup) {
  std::string e4, e6;
  auto addrs = Lookup(lookup, seed.name, rrtype::kA, &e4);
  auto v6 = Lookup(lookup, seed.name, rrtype::kAaaa, &e6);
  addrs.insert(addrs.end(), v6.begin(), v6.end());
  if (addrs.empty()) {
    out.errors.push_back("seed '" + seed.text + "': no address (" + (e4.empty() ? e6 : e4) + ")");
  }
  AddPerAddress(out, seed, seed.name, addrs, seed.port);
}

void ResolveSrv(SeedResolution& out, const Seed& seed, const DnsLookup& lookup) {
  auto response = lookup(seed.name, rrtype::kSrv);
  if (!response.ok()) {
    out.errors.push_back("seed '" + seed.text + "': " + response.error());
    return;
  }
  auto m = DecodeMessage(*response);
  if (!m.ok()) {
    out.errors.push_back("seed '" + seed.text + "': bad DNS response: " + m.error());
    return;
  }
  size_t targets = 0;
  for (const auto& rr : m->answers) {
    const auto* srv = std::get_if<SrvData>(&rr.data);
    if (!srv || !(rr.name == seed.name_dns) || targets >= kMaxSrvTargets) continue;
    ++targets;
    std::vector<IpAddress> addrs;
    for (const auto& add : m->additionals) {  // RFC 2782: addresses may come along
      const auto* ip = std::get_if<IpAddress>(&add.data);
      if (ip && add.name == srv->target) addrs.push_back(*ip);
    }
    std::string err;
    std::string target = srv->target.ToString();
    if (addrs.empty()) {
      addrs = Lookup(lookup, target, rrtype::kA, &err);
      auto v6 = Lookup(lookup, target, rrtype::kAaaa, &err);
      addrs.insert(addrs.end(), v6.begin(), v6.end());
    }
    std::sort(addrs.begin(), addrs.end());
    addrs.erase(std::unique(addrs.begin(), addrs.end()), addrs.end());
    if (addrs.empty() || out.candidates.size() >= kMaxSeedCandidates) continue;
    out.candidates.push_back(
        Candidate{CandidateSource::kDns, seed.text, target, addrs, srv->port, {}});
  }
  if (targets == 0) out.errors.push_back("seed '" + seed.text + "': no SRV records");
}

}  // namespace

Result<Seed> ParseSeed(std::string_view text, uint16_t default_port) {
  Seed seed;
  seed.text = std::string(text);
  if (text.starts_with("dns:") || text.starts_with("srv:")) {
    bool srv = text.starts_with("srv:");
    std::string_view rest = text.substr(4);
    if (srv) {
      if (!ValidHostName(rest)) return SeedError(text, "bad SRV name");
      seed.kind = Seed::kSrv;
      seed.name = std::string(rest);
    } else {
      auto np = NameAndPort(text, rest, default_port, false);
      if (!np.ok()) return np.status();
      seed.kind = Seed::kDns;
      std::tie(seed.name, seed.port) = *np;
    }
    seed.name_dns = *DnsName::Parse(seed.name);
    return seed;
  }
  if (text.starts_with("[")) {
    auto close = text.find("]:");
    if (close == std::string_view::npos) return SeedError(text, "missing ]:port");
    auto ip = IpAddress::Parse(text.substr(1, close - 1));
    if (!ip || !ip->v6) return SeedError(text, "bad IPv6 address");
    if (!ParsePort(text.substr(close + 2), seed.port)) return SeedError(text, "bad port");
    seed.address = *ip;
    return seed;
  }
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return SeedError(text, "missing port");
  if (auto ip = IpAddress::Parse(text.substr(0, colon)); ip && !ip->v6) {
    if (!ParsePort(text.substr(colon + 1), seed.port)) return SeedError(text, "bad port");
    seed.address = *ip;
    return seed;
  }
  auto np = NameAndPort(text, text, default_port, true);
  if (!np.ok()) return np.status();
  seed.kind = Seed::kHost;
  std::tie(seed.name, seed.port) = *np;
  seed.name_dns = *DnsName::Parse(seed.name);
  return seed;
}

SeedResolution ResolveSeeds(std::span<const Seed> seeds, const DnsLookup& lookup) {
  SeedResolution out;
  for (const auto& seed : seeds) {
    if (out.candidates.size() >= kMaxSeedCandidates) break;
    switch (seed.kind) {
      case Seed::kAddress:
        out.candidates.push_back(
            Candidate{CandidateSource::kStatic, seed.text, "", {seed.address}, seed.port, {}});
        break;
      case Seed::kHost:
      case Seed::kDns:
        ResolveName(out, seed, lookup);
        break;
      case Seed::kSrv:
        ResolveSrv(out, seed, lookup);
        break;
    }
  }
  return out;
}

Result<std::vector<IpAddress>> AddressesFromResponse(ByteSpan response, const std::string& name,
                                                     uint16_t type) {
  auto m = DecodeMessage(response);
  if (!m.ok()) return Status::Error("bad DNS response: " + m.error());
  auto wanted = DnsName::Parse(name);
  if (!wanted.ok()) return wanted.status();
  DnsName current = *wanted;
  for (int hop = 0; hop < 8; ++hop) {  // follow CNAMEs inside the message
    const DnsName* alias = nullptr;
    for (const auto& rr : m->answers) {
      if (rr.type == rrtype::kCname && rr.name == current) alias = std::get_if<DnsName>(&rr.data);
    }
    if (!alias) break;
    current = *alias;
  }
  std::vector<IpAddress> out;
  for (const auto& rr : m->answers) {
    const auto* ip = std::get_if<IpAddress>(&rr.data);
    if (ip && rr.type == type && rr.name == current && out.size() < kMaxSeedCandidates) {
      out.push_back(*ip);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace dlog::discovery
