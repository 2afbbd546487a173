// LogName: a log's `namespace/name`, validated once so that the rest of the code can
// use both parts as directory names (docs/STORAGE.md, "Directory layout").
//
// Rules: each part is 1..kMax*Length characters from [A-Za-z0-9._-] and starts with a
// letter or digit (so no hidden files, no `.` or `..`); exactly one '/' separates them.
// Names are case-sensitive.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace dlog::log {

inline constexpr size_t kMaxNamespaceLength = 64;
inline constexpr size_t kMaxLogNameLength = 128;
inline constexpr uint32_t kMaxPartitions = 1024;

class LogName {
 public:
  // Parses "namespace/name".
  static Result<LogName> Parse(std::string_view full);
  static Result<LogName> Make(std::string_view ns, std::string_view name);

  const std::string& ns() const { return ns_; }
  const std::string& name() const { return name_; }
  std::string ToString() const { return ns_ + "/" + name_; }

  auto operator<=>(const LogName&) const = default;

 private:
  LogName(std::string ns, std::string name) : ns_(std::move(ns)), name_(std::move(name)) {}
  std::string ns_;
  std::string name_;
};

// OK when 1 <= count <= kMaxPartitions.
Status ValidatePartitionCount(uint32_t count);

}  // namespace dlog::log
