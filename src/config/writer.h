// Writing a Config as dlog.toml: every key, in schema order, in canonical form, so that
// LoadConfigText(ToToml(c)) == c.
#pragma once

#include <string>

#include "config/config.h"

namespace dlog::config {

// `redact_secrets`: cluster.join_token written as "<redacted>" (for showing a
// configuration; the result then no longer loads as the same Config).
std::string ToToml(const Config& c, bool redact_secrets = false);

}  // namespace dlog::config
