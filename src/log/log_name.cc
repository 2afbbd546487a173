#include "log/log_name.h"

namespace dlog::log {
namespace {

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool IsAllowed(char c) { return IsAlnum(c) || c == '.' || c == '_' || c == '-'; }

std::string Printable(char c) {
  if (c >= 0x20 && c <= 0x7E) return std::string("'") + c + "'";
  static const char kHex[] = "0123456789abcdef";
  const auto u = static_cast<unsigned char>(c);
  return std::string("byte 0x") + kHex[u >> 4] + kHex[u & 15];
}

Status ValidatePart(std::string_view what, std::string_view part, size_t max_length) {
  const std::string quoted = std::string(what) + " '" + std::string(part) + "'";
  if (part.empty()) return Status::Error(std::string(what) + " is empty");
  if (part.size() > max_length) {
    return Status::Error(std::string(what) + " is " + std::to_string(part.size()) +
                         " characters long; the limit is " + std::to_string(max_length));
  }
  for (size_t i = 0; i < part.size(); ++i) {
    if (!IsAllowed(part[i])) {
      return Status::Error(quoted + " has " + Printable(part[i]) + " at position " +
                           std::to_string(i) + "; allowed are A-Z a-z 0-9 . _ -");
    }
  }
  if (!IsAlnum(part[0])) return Status::Error(quoted + " must start with a letter or digit");
  return Status::Ok();
}

}  // namespace

Result<LogName> LogName::Make(std::string_view ns, std::string_view name) {
  if (Status s = ValidatePart("namespace", ns, kMaxNamespaceLength); !s.ok()) return s;
  if (Status s = ValidatePart("log name", name, kMaxLogNameLength); !s.ok()) return s;
  return LogName(std::string(ns), std::string(name));
}

Result<LogName> LogName::Parse(std::string_view full) {
  const size_t slash = full.find('/');
  if (slash == std::string_view::npos) {
    return Status::Error("log name '" + std::string(full) +
                         "' must have the form namespace/name (no '/' found)");
  }
  if (full.find('/', slash + 1) != std::string_view::npos) {
    return Status::Error("log name '" + std::string(full) +
                         "' must have the form namespace/name (more than one '/')");
  }
  return Make(full.substr(0, slash), full.substr(slash + 1));
}

Status ValidatePartitionCount(uint32_t count) {
  if (count >= 1 && count <= kMaxPartitions) return Status::Ok();
  return Status::Error("partition count " + std::to_string(count) + " is out of range 1.." +
                       std::to_string(kMaxPartitions));
}

}  // namespace dlog::log
