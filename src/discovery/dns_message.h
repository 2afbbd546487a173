// DNS messages (RFC 1035 §4) with the mDNS extensions of RFC 6762 §18: the top bit of
// a question's class is the unicast-response ("QU") bit, the top bit of a record's
// class is the cache-flush bit.
//
//   header (12 bytes, big endian):
//   +------+-------+---------+---------+---------+---------+
//   |  ID  | flags | QDCOUNT | ANCOUNT | NSCOUNT | ARCOUNT |
//   +------+-------+---------+---------+---------+---------+
//   question: name, type (16), class (16: QU bit | class)
//   record:   name, type (16), class (16: cache-flush bit | class), TTL (32),
//             RDLENGTH (16), RDATA
//
// Decoding is strict: every length is checked against the buffer, compression
// pointers must point strictly backwards (so they cannot loop) and at most
// kMaxPointerJumps are followed per name, names are at most 255 bytes, RDATA of known
// types must fill RDLENGTH exactly. Anything else is an error value.
// Encoding compresses owner names and the names in PTR/SRV data (RFC 6762 §18.14);
// NSEC's next-domain name is written whole (RFC 4034 §4.1.1).
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "discovery/dns_name.h"
#include "discovery/ip_address.h"

namespace dlog::discovery {

inline constexpr size_t kDnsHeaderBytes = 12;
inline constexpr size_t kMaxPointerJumps = 64;
inline constexpr size_t kMaxRecordsPerMessage = 512;  // questions + records, decoding

namespace rrtype {
inline constexpr uint16_t kA = 1;
inline constexpr uint16_t kCname = 5;
inline constexpr uint16_t kPtr = 12;
inline constexpr uint16_t kTxt = 16;
inline constexpr uint16_t kAaaa = 28;
inline constexpr uint16_t kSrv = 33;
inline constexpr uint16_t kNsec = 47;
inline constexpr uint16_t kAny = 255;
}  // namespace rrtype

inline constexpr uint16_t kClassIn = 1;
inline constexpr uint16_t kClassAny = 255;
inline constexpr uint16_t kTopBit = 0x8000;  // QU (questions) / cache-flush (records)

namespace dnsflag {
inline constexpr uint16_t kResponse = 0x8000;       // QR
inline constexpr uint16_t kAuthoritative = 0x0400;  // AA
inline constexpr uint16_t kTruncated = 0x0200;      // TC
inline constexpr uint16_t kOpcodeMask = 0x7800;
inline constexpr uint16_t kRcodeMask = 0x000f;
}  // namespace dnsflag

struct SrvData {
  uint16_t priority = 0;
  uint16_t weight = 0;
  uint16_t port = 0;
  DnsName target;
  friend bool operator==(const SrvData&, const SrvData&) = default;
};

// TXT: the character-strings as they are (each <= 255 bytes).
struct TxtData {
  std::vector<std::string> strings;
  friend bool operator==(const TxtData&, const TxtData&) = default;
};

// NSEC as mDNS uses it (RFC 6762 §6.1): the types that exist for a name.
struct NsecData {
  DnsName next;
  std::vector<uint16_t> types;  // ascending, no duplicates
  friend bool operator==(const NsecData&, const NsecData&) = default;
};

// Data of a type this codec does not interpret, kept byte for byte.
struct RawData {
  Bytes bytes;
  friend bool operator==(const RawData&, const RawData&) = default;
};

// A and AAAA hold an IpAddress (v6 false / true); PTR holds a DnsName.
using RData = std::variant<RawData, IpAddress, DnsName, SrvData, TxtData, NsecData>;

struct Question {
  DnsName name;
  uint16_t type = 0;
  uint16_t qclass = kClassIn;     // without the QU bit
  bool unicast_response = false;  // QU
};

struct ResourceRecord {
  DnsName name;
  uint16_t type = 0;
  uint16_t rrclass = kClassIn;  // without the cache-flush bit
  bool cache_flush = false;
  uint32_t ttl = 0;
  RData data;

  // Same name, type, class and data (TTL and cache-flush ignored; RFC 6762 §7.1).
  bool SameRecord(const ResourceRecord& other) const;
};

struct DnsMessage {
  uint16_t id = 0;
  uint16_t flags = 0;
  std::vector<Question> questions;
  std::vector<ResourceRecord> answers;
  std::vector<ResourceRecord> authorities;
  std::vector<ResourceRecord> additionals;

  bool is_response() const { return flags & dnsflag::kResponse; }
  uint16_t opcode() const { return (flags & dnsflag::kOpcodeMask) >> 11; }
  uint16_t rcode() const { return flags & dnsflag::kRcodeMask; }
};

Result<DnsMessage> DecodeMessage(ByteSpan wire);
// Fails if a name is invalid (label > 63 bytes, name > 255), a TXT string exceeds 255
// bytes, an A/AAAA record holds the wrong family, or the result exceeds 65535 bytes.
Result<Bytes> EncodeMessage(const DnsMessage& message);

// Record constructors (class IN).
ResourceRecord MakePtr(DnsName name, DnsName target, uint32_t ttl);
ResourceRecord MakeSrv(DnsName name, uint16_t port, DnsName target, uint32_t ttl);
ResourceRecord MakeTxt(DnsName name, std::vector<std::string> strings, uint32_t ttl);
ResourceRecord MakeAddress(DnsName name, IpAddress address, uint32_t ttl);  // A or AAAA
ResourceRecord MakeNsec(DnsName name, std::vector<uint16_t> types, uint32_t ttl);

std::string TypeName(uint16_t type);  // "PTR", "TYPE99"

}  // namespace dlog::discovery
