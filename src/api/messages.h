// Requests and responses of the client protocol and their body encodings
// (docs/PROTOCOL.md has the diagrams; frame.h the framing). Big endian throughout.
//
//   str16  = u16 length, bytes            bytes32 = u32 length, bytes
//   record = i64 timestamp_ms | bytes32 key | bytes32 value | u16 header_count |
//            header_count × { str16 name | bytes32 value }
//   log    = str16 name ("namespace/name") | u32 partitions | u8 replication_factor |
//            i64 created_unix_ms
//
//   type  request                                     response
//   0x01  CreateLog  str16 log | u32 partitions |      0x81  log
//                    u8 replication_factor (0: default)
//   0x02  DeleteLog  str16 log                         0x82  (empty)
//   0x03  ListLogs   str16 namespace ("" = all)        0x83  u32 n | n × log
//   0x04  Produce    str16 log | u8 selector |         0x84  u32 partition | u64 base_offset |
//                    u32 partition | u8 acks |               u64 last_offset
//                    u32 n | n × record                      (acks=none: no response)
//   0x05  Consume    str16 log | u32 partition |       0x85  u32 partition | u64 high_watermark |
//                    u64 from_offset | u32 max_records |     u64 log_start_offset | u32 n |
//                    u32 max_bytes                           n × { u64 offset | record }
//   0x06  Query      str32 text                        0x86  u64 scanned | u64 not_object |
//                                                            u8 truncated | u32 n |
//                                                            n × str32 row (a JSON object)
//   0x07  Status     (empty)                           0x87  str16 node | str16 address |
//                                                            str16 version | u64 uptime_ms |
//                                                            u32 logs | u32 n | n × member
//         member = str16 name | str16 address | str16 role
//   0xFF  Error (answers any request)  u16 code | str16 message | u32 position |
//                                      str16 leader_name | str16 leader_address
//
// Decoding is strict and canonical: every field in range, booleans 0/1, enums known,
// no byte left over, so encoding a decoded message gives back the same bytes. Fields a
// type does not use are zero or empty on the wire (an Error's position outside
// BadQuery, a key-hash Produce's partition).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "api/error.h"
#include "api/frame.h"
#include "base/bytes.h"
#include "base/result.h"
#include "log/record.h"

