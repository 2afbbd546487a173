#include "config/units.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace dlog::config {
namespace {

using std::chrono::milliseconds;

struct Unit {
  std::string_view name;
  int64_t ms;
};
constexpr std::array<Unit, 5> kDurationUnits{{// largest first
                                              {"d", 86'400'000},
                                              {"h", 3'600'000},
                                              {"m", 60'000},
                                              {"s", 1'000},
                                              {"ms", 1}}};
constexpr int64_t kMaxDurationMs = int64_t(100) * 365 * 86'400'000;  // far below overflow

constexpr uint64_t kMaxRate = 1'000'000'000'000;  // 1 Tbit/s: parse bound, not a policy

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

char Lower(char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }

// Reads leading digits of `s` into `n` (≤ 10^15), advancing `s`.
bool ReadDigits(std::string_view& s, uint64_t& n, size_t& count) {
  n = 0;
  count = 0;
  while (!s.empty() && IsDigit(s.front())) {
    if (n > 100'000'000'000'000) return false;
    n = n * 10 + uint64_t(s.front() - '0');
    s.remove_prefix(1);
    ++count;
  }
  return count > 0;
}

// The index in kDurationUnits of the unit at the front of `s` ("ms" before "m").
std::optional<size_t> ReadDurationUnit(std::string_view& s) {
  std::optional<size_t> best;
  for (size_t i = 0; i < kDurationUnits.size(); ++i)
    if (s.starts_with(kDurationUnits[i].name) &&
        (!best || kDurationUnits[i].name.size() > kDurationUnits[*best].name.size()))
      best = i;
  if (best) s.remove_prefix(kDurationUnits[*best].name.size());
  return best;
}

}  // namespace

std::optional<Duration> ParseDuration(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int64_t total = 0;
  std::optional<size_t> last;  // index of the previous unit
  while (!s.empty()) {
    uint64_t n = 0;
    size_t digits = 0;
    if (!ReadDigits(s, n, digits)) return std::nullopt;
    std::optional<size_t> index = ReadDurationUnit(s);
    if (!index || (last && *index <= *last)) return std::nullopt;
    last = index;
    const int64_t unit = kDurationUnits[*index].ms;
    if (n > uint64_t(kMaxDurationMs / unit)) return std::nullopt;
    total += int64_t(n) * unit;
    if (total > kMaxDurationMs) return std::nullopt;
  }
  return milliseconds(total);
}

std::string FormatDuration(Duration d) {
  int64_t ms = std::chrono::duration_cast<milliseconds>(d).count();
  if (ms == 0) return "0s";
  std::string out;
  for (const Unit& u : kDurationUnits) {
    if (ms >= u.ms) out += std::to_string(ms / u.ms) + std::string(u.name);
    ms %= u.ms;
  }
  return out;
}

std::optional<uint64_t> ParseRate(std::string_view s) {
  uint64_t whole = 0, frac = 0;
  size_t whole_digits = 0, frac_digits = 0;
  if (!ReadDigits(s, whole, whole_digits)) return std::nullopt;
  if (!s.empty() && s.front() == '.') {
    s.remove_prefix(1);
    if (!ReadDigits(s, frac, frac_digits) || frac_digits > 9) return std::nullopt;
  }
  std::string unit;
  for (char c : s) unit += Lower(c);
  static constexpr std::array<std::pair<std::string_view, uint64_t>, 7> kUnits{{
      {"bit", 1},
      {"kbit", 1'000},
      {"mbit", 1'000'000},
      {"gbit", 1'000'000'000},
      {"kb", 8'000},
      {"mb", 8'000'000},
      {"gb", 8'000'000'000},
  }};
  uint64_t scale = 0;
  for (const auto& [name, bits] : kUnits)
    if (unit == name) scale = bits;
  if (scale == 0) return std::nullopt;
  // whole.frac × scale, exactly: (whole × 10^d + frac) × scale / 10^d.
  unsigned __int128 pow10 = 1;
  for (size_t i = 0; i < frac_digits; ++i) pow10 *= 10;
  const unsigned __int128 scaled = (whole * pow10 + frac) * scale;
  if (scaled % pow10 != 0 || scaled / pow10 > kMaxRate) return std::nullopt;
  return uint64_t(scaled / pow10);
}

std::string FormatRate(uint64_t bps) {
  for (auto [name, unit] :
       {std::pair{"gbit", uint64_t(1'000'000'000)}, std::pair{"mbit", uint64_t(1'000'000)},
        std::pair{"kbit", uint64_t(1'000)}})
    if (bps != 0 && bps % unit == 0) return std::to_string(bps / unit) + name;
  return std::to_string(bps) + "bit";
}

std::optional<bool> ParseBoolText(std::string_view s) {
  std::string l;
  for (char c : s) l += Lower(c);
  if (l == "true" || l == "1" || l == "yes") return true;
  if (l == "false" || l == "0" || l == "no") return false;
  return std::nullopt;
}

std::optional<int64_t> ParseIntText(std::string_view s) {
  if (s.starts_with('+')) s.remove_prefix(1);
  if (s.empty() || s.starts_with('+')) return std::nullopt;
  int64_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return n;
}

std::optional<double> ParseFloatText(std::string_view s) {
  if (s.empty() || s.size() > 64) return std::nullopt;
  for (char c : s)
    if (!IsDigit(c) && c != '.' && c != '-' && c != '+' && c != 'e' && c != 'E')
      return std::nullopt;
  const std::string copy(s);
  char* end = nullptr;
  const double d = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

}  // namespace dlog::config
