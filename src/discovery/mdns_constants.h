// Protocol constants of mDNS (RFC 6762) and DNS-SD (RFC 6763) as DLog uses them.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "discovery/ip_address.h"

namespace dlog::discovery {

inline constexpr uint16_t kMdnsPort = 5353;
inline const IpAddress kMdnsGroupV4 = IpAddress::V4(224, 0, 0, 251);
// ff02::fb
inline const IpAddress kMdnsGroupV6{
    .v6 = true, .bytes = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfb}};

inline constexpr const char* kServiceType = "_dlog._udp";                   // RFC 6763 §7
inline constexpr const char* kServicesMetaType = "_services._dns-sd._udp";  // RFC 6763 §9

// RFC 6762 §10: host records (A/AAAA, and SRV which names the host) 120 s, others 4500 s.
inline constexpr uint32_t kHostRecordTtl = 120;
inline constexpr uint32_t kOtherRecordTtl = 4500;

// RFC 6762 §8.1: three probes 250 ms apart, first after a random 0-250 ms delay.
inline constexpr int kProbeCount = 3;
inline constexpr std::chrono::milliseconds kProbeInterval{250};
// RFC 6762 §8.3: at least two announcements one second apart (doubling after that).
inline constexpr int kAnnounceCount = 3;
inline constexpr std::chrono::seconds kAnnounceInterval{1};
// RFC 6762 §6: responses to multicast (shared) queries are delayed 20-120 ms.
inline constexpr std::chrono::milliseconds kResponseDelayMin{20};
inline constexpr std::chrono::milliseconds kResponseDelayMax{120};
// RFC 6762 §6: a record is not multicast again within one second of its last multicast.
inline constexpr std::chrono::seconds kMulticastRateLimit{1};

// Browser query schedule (RFC 6762 §5.2): 1 s, doubling, capped at 60 s.
inline constexpr std::chrono::seconds kQueryFirstInterval{1};
inline constexpr std::chrono::seconds kQueryMaxInterval{60};

// Message sizes. RFC 6762 §17: up to 9000 bytes may be received; we send at most
// kMaxSendBytes (fits one Ethernet MTU with IPv6 + UDP headers).
inline constexpr size_t kMaxMessageBytes = 9000;
inline constexpr size_t kMaxSendBytes = 1440;

}  // namespace dlog::discovery
