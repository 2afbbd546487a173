// Reading TOML 1.0 (Debian's toml++, header-only and confined to toml_reader.cc) into
// config::Value trees.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "config/value.h"

namespace dlog::config {

// Larger documents are refused before parsing.
inline constexpr size_t kMaxTomlBytes = 1 << 20;
// Parses a whole document. Errors read "<source>:<line>:<column>: <what>", and name the
// key path where one can be told (a key or table defined twice).
Result<Value> ParseTomlDocument(std::string_view text, const std::string& source);

// Parses one TOML value written on its own ("[1, 2]", "{ region = \"eu\" }", "\"x\"").
// Errors read "<what> at column <n>".
Result<Value> ParseTomlValue(std::string_view text);

}  // namespace dlog::config
