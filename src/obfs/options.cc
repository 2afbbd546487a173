#include "obfs/options.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>
#include <tuple>

#include "pq/daemon_config.h"  // ParseDuration

namespace dlog::obfs {
namespace {

constexpr char kSectionWireguard[] = "[network.wireguard]";
constexpr char kSectionEvasion[] = "[network.wireguard.dpi_evasion]";

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) --e;
  return std::string(s.substr(b, e - b));
}

std::string Unquote(const std::string& s) {
  if (s.size() >= 2 &&
      ((s.front() == '"' && s.back() == '"') || (s.front() == '\'' && s.back() == '\'')))
    return s.substr(1, s.size() - 2);
  return s;
}

std::string Lower(std::string s) {
  for (char& c : s) c = char(std::tolower(uint8_t(c)));
  return s;
}

Status Bad(const std::string& where, const std::string& key, const std::string& expected) {
  return Status::Error(where + ": " + key + ": expected " + expected);
}

std::optional<bool> ParseBool(const std::string& v) {
  if (v == "true") return true;
  if (v == "false") return false;
  return std::nullopt;
}

template <typename T>
std::optional<T> ParseUnsigned(std::string_view s, T max) {
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || p != s.data() + s.size() || n > uint64_t(max)) return std::nullopt;
  return T(n);
}

// "[a, b]" → its comma-separated items, trimmed and unquoted.
std::optional<std::vector<std::string>> ParseArray(const std::string& v) {
  if (v.size() < 2 || v.front() != '[' || v.back() != ']') return std::nullopt;
  std::vector<std::string> items;
  const std::string body = Trim(std::string_view(v).substr(1, v.size() - 2));
  if (body.empty()) return items;
  std::istringstream in(body);
  for (std::string item; std::getline(in, item, ',');) {
    std::string t = Unquote(Trim(item));
    if (t.empty()) return std::nullopt;
    items.push_back(t);
  }
  return items;
}

template <typename T>
std::optional<std::pair<T, T>> ParseRange(const std::string& v, T max) {
  auto items = ParseArray(v);
  if (!items || items->size() != 2) return std::nullopt;
  auto a = ParseUnsigned<T>((*items)[0], max), b = ParseUnsigned<T>((*items)[1], max);
  if (!a || !b || *a > *b) return std::nullopt;
  return std::pair{*a, *b};
}

