#include "config/net_forms.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>

#include "base/hex.h"

namespace dlog::config {
namespace {

constexpr size_t kMaxHostname = 253;
constexpr size_t kMaxLabel = 63;
constexpr size_t kMaxName = 63;

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Decimal digits without a leading zero (except "0"), value ≤ max.
std::optional<uint32_t> ParseDecimal(std::string_view s, uint32_t max) {
  if (s.empty() || s.size() > 10 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  uint32_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size() || n > max) return std::nullopt;
  return n;
}

bool IsPort(std::string_view s) {
  std::optional<uint32_t> p = ParseDecimal(s, 65535);
  return p && *p != 0;
}

// The address's 4 or 16 bytes in network order.
std::optional<std::array<uint8_t, 16>> AddressBytes(std::string_view s, Family family) {
  std::array<uint8_t, 16> out{};
  if (family == Family::kIpv4 ? !IsIpv4(s) : !IsIpv6(s)) return std::nullopt;
  const std::string copy(s);
  inet_pton(family == Family::kIpv4 ? AF_INET : AF_INET6, copy.c_str(), out.data());
  return out;
}

// "addr" or "addr/len" of either family.
bool IsAddressOrPrefix(std::string_view s) {
  const size_t slash = s.find('/');
  const std::string_view addr = s.substr(0, slash);
  const bool v4 = IsIpv4(addr);
  if (!v4 && !IsIpv6(addr)) return false;
  return slash == std::string_view::npos || ParseDecimal(s.substr(slash + 1), v4 ? 32 : 128);
}

}  // namespace

bool IsHostname(std::string_view s) {
  if (s.ends_with('.')) s.remove_suffix(1);
  if (s.empty() || s.size() > kMaxHostname) return false;
  size_t label = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '.') {
      if (label == 0 || s[i - 1] == '-') return false;
      label = 0;
      continue;
    }
    if (!IsAlnum(c) && !(c == '-' && label > 0)) return false;
    if (++label > kMaxLabel) return false;
  }
  return s.back() != '-';
}

bool IsIpv4(std::string_view s) {
  for (int i = 0; i < 4; ++i) {
    const size_t dot = i < 3 ? s.find('.') : s.size();
    if (dot == std::string_view::npos || !ParseDecimal(s.substr(0, dot), 255)) return false;
    s.remove_prefix(std::min(s.size(), dot + 1));
  }
  return true;
}

bool IsIpv6(std::string_view s) {
  if (s.empty() || s.size() >= INET6_ADDRSTRLEN || s.find(':') == std::string_view::npos ||
      s.find('\0') != std::string_view::npos)
    return false;
  std::array<uint8_t, 16> out{};
  const std::string copy(s);
  return inet_pton(AF_INET6, copy.c_str(), out.data()) == 1;
}

bool IsHostPort(std::string_view s) {
  const size_t colon = s.rfind(':');
  if (colon == std::string_view::npos || !IsPort(s.substr(colon + 1))) return false;
  const std::string_view host = s.substr(0, colon);
  if (host.starts_with('[') && host.ends_with(']')) return IsIpv6(host.substr(1, host.size() - 2));
  return IsIpv4(host) || IsHostname(host);
}

bool IsCidr(std::string_view s, Family family, int min_len, int max_len, std::string* network) {
  const size_t slash = s.find('/');
  if (slash == std::string_view::npos) return false;
  std::optional<std::array<uint8_t, 16>> addr = AddressBytes(s.substr(0, slash), family);
  std::optional<uint32_t> len = ParseDecimal(s.substr(slash + 1), uint32_t(max_len));
  if (!addr || !len || int(*len) < min_len) return false;
  std::array<uint8_t, 16> masked = *addr;
  for (size_t i = 0; i < masked.size(); ++i)
    masked[i] &= uint8_t(0xff00 >> std::clamp(int(*len) - 8 * int(i), 0, 8));
  if (network) {
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(family == Family::kIpv4 ? AF_INET : AF_INET6, masked.data(), buf, sizeof buf);
    *network = std::string(buf) + "/" + std::to_string(*len);
  }
  return masked == *addr;
}

bool IsStockPeer(std::string_view s) {
  if (s.starts_with('[')) {  // [v6]:port
    const size_t close = s.find(']');
    if (close == std::string_view::npos || !s.substr(close + 1).starts_with(':')) return false;
    const std::string_view inside = s.substr(1, close - 1);
    return IsPort(s.substr(close + 2)) && IsIpv6(inside.substr(0, inside.find('/'))) &&
           IsAddressOrPrefix(inside);
  }
  if (std::count(s.begin(), s.end(), ':') == 1) {  // v4[/len]:port
    const size_t colon = s.find(':');
    const std::string_view addr = s.substr(0, colon);
    return IsPort(s.substr(colon + 1)) && IsIpv4(addr.substr(0, addr.find('/'))) &&
           IsAddressOrPrefix(addr);
  }
  return IsAddressOrPrefix(s);
}

bool IsName(std::string_view s) {
  if (s.empty() || s.size() > kMaxName || !IsAlnum(s[0])) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return IsAlnum(c) || c == '-' || c == '_' || c == '.'; });
}

std::optional<ByteArray<32>> ParseWireguardKey(std::string_view s) {
  if (s.size() != 44) return std::nullopt;
  std::optional<Bytes> raw = FromBase64(s);
  if (!raw || raw->size() != 32 || ToBase64(*raw) != s) return std::nullopt;
  ByteArray<32> key;
  std::copy(raw->begin(), raw->end(), key.begin());
  return key;
}

}  // namespace dlog::config
