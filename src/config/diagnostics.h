// Diagnostics: the errors of one LoadConfig, in the order a user reads them, bounded.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "config/value.h"

namespace dlog::config {

// Where one value came from: a file (with positions), a variable or a flag.
struct Source {
  std::string name;        // "dlog.toml", "environment variable DLOG_NETWORK_API_PORT"
  int layer = 0;           // 0 file, 1 environment, 2 flags: the order of messages
  bool positions = false;  // Locations refer to `name`'s lines
};

// "dlog.toml:7:18", or the source's name alone.
std::string Where(const Source& s, Location at);

// Where each key path got its value, for messages about two keys ("" when defaulted).
using Origins = std::map<std::string, std::string>;

class Diagnostics {
 public:
  // "<where>: <path>: <what>" (or "<where>: <what>" without a path).
  void Add(const Source& s, Location at, const std::string& path, const std::string& what);
  // A message already complete with its place, at the end of `layer`.
  void AddRaw(int layer, std::string message);
  bool empty() const { return errors_.empty(); }
  // Sorted by layer, line and column; at most kMaxErrors lines, then "(N more errors)".
  std::string Message() const;

 private:
  struct Entry {
    int layer;
    Location at;
    size_t seq;
    std::string text;
  };
  void Push(int layer, Location order, std::string text);

  static constexpr size_t kMaxKept = 1000;  // beyond this, only counted
  std::vector<Entry> errors_;
  size_t dropped_ = 0;
};

}  // namespace dlog::config