namespace dlog::api {

// Bounds of one message (beyond the frame's own bound).
inline constexpr size_t kMaxNameBytes = 255;  // log, namespace, member names
inline constexpr size_t kMaxRecordsPerRequest = 1 << 20;
inline constexpr size_t kMaxQueryBytes = 4096;
inline constexpr size_t kMaxLogsPerList = 1 << 16;
inline constexpr size_t kMaxRowsPerResponse = 1 << 20;
inline constexpr size_t kMaxMembers = 1024;
inline constexpr size_t kMaxMessageBytes = 4096;  // error and status strings

enum class Acks : uint8_t {
  kNone = 0,    // no response; fire and forget
  kLeader = 1,  // answered once the leader stored the records
  kAll = 2,     // answered once a majority of replicas stored them (committed)
};

enum class PartitionSelector : uint8_t {
  kExplicit = 0,  // the request's partition field
  kKeyHash = 1,   // PartitionForKey(key of every record, partitions); partition field 0
};

// The partition a key-hash Produce lands on: FNV-1a (32-bit) of the key, mod
// `partitions` (> 0). Clients and servers agree on it.
uint32_t PartitionForKey(ByteSpan key, uint32_t partitions);

struct LogDescription {
  std::string name;
  uint32_t partitions = 1;
  uint8_t replication_factor = 0;
  int64_t created_unix_ms = 0;
  bool operator==(const LogDescription&) const = default;
};

struct CreateLogRequest {
  std::string log;
  uint32_t partitions = 1;
  uint8_t replication_factor = 0;  // 0: the cluster's default (3 once there are 3 nodes)
  bool operator==(const CreateLogRequest&) const = default;
};
struct DeleteLogRequest {
  std::string log;
  bool operator==(const DeleteLogRequest&) const = default;
};
struct ListLogsRequest {
  std::string ns;  // only logs of this namespace; empty: all
  bool operator==(const ListLogsRequest&) const = default;
};
struct ProduceRequest {
  std::string log;
  PartitionSelector selector = PartitionSelector::kExplicit;
  uint32_t partition = 0;
  Acks acks = Acks::kAll;
  std::vector<log::Record> records;  // offsets are not sent (decoded as 0)
  bool operator==(const ProduceRequest&) const = default;
};
struct ConsumeRequest {
  std::string log;
  uint32_t partition = 0;
  uint64_t from_offset = 0;
  uint32_t max_records = 1000;
  uint32_t max_bytes = 1024 * 1024;  // soft: the first record is returned whatever its size
  bool operator==(const ConsumeRequest&) const = default;
};
struct QueryRequest {
  std::string text;
  bool operator==(const QueryRequest&) const = default;
};
struct StatusRequest {
  bool operator==(const StatusRequest&) const = default;
};

struct CreateLogResponse {
  LogDescription log;
  bool operator==(const CreateLogResponse&) const = default;
};
struct DeleteLogResponse {
  bool operator==(const DeleteLogResponse&) const = default;
};
struct ListLogsResponse {
  std::vector<LogDescription> logs;
  bool operator==(const ListLogsResponse&) const = default;
};
struct ProduceResponse {
  uint32_t partition = 0;
  uint64_t base_offset = 0;
  uint64_t last_offset = 0;
  bool operator==(const ProduceResponse&) const = default;
};
struct ConsumeResponse {
  uint32_t partition = 0;
  uint64_t high_watermark = 0;
  uint64_t log_start_offset = 0;
  std::vector<log::Record> records;  // with offsets
  bool operator==(const ConsumeResponse&) const = default;
};
struct QueryResponse {
  uint64_t scanned = 0;     // records read
  uint64_t not_object = 0;  // of which skipped: value not a JSON object
  bool truncated = false;   // stopped at a scan or size bound before LIMIT / the end
  std::vector<std::string> rows;
  bool operator==(const QueryResponse&) const = default;
};
struct MemberStatus {
  std::string name;
  std::string address;
  std::string role;
  bool operator==(const MemberStatus&) const = default;
};
struct StatusResponse {
  std::string node;
  std::string address;
  std::string version;
  uint64_t uptime_ms = 0;
  uint32_t logs = 0;
  std::vector<MemberStatus> members;
  bool operator==(const StatusResponse&) const = default;
};

// Alternatives in type-code order: Request index i is type i + 1; Response index i is
// type 0x81 + i, and the last alternative (ErrorResponse) is 0xFF.
using Request = std::variant<CreateLogRequest, DeleteLogRequest, ListLogsRequest, ProduceRequest,
                             ConsumeRequest, QueryRequest, StatusRequest>;
using Response =
    std::variant<CreateLogResponse, DeleteLogResponse, ListLogsResponse, ProduceResponse,
                 ConsumeResponse, QueryResponse, StatusResponse, ErrorResponse>;

MessageType TypeOf(const Request& request);
MessageType TypeOf(const Response& response);

// Bodies. Encoding fails when a field exceeds the bounds above (which decoding checks).
Result<Bytes> EncodeBody(const Request& request);
Result<Bytes> EncodeBody(const Response& response);

// Whole frames (frame.h): fails when the body is invalid or the frame too large.
Result<Bytes> EncodeRequestFrame(uint32_t correlation_id, const Request& request,
                                 size_t max_frame_bytes = kDefaultMaxFrameBytes);
Result<Bytes> EncodeResponseFrame(uint32_t correlation_id, const Response& response,
                                  size_t max_frame_bytes = kDefaultMaxFrameBytes);

// A frame whose body does not decode for its type is answered with InvalidRequest; the
// connection stays usable (framing is intact).
Result<Request> DecodeRequest(const Frame& frame);
Result<Response> DecodeResponse(const Frame& frame);

}  // namespace dlog::api