std::optional<double> ParseDecimal(const std::string& v) {
  if (v.empty() || v.size() > 32) return std::nullopt;
  char* end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  if (end != v.c_str() + v.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

std::optional<Duration> ParsePositiveDuration(const std::string& v) { return pq::ParseDuration(v); }

// Keys of [network.wireguard] that belong to other layers.
bool IsOtherWireguardKey(const std::string& key) {
  return key == "listen_port" || key == "quantum_resistant" || key == "pq_algorithm" ||
         key == "rekey_interval";
}

}  // namespace

std::optional<uint64_t> ParseRate(std::string_view text) {
  std::string s = Lower(Trim(text));
  if (s.ends_with("/s")) s.resize(s.size() - 2);
  if (s.ends_with("bps") || s.ends_with("bit")) s.resize(s.size() - 3);
  uint64_t scale = 1;
  if (!s.empty() && (s.back() == 'k' || s.back() == 'm' || s.back() == 'g')) {
    scale = s.back() == 'k' ? 1'000 : s.back() == 'm' ? 1'000'000 : 1'000'000'000;
    s.pop_back();
  }
  auto d = ParseDecimal(s);
  if (!d || *d <= 0 || *d * double(scale) > 1e12) return std::nullopt;
  const uint64_t bps = uint64_t(std::llround(*d * double(scale)));
  if (bps == 0) return std::nullopt;
  return bps;
}

std::optional<StockPeer> ParseStockPeer(std::string_view text) {
  std::string s = Trim(text);
  StockPeer p;
  std::string addr = s;
  if (!s.empty() && s.front() == '[') {  // [v6]:port
    const size_t close = s.find(']');
    if (close == std::string::npos || close + 1 >= s.size() || s[close + 1] != ':')
      return std::nullopt;
    auto port = ParseUnsigned<uint16_t>(std::string_view(s).substr(close + 2), 65535);
    if (!port || *port == 0) return std::nullopt;
    p.port = *port;
    addr = s.substr(1, close - 1);
  } else if (std::count(s.begin(), s.end(), ':') == 1) {  // v4:port
    const size_t colon = s.find(':');
    auto port = ParseUnsigned<uint16_t>(std::string_view(s).substr(colon + 1), 65535);
    if (!port || *port == 0) return std::nullopt;
    p.port = *port;
    addr = s.substr(0, colon);
  }
  if (addr.find('/') == std::string::npos)
    addr += addr.find(':') == std::string::npos ? "/32" : "/128";
  auto prefix = wg::IpPrefix::Parse(addr);
  if (!prefix) return std::nullopt;
  p.prefix = *prefix;
  return p;
}

Status SetOption(Options& o, const std::string& key, const std::string& raw,
                 const std::string& where) {
  const std::string v = Unquote(raw);
  auto set_bool = [&](bool& field) {
    auto b = ParseBool(v);
    if (!b) return Bad(where, key, "true or false");
    field = *b;
    return Status::Ok();
  };
  if (key == "dpi_resistance") return set_bool(o.dpi_resistance);
  if (key == "random_padding") return set_bool(o.random_padding);
  if (key == "traffic_shaping") return set_bool(o.traffic_shaping);
  if (key == "port_hopping") return set_bool(o.port_hopping);
  if (key == "decoy_traffic") return set_bool(o.decoy_traffic);
  if (key == "stock_roaming") return set_bool(o.stock_roaming);
  if (key == "padding_range") {
    auto r = ParseRange<uint32_t>(v, kMaxInner);
    if (!r) return Bad(where, key, "[min, max] in bytes, min ≤ max ≤ 65535, like [0, 256]");
    std::tie(o.padding_min, o.padding_max) = *r;
  } else if (key == "target_rate") {
    auto r = ParseRate(v);
    if (!r) return Bad(where, key, "a positive rate like \"10mbit\", \"512kbit\" or \"1gbit\"");
    o.target_rate_bps = *r;
  } else if (key == "port_range") {
    auto r = ParseRange<uint16_t>(v, 65535);
    if (!r || r->first == 0)
      return Bad(where, key, "[first, last] UDP ports, 1 ≤ first ≤ last, like [10000, 60000]");
    std::tie(o.port_min, o.port_max) = *r;
  } else if (key == "hop_interval") {
    auto d = ParsePositiveDuration(v);
    if (!d || *d < std::chrono::seconds(1))
      return Bad(where, key, "a duration of at least 1 s, like \"5m\" or \"30s\"");
    o.hop_interval = *d;
  } else if (key == "decoy_ratio") {
    auto d = ParseDecimal(v);
    if (!d || *d < 0 || *d > kMaxDecoyRatio)
      return Bad(where, key, "a decoy count per real datagram between 0 and 10, like 0.2");
    o.decoy_ratio = *d;
  } else if (key == "max_datagram") {
    auto n = ParseUnsigned<size_t>(v, 65507);
    if (!n || *n < 576) return Bad(where, key, "a UDP payload size between 576 and 65507");
    o.max_datagram = *n;
  } else if (key == "stock_peers") {
    auto items = ParseArray(v);
    if (!items) return Bad(where, key, "an array of addresses, like [\"192.0.2.0/24\"]");
    o.stock_peers.clear();
    for (const std::string& item : *items) {
      auto p = ParseStockPeer(item);
      if (!p)
        return Bad(where, key,
                   "addresses like \"192.0.2.0/24\", \"192.0.2.7:51820\" or "
                   "\"[2001:db8::7]:51820\" (got \"" +
                       item + "\")");
      o.stock_peers.push_back(*p);
    }
  } else if (key == "shaping_idle" || key == "decoy_max_delay") {
    auto d = ParsePositiveDuration(v);
    if (!d) return Bad(where, key, "a duration like \"2m\" or \"20ms\"");
    (key == "shaping_idle" ? o.shaping_idle : o.decoy_max_delay) = *d;
  } else {
    return Status::Error(where + ": unknown key '" + key +
                         "' (expected random_padding, padding_range, traffic_shaping, "
                         "target_rate, port_hopping, port_range, hop_interval, "
                         "decoy_traffic, decoy_ratio, max_datagram, stock_peers, "
                         "stock_roaming, shaping_idle or decoy_max_delay)");
  }
  return Status::Ok();
}

Result<Options> ParseOptions(std::string_view text, const std::string& source, Options o) {
  std::string normalised(text);
  for (char& c : normalised)
    if (c == ';') c = '\n';
  std::istringstream in(normalised);
  enum class Section { kEvasion, kWireguard, kOther } section = Section::kEvasion;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    const std::string where = source + ":" + std::to_string(n);
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    const std::string t = Trim(line);
    if (t.empty()) continue;
    if (t.front() == '[') {
      section = t == kSectionEvasion     ? Section::kEvasion
                : t == kSectionWireguard ? Section::kWireguard
                                         : Section::kOther;
      continue;
    }
    if (section == Section::kOther) continue;
    const size_t eq = t.find('=');
    if (eq == std::string::npos) return Status::Error(where + ": expected key = value");
    const std::string key = Trim(t.substr(0, eq)), value = Trim(t.substr(eq + 1));
    if (section == Section::kWireguard && key != "dpi_resistance") {
      if (IsOtherWireguardKey(key)) continue;
      return Status::Error(where + ": unknown key '" + key + "' in [network.wireguard]");
    }
    if (Status s = SetOption(o, key, value, where); !s.ok()) return s;
  }
  if (Status s = ValidateOptions(o); !s.ok()) return Status::Error(source + ": " + s.message());
  return o;
}

Status ValidateOptions(const Options& o) {
  if (o.padding_min > o.padding_max) return Status::Error("padding_range: min > max");
  if (o.port_min == 0 || o.port_min > o.port_max) return Status::Error("port_range: bad range");
  if (o.port_hopping && o.port_min == o.port_max && o.port_min == kWireGuardPort)
    return Status::Error("port_range: the only port is WireGuard's 51820");
  if (o.hop_interval < std::chrono::seconds(1)) return Status::Error("hop_interval: at least 1 s");
  if (o.decoy_ratio < 0 || o.decoy_ratio > kMaxDecoyRatio)
    return Status::Error("decoy_ratio: between 0 and 10");
  if (o.target_rate_bps == 0) return Status::Error("target_rate: must be positive");
  if (o.max_datagram < 576 || o.max_datagram > 65507)
    return Status::Error("max_datagram: between 576 and 65507");
  return Status::Ok();
}

}  // namespace dlog::obfs
