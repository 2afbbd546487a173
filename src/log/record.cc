#include "log/record.h"

namespace dlog::log {
namespace {

Status TooLarge(const char* what, size_t size, size_t limit) {
  return Status::Error(std::string(what) + " is " + std::to_string(size) + " bytes; the limit is " +
                       std::to_string(limit));
}

Status ValidateHeader(const RecordHeader& h, size_t index) {
  const std::string where = "header " + std::to_string(index) + " ('" + h.name.substr(0, 32) + "')";
  if (h.name.empty())
    return Status::Error("header " + std::to_string(index) + " has an empty name");
  if (h.name.size() > kMaxHeaderNameBytes) {
    return TooLarge((where + " name").c_str(), h.name.size(), kMaxHeaderNameBytes);
  }
  if (h.value.size() > kMaxHeaderValueBytes) {
    return TooLarge((where + " value").c_str(), h.value.size(), kMaxHeaderValueBytes);
  }
  return Status::Ok();
}

}  // namespace

Status ValidateRecord(const Record& r) {
  if (r.key.size() > kMaxKeyBytes) return TooLarge("key", r.key.size(), kMaxKeyBytes);
  if (r.value.size() > kMaxValueBytes) return TooLarge("value", r.value.size(), kMaxValueBytes);
  if (r.headers.size() > kMaxHeadersPerRecord) {
    return Status::Error("record has " + std::to_string(r.headers.size()) +
                         " headers; the limit is " + std::to_string(kMaxHeadersPerRecord));
  }
  for (size_t i = 0; i < r.headers.size(); ++i) {
    if (Status s = ValidateHeader(r.headers[i], i); !s.ok()) return s;
  }
  if (r.timestamp_ms < 0 && r.timestamp_ms != kNoTimestamp) {
    return Status::Error("timestamp " + std::to_string(r.timestamp_ms) +
                         " is negative (use Unix milliseconds, or leave it unset)");
  }
  return Status::Ok();
}

}  // namespace dlog::log
