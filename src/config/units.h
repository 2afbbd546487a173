// The text forms of durations, rates and booleans in dlog.toml, the environment and flags.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"

namespace dlog::config {

// "2m", "90s", "1h30m", "500ms", "1d": one or more <integer><unit> with units d, h, m, s,
// ms, largest first, each at most once. No bare numbers (seconds? milliseconds?).
std::optional<Duration> ParseDuration(std::string_view s);
// The shortest such form of a whole number of milliseconds: "2m", "1h30m", "1s500ms".
std::string FormatDuration(Duration d);

// Bits per second, as tc(8) writes rates: "10mbit", "512kbit", "1.5gbit", "800bit"
// (SI prefixes, k = 1000), or bytes per second: "125kb", "10mb", "1gb" (×8). Units are
// case-insensitive. "mbps" and the like are refused: tc reads bytes there, most people bits.
std::optional<uint64_t> ParseRate(std::string_view s);
// The exact form with the largest bit unit: "10mbit", "1500kbit", "800bit".
std::string FormatRate(uint64_t bits_per_second);

// true/false/1/0/yes/no, any case (environment variables and flags).
std::optional<bool> ParseBoolText(std::string_view s);
// An optional sign and decimal digits (environment variables and flags).
std::optional<int64_t> ParseIntText(std::string_view s);
// A finite decimal like "0.2", "1", "1e-3" (environment variables and flags).
std::optional<double> ParseFloatText(std::string_view s);

}  // namespace dlog::config
