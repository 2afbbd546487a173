// DnsQuery: one DNS question to the system's resolvers (resolv.conf, or the given
// server), answered as the raw response message. Parsing is discovery's job
// (discovery/seeds.h), so it stays sans-I/O and testable. Uses res_nquery with a
// per-call state: `timeout` per try, `attempts` tries.
// Thread-safety: each call has its own resolver state; safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "wg/endpoint.h"

namespace dlog::net {

struct DnsQueryOptions {
  std::chrono::seconds timeout{2};     // per try (res_state.retrans)
  int attempts = 2;                    // res_state.retry
  std::optional<wg::Endpoint> server;  // IPv4 server instead of resolv.conf's
};

// type: 1 (A), 28 (AAAA), 33 (SRV) ... Fails on timeout, NXDOMAIN, SERVFAIL and the like.
Result<Bytes> DnsQuery(const std::string& name, uint16_t type, const DnsQueryOptions& options);

}  // namespace dlog::net
