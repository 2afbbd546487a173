#include "api/error.h"

namespace dlog::api {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kUnknownLog:
      return "UnknownLog";
    case ErrorCode::kBadQuery:
      return "BadQuery";
    case ErrorCode::kNotLeader:
      return "NotLeader";
    case ErrorCode::kUnauthorized:
      return "Unauthorized";
    case ErrorCode::kTooLarge:
      return "TooLarge";
    case ErrorCode::kInternal:
      return "Internal";
    case ErrorCode::kInvalidRequest:
      return "InvalidRequest";
    case ErrorCode::kLogExists:
      return "LogExists";
    case ErrorCode::kOffsetOutOfRange:
      return "OffsetOutOfRange";
  }
  return "Unknown";
}

ErrorResponse MakeError(ErrorCode code, std::string message) {
  ErrorResponse e;
  e.code = code;
  e.message = std::move(message);
  return e;
}

}  // namespace dlog::api
