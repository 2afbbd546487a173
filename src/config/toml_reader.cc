#include "config/toml_reader.h"

#include <algorithm>
#include <optional>
#include <sstream>
#include <vector>

// The only file that sees toml++. Header-only mode, so the parser is compiled with our
// flags (sanitizers, fuzzing coverage); without exceptions, errors come back as values.
#define TOML_EXCEPTIONS 0
#define TOML_ENABLE_FORMATTERS 0
#include <toml++/toml.h>

namespace dlog::config {
namespace {

Location ToLocation(const toml::source_region& r) { return {r.begin.line, r.begin.column}; }

struct ParseFailure {
  Location at;  // line 0: the whole document
  std::string what;
};

// A lexical pass before toml++ that refuses what would make toml++ 3.3 misbehave:
//  - more than kMaxDotsPerLine dots on a line outside strings and comments: it recurses
//    once per key level (dots of decimals count too, which costs nothing);
//  - a non-ASCII character outside strings and comments (never valid TOML 1.0), or right
//    after a backslash in a """string""": its Unicode whitespace table reaches
//    __builtin_unreachable() there (tomlplusplus issues #190 and #295).
class Prescan {
 public:
  explicit Prescan(std::string_view text) : text_(text) {}
  std::optional<ParseFailure> Run();

 private:
  enum class State { kNormal, kComment, kBasic, kLiteral, kMlBasic, kMlLiteral };

  std::optional<ParseFailure> Normal(char c);
  std::optional<ParseFailure> AfterMlBackslash();
  ParseFailure Fail(std::string what) const {
    return {{uint32_t(line_), uint32_t(column_)}, std::move(what)};
  }
  bool At(std::string_view s) const { return text_.substr(i_).starts_with(s); }
  void Advance(size_t n) {
    for (size_t k = 0; k < n && i_ < text_.size(); ++k, ++i_) {
      if (text_[i_] == '\n') {
        ++line_;
        column_ = 1;
        dots_ = 0;
      } else if ((uint8_t(text_[i_]) & 0xc0) != 0x80) {
        ++column_;  // columns count characters, as toml++ does
      }
    }
  }

  std::string_view text_;
  size_t i_ = 0, line_ = 1, column_ = 1, dots_ = 0;
  State state_ = State::kNormal;
};

std::optional<ParseFailure> Prescan::Run() {
  while (i_ < text_.size()) {
    const char c = text_[i_];
    if (c == '\n' && state_ != State::kMlBasic && state_ != State::kMlLiteral)
      state_ = State::kNormal;  // comments end; unterminated strings: toml++ reports them
    switch (state_) {
      case State::kNormal:
        if (std::optional<ParseFailure> f = Normal(c)) return f;
        continue;
      case State::kComment:
        break;
      case State::kBasic:
        if (c == '\\')
          Advance(1);  // the escaped character is not a quote
        else if (c == '"')
          state_ = State::kNormal;
        break;
      case State::kLiteral:
        if (c == '\'') state_ = State::kNormal;
        break;
      case State::kMlBasic:
        if (c == '\\') {
          Advance(1);
          if (std::optional<ParseFailure> f = AfterMlBackslash()) return f;
          continue;
        }
        if (At("\"\"\"")) {
          state_ = State::kNormal;
          Advance(3);
          continue;
        }
        break;
      case State::kMlLiteral:
        if (At("'''")) {
          state_ = State::kNormal;
          Advance(3);
          continue;
        }
        break;
    }
    Advance(1);
  }
  return std::nullopt;
}

// Outside strings and comments; consumes at least one character.
std::optional<ParseFailure> Prescan::Normal(char c) {
  if (uint8_t(c) >= 0x80) return Fail("a non-ASCII character outside a string or comment");
  if (c == '.' && ++dots_ > kMaxDotsPerLine)
    return Fail("keys nested too deeply (more than " + std::to_string(kMaxDotsPerLine) +
                " levels on one line)");
  size_t n = 1;
  if (At("\"\"\""))
    state_ = State::kMlBasic, n = 3;
  else if (At("'''"))
    state_ = State::kMlLiteral, n = 3;
  else if (c == '"')
    state_ = State::kBasic;
  else if (c == '\'')
    state_ = State::kLiteral;
  else if (c == '#')
    state_ = State::kComment;
  Advance(n);
  return std::nullopt;
}

// Just past a backslash in a """string""": whitespace, then no non-ASCII character.
std::optional<ParseFailure> Prescan::AfterMlBackslash() {
  const size_t start = i_;
  while (i_ < text_.size() && std::string_view(" \t\r\n").find(text_[i_]) != std::string_view::npos)
    Advance(1);
  if (i_ < text_.size() && uint8_t(text_[i_]) >= 0x80)
    return Fail(
        "a non-ASCII character after a line-ending backslash; toml++ 3.3 cannot read "
        "it there (start the line with an ASCII character, or drop the backslash)");
  if (i_ == start && i_ < text_.size()) Advance(1);  // an escape like \" or \n
  return std::nullopt;
}

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
