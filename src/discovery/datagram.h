// Datagram: what a sans-I/O mDNS core asks its driver to send.
#pragma once

#include "base/bytes.h"
#include "discovery/ip_address.h"

namespace dlog::discovery {

struct Datagram {
  // 224.0.0.251:5353 / [ff02::fb]:5353 for multicast; otherwise a unicast destination.
  UdpAddress to;
  Bytes payload;
};

// A datagram the driver received: its source, and whether it came to the mDNS port
// (5353) of a multicast group (false: unicast to our port).
struct Inbound {
  UdpAddress from;
  bool multicast = true;
  uint32_t ifindex = 0;  // the interface it arrived on (0: unknown); scopes link-local data
};

}  // namespace dlog::discovery
