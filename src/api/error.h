// Errors the data service returns to clients (docs/PROTOCOL.md, "Errors"): a code a
// program can branch on, a message a person can act on, and the details some codes
// carry (the column of a bad query, the member that leads the partition).
#pragma once

#include <cstdint>
#include <string>

namespace dlog::api {

enum class ErrorCode : uint16_t {
  kUnknownLog = 1,        // no log of that name: ListLogs, or CreateLog it
  kBadQuery = 2,          // query text rejected; `position` is the 1-based column
  kNotLeader = 3,         // retry on `leader_name` at `leader_address` (empty: unknown yet)
  kUnauthorized = 4,      // this client's key or role may not do this
  kTooLarge = 5,          // request or record over a limit; send less per request
  kInternal = 6,          // server-side failure; retry later, report if it persists
  kInvalidRequest = 7,    // a field is out of range (bad name, partition, count)
  kLogExists = 8,         // CreateLog of a name already taken
  kOffsetOutOfRange = 9,  // Consume below the log start or past the end offset
};

inline constexpr uint16_t kMaxErrorCode = 9;

const char* ErrorCodeName(ErrorCode code);

struct ErrorResponse {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  uint32_t position = 0;       // kBadQuery only: 1-based column, 0 otherwise
  std::string leader_name;     // kNotLeader only
  std::string leader_address;  // kNotLeader only: "host:port" on the overlay
  bool operator==(const ErrorResponse&) const = default;
};

ErrorResponse MakeError(ErrorCode code, std::string message);

}  // namespace dlog::api
