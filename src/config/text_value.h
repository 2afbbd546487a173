// Reading a key's value from the text of an environment variable or a flag, by the key's
// kind: `51821`, `yes`, `2m`, `0,128` or `[0, 128]`, `a:1,b:2` or `["a:1", "b:2"]`, and
// TOML syntax (arrays, inline tables, "quoted strings") wherever it is unambiguous.
#pragma once

#include <string_view>

#include "base/result.h"
#include "config/schema.h"
#include "config/value.h"

namespace dlog::config {

// The value for a key of `kind`. Text that does not read as the kind becomes a string, so
// the key's check reports it with the expected form; only TOML syntax errors fail here.
Result<Value> ValueFromText(Kind kind, std::string_view text);

}  // namespace dlog::config
