#include "config/value.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace dlog::config {
namespace {

constexpr size_t kMaxShownString = 40;  // longer strings are cut with "…"
constexpr size_t kMaxShownItems = 6;    // longer arrays are summarised

std::string FormatFloat(double f) {
  if (std::isnan(f)) return "nan";
  if (std::isinf(f)) return f > 0 ? "inf" : "-inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, f);
  std::string s(buf, ec == std::errc() ? end : buf);
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

}  // namespace

Value Value::Bool(bool b, Location at) {
  Value v;
  v.type = Type::kBool;
  v.boolean = b;
  v.at = at;
  return v;
}

Value Value::Int(int64_t i, Location at) {
  Value v;
  v.type = Type::kInt;
  v.integer = i;
  v.at = at;
  return v;
}

Value Value::Float(double f, Location at) {
  Value v;
  v.type = Type::kFloat;
  v.floating = f;
  v.at = at;
  return v;
}

Value Value::String(std::string s, Location at) {
  Value v;
  v.type = Type::kString;
  v.string = std::move(s);
  v.at = at;
  return v;
}

Value Value::Array(std::vector<Value> items, Location at) {
  Value v;
  v.type = Type::kArray;
  v.items = std::move(items);
  v.at = at;
  return v;
}

std::string QuoteToml(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += char(c);
    }
  }
  return out + "\"";
}

std::string Describe(const Value& v) {
  switch (v.type) {
    case Value::Type::kBool:
      return v.boolean ? "true" : "false";
    case Value::Type::kInt:
      return std::to_string(v.integer);
    case Value::Type::kFloat:
      return FormatFloat(v.floating);
    case Value::Type::kString: {
      if (v.string.size() <= kMaxShownString) return QuoteToml(v.string);
      size_t cut = kMaxShownString;
      while (cut > 0 && (uint8_t(v.string[cut]) & 0xc0) == 0x80) --cut;  // whole UTF-8 chars
      return QuoteToml(v.string.substr(0, cut)) + "…";
    }
    case Value::Type::kArray: {
      if (v.items.size() > kMaxShownItems)
        return "an array of " + std::to_string(v.items.size()) + " items";
      std::string out = "[";
      for (size_t i = 0; i < v.items.size(); ++i) out += (i ? ", " : "") + Describe(v.items[i]);
      return out + "]";
    }
    case Value::Type::kTable:
      return "a table";
    case Value::Type::kDateTime:
      return "a date-time (" + v.string + ")";
  }
  return "?";
}

}  // namespace dlog::config
