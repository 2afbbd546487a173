#include "discovery/txt.h"

namespace dlog::discovery {
namespace {

bool ValidKey(const std::string& k) {
  if (k.empty()) return false;
  for (unsigned char c : k) {
    if (c < 0x20 || c > 0x7e || c == '=') return false;
  }
  return true;
}

std::string LowerAscii(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  }
  return s;
}

}  // namespace

Result<std::vector<std::string>> EncodeTxt(const TxtPairs& pairs) {
  std::vector<std::string> out;
  for (const auto& [k, v] : pairs) {
    if (!ValidKey(k))
      return Status::Error("TXT key '" + k + "' is empty or has '=' or control bytes");
    std::string s = k + "=" + v;
    if (s.size() > 255) return Status::Error("TXT pair '" + k + "=...' is longer than 255 bytes");
    out.push_back(std::move(s));
  }
  if (out.empty()) out.emplace_back();  // RFC 6763 §6.1: one empty string, never none
  return out;
}

TxtMap DecodeTxt(const std::vector<std::string>& strings) {
  TxtMap m;
  for (const auto& s : strings) {
    size_t eq = s.find('=');
    std::string key = LowerAscii(s.substr(0, eq));
    if (!ValidKey(key)) continue;
    std::string value = eq == std::string::npos ? "" : s.substr(eq + 1);
    m.emplace(std::move(key), std::move(value));  // the first occurrence wins
  }
  return m;
}

Result<std::pair<std::string, std::string>> ParseTxtArgument(const std::string& arg) {
  size_t eq = arg.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Status::Error("TXT attribute '" + arg + "' is not of the form key=value");
  }
  return std::make_pair(arg.substr(0, eq), arg.substr(eq + 1));
}

}  // namespace dlog::discovery
