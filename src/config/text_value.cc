#include "config/text_value.h"

#include "config/toml_reader.h"
#include "config/units.h"

namespace dlog::config {
namespace {

std::string_view Trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

bool IsQuoted(std::string_view s) {
  return s.size() >= 2 &&
         ((s.front() == '"' && s.back() == '"') || (s.front() == '\'' && s.back() == '\''));
}

Value Scalar(Kind kind, std::string_view text) {
  if (kind == Kind::kBool)
    if (std::optional<bool> b = ParseBoolText(text)) return Value::Bool(*b);
  if (kind == Kind::kInt || kind == Kind::kIntPair)
    if (std::optional<int64_t> i = ParseIntText(text)) return Value::Int(*i);
  if (kind == Kind::kFloat)
    if (std::optional<double> f = ParseFloatText(text)) return Value::Float(*f);
  return Value::String(std::string(text));
}

// "a,b,c" → [a, b, c]; "" → [].
Result<Value> CommaList(Kind kind, std::string_view text) {
  std::vector<Value> items;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view item = Trim(text.substr(0, comma));
    if (IsQuoted(item)) {
      Result<Value> v = ParseTomlValue(item);
      if (!v.ok()) return v.status();
      items.push_back(*v);
    } else {
      items.push_back(Scalar(kind, item));
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return Value::Array(std::move(items));
}

}  // namespace

Result<Value> ValueFromText(Kind kind, std::string_view raw) {
  const std::string_view text = kind == Kind::kString ? raw : Trim(raw);
  switch (kind) {
    case Kind::kIntPair:
    case Kind::kStringList:
      if (text.starts_with('[')) return ParseTomlValue(text);
      return CommaList(kind, text);
    case Kind::kPeers:
      if (text.starts_with('[')) return ParseTomlValue(text);
      return Value::String(std::string(text));
    default:
      if (IsQuoted(text)) return ParseTomlValue(text);
      return Scalar(kind, text);
  }
}

}  // namespace dlog::config
