#include "config/prescan.h"

namespace dlog::config {

void Prescan::Advance(size_t n) {
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
  TrackRun(c);
  size_t n = 1;
  const bool quotes = !number_like_;
  if (quotes && At("\"\"\""))
    state_ = State::kMlBasic, n = 3;
  else if (quotes && At("'''"))
    state_ = State::kMlLiteral, n = 3;
  else if (quotes && c == '"')
    state_ = State::kBasic;
  else if (quotes && c == '\'')
    state_ = State::kLiteral;
  else if (c == '#')
    state_ = State::kComment;
  Advance(n);
  return std::nullopt;
}

// toml++ reads a value that starts with a digit or a sign up to a value terminator
// (whitespace, ']', '}', ',', '#'), looking at every character on the way, quotes and '='
// included: within such a run a quote opens no string.
void Prescan::TrackRun(char c) {
  const bool separator = std::string_view(" \t\r\n]},#[{").find(c) != std::string_view::npos ||
                         (c == '=' && !number_like_);
  if (separator) {
    in_run_ = number_like_ = false;
  } else if (!in_run_) {
    in_run_ = true;
    number_like_ = (c >= '0' && c <= '9') || c == '+' || c == '-';
  }
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

}  // namespace dlog::config
