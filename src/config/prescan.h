// A lexical pass over a TOML document before toml++ parses it, refusing what would make
// toml++ 3.3 misbehave.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/value.h"

namespace dlog::config {

// Key components on one line (`[a.b.c]`, `a.b.c = 1`) beyond which a document is refused:
// toml++ recurses once per level and would exhaust the stack near 10^4.
inline constexpr size_t kMaxDotsPerLine = 256;

struct ParseFailure {
  Location at;  // line 0: the whole document
  std::string what;
};

// A lexical pass before toml++ that refuses what would make toml++ 3.3 misbehave:
//  - more than kMaxDotsPerLine dots on a line outside strings and comments (dots of
//    decimals count too, which costs nothing);
//  - a non-ASCII character outside strings and comments (never valid TOML 1.0), or right
//    after a backslash in a """string""": its Unicode whitespace table reaches
//    __builtin_unreachable() there (tomlplusplus issues #190 and #295). A quote opens a
//    string only where toml++ would see one start (see TrackRun).
// One use per document; holds a view of it.
class Prescan {
 public:
  explicit Prescan(std::string_view text) : text_(text) {}
  std::optional<ParseFailure> Run();

 private:
  enum class State { kNormal, kComment, kBasic, kLiteral, kMlBasic, kMlLiteral };

  std::optional<ParseFailure> Normal(char c);
  std::optional<ParseFailure> AfterMlBackslash();
  void TrackRun(char c);
  ParseFailure Fail(std::string what) const {
    return {{uint32_t(line_), uint32_t(column_)}, std::move(what)};
  }
  bool At(std::string_view s) const { return text_.substr(i_).starts_with(s); }
  // Moves over `n` bytes, keeping line, column and the line's dot count.
  void Advance(size_t n);

  std::string_view text_;
  size_t i_ = 0, line_ = 1, column_ = 1, dots_ = 0;
  bool in_run_ = false;       // within a run of characters outside strings and separators
  bool number_like_ = false;  // ... that began with a digit or a sign (see TrackRun)
  State state_ = State::kNormal;
};

}  // namespace dlog::config
