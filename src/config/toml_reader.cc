#include "config/toml_reader.h"

#include <algorithm>
#include <optional>
#include <sstream>
#include <vector>

#include "config/prescan.h"

// The only file that sees toml++. Header-only mode, so the parser is compiled with our
// flags (sanitizers, fuzzing coverage); without exceptions, errors come back as values.
#define TOML_EXCEPTIONS 0
#define TOML_ENABLE_FORMATTERS 0
#include <toml++/toml.h>

namespace dlog::config {
namespace {

Location ToLocation(const toml::source_region& r) { return {r.begin.line, r.begin.column}; }

// Line `line` (1-based) of `text`, without its newline.
std::string_view LineOf(std::string_view text, const std::vector<size_t>& starts, size_t line) {
  if (line == 0 || line > starts.size()) return {};
  const std::string_view rest = text.substr(starts[line - 1]);
  return rest.substr(0, rest.find('\n'));
}

std::vector<size_t> LineStarts(std::string_view text) {
  std::vector<size_t> starts{0};
  for (size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n') starts.push_back(i + 1);
  return starts;
}

std::string StripSpaceAndComment(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, s.find('#')))
    if (c != ' ' && c != '\t' && c != '\r') out += c;
  return out;
}

bool IsHeader(const std::string& s) { return s.size() > 2 && s.front() == '[' && s.back() == ']'; }

std::string HeaderPath(const std::string& s) {
  const size_t brackets = s.starts_with("[[") && s.ends_with("]]") ? 2 : 1;
  return s.substr(brackets, s.size() - 2 * brackets);
}

// The key path on an error's line, as written: "network.api_port" for `api_port = 2` under
// [network]; "network" for a second `[network]`. Best effort (it reads lines, not tokens).
std::string PathAtLine(std::string_view text, size_t line) {
  const std::vector<size_t> starts = LineStarts(text);
  const std::string here = StripSpaceAndComment(LineOf(text, starts, line));
  if (IsHeader(here)) return HeaderPath(here);
  const std::string key = here.substr(0, here.find('='));
  for (size_t n = line - 1; n >= 1; --n) {
    const std::string above = StripSpaceAndComment(LineOf(text, starts, n));
    if (IsHeader(above) && above.find('=') == std::string::npos)
      return HeaderPath(above) + "." + key;
  }
  return key;
}

std::string Lowercase1(std::string s) {
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = char(s[0] - 'A' + 'a');
  return s;
}

// toml++ says "Error while parsing <context>: <what>"; we say "syntax error: <what> (in
// <context>)", or "<path>: already defined (<what>)" for a redefinition.
std::string Explain(const toml::parse_error& e, std::string_view text) {
  std::string d(e.description());
  std::string context;
  if (d.starts_with("Error while parsing ")) {
    const size_t colon = d.find(": ");
    if (colon != std::string::npos) {
      context = d.substr(20, colon - 20);
      d = d.substr(colon + 2);
    }
  }
  if (d.starts_with("cannot redefine"))
    return PathAtLine(text, e.source().begin.line) + ": already defined (" + d + ")";
  std::string hint;
  if (context == "string" && d.find("control characters") != std::string::npos)
    hint = "; is a closing quote missing?";
  return "syntax error: " + Lowercase1(d) + (context.empty() ? "" : " (in " + context + ")") + hint;
}

Value Convert(const toml::node& n);

Value ConvertTable(const toml::table& t) {
  Value v;
  v.type = Value::Type::kTable;
  v.at = ToLocation(t.source());
  for (auto&& [key, node] : t)
    v.fields.push_back(Field{std::string(key.str()), ToLocation(key.source()), Convert(node)});
  std::stable_sort(v.fields.begin(), v.fields.end(), [](const Field& a, const Field& b) {
    return std::pair(a.at.line, a.at.column) < std::pair(b.at.line, b.at.column);
  });
  return v;
}

template <typename T>
std::string Print(const T& x) {
  std::ostringstream out;
  out << x;
  return out.str();
}

Value Convert(const toml::node& n) {
  const Location at = ToLocation(n.source());
  if (const auto* t = n.as_table()) return ConvertTable(*t);
  if (const auto* a = n.as_array()) {
    std::vector<Value> items;
    for (const toml::node& item : *a) items.push_back(Convert(item));
    return Value::Array(std::move(items), at);
  }
  if (const auto* s = n.as_string()) return Value::String(s->get(), at);
  if (const auto* i = n.as_integer()) return Value::Int(i->get(), at);
  if (const auto* f = n.as_floating_point()) return Value::Float(f->get(), at);
  if (const auto* b = n.as_boolean()) return Value::Bool(b->get(), at);
  Value v;
  v.type = Value::Type::kDateTime;
  v.at = at;
  if (const auto* d = n.as_date()) v.string = Print(d->get());
  if (const auto* t = n.as_time()) v.string = Print(t->get());
  if (const auto* dt = n.as_date_time()) v.string = Print(dt->get());
  return v;
}

// Parses `text`; on failure fills `failure` and returns nullopt.
std::optional<Value> Parse(std::string_view text, std::string_view source, ParseFailure& failure) {
  if (text.size() > kMaxTomlBytes) {
    failure.what =
        "larger than " + std::to_string(kMaxTomlBytes >> 20) + " MiB; not a configuration file?";
    return std::nullopt;
  }
  if (std::optional<ParseFailure> f = Prescan(text).Run()) {
    failure = std::move(*f);
    return std::nullopt;
  }
  toml::parse_result r = toml::parse(text, source);
  if (!r) {
    failure.at = ToLocation(r.error().source());
    failure.what = Explain(r.error(), text);
    return std::nullopt;
  }
  return ConvertTable(r.table());
}

}  // namespace

Result<Value> ParseTomlDocument(std::string_view text, const std::string& source) {
  ParseFailure f;
  std::optional<Value> v = Parse(text, source, f);
  if (v) return std::move(*v);
  if (f.at.line == 0) return Status::Error(source + ": " + f.what);
  return Status::Error(source + ":" + std::to_string(f.at.line) + ":" +
                       std::to_string(f.at.column) + ": " + f.what);
}

Result<Value> ParseTomlValue(std::string_view text) {
  constexpr std::string_view kPrefix = "v = ";
  ParseFailure f;
  std::optional<Value> doc = Parse(std::string(kPrefix) + std::string(text), "", f);
  if (!doc) {
    if (f.at.line != 1) return Status::Error(f.what);
    const size_t column = f.at.column > kPrefix.size() ? f.at.column - kPrefix.size() : 1;
    return Status::Error(f.what + " at column " + std::to_string(column));
  }
  if (doc->fields.size() != 1 || doc->fields[0].key != "v")
    return Status::Error("expected one value");
  return std::move(doc->fields[0].value);
}

}  // namespace dlog::config
