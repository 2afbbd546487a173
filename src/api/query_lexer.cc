#include "api/query_lexer.h"

#include <charconv>
#include <cmath>

namespace dlog::api {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c); }
bool IsLogNameChar(char c) { return IsIdentChar(c) || c == '.' || c == '/' || c == '-'; }

}  // namespace

const char* CompareOpName(CompareOp op) {
  switch (op) {
    case CompareOp::kEq:
      return "=";
    case CompareOp::kNe:
      return "!=";
    case CompareOp::kLt:
      return "<";
    case CompareOp::kLe:
      return "<=";
    case CompareOp::kGt:
      return ">";
    case CompareOp::kGe:
      return ">=";
    case CompareOp::kLike:
      return "LIKE";
    case CompareOp::kContains:
      return "CONTAINS";
  }
  return "?";
}

std::string DescribeToken(const Token& t) {
  switch (t.kind) {
    case TokenKind::kEnd:
      return "end of query";
    case TokenKind::kString:
      return "string '" + t.text.substr(0, 32) + "'";
    case TokenKind::kQuoted:
      return "\"" + t.text.substr(0, 32) + "\"";
    default:
      return "'" + t.text.substr(0, 32) + "'";
  }
}

void QueryLexer::SkipSpace() {
  while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
}

Token QueryLexer::Make(TokenKind kind, size_t start) const {
  Token t;
  t.kind = kind;
  t.column = static_cast<uint32_t>(start + 1);
  t.text = std::string(text_.substr(start, pos_ - start));
  return t;
}

Token QueryLexer::Error(size_t at, std::string message) const {
  Token t;
  t.kind = TokenKind::kError;
  t.column = static_cast<uint32_t>(at + 1);
  t.text = std::move(message);
  return t;
}

Token QueryLexer::Next() {
  SkipSpace();
  size_t start = pos_;
  if (pos_ >= text_.size()) return Make(TokenKind::kEnd, start);
  char c = text_[pos_];
  if (IsIdentStart(c)) {
    while (pos_ < text_.size() && IsIdentChar(text_[pos_])) ++pos_;
    return Make(TokenKind::kIdent, start);
  }
  if (IsDigit(c) || (c == '-' && pos_ + 1 < text_.size() && IsDigit(text_[pos_ + 1]))) {
    return LexNumber(start);
  }
  if (c == '\'') return LexQuoted(start, '\'', TokenKind::kString);
  if (c == '"') return LexQuoted(start, '"', TokenKind::kQuoted);
  ++pos_;
  switch (c) {
    case ',':
      return Make(TokenKind::kComma, start);
    case '*':
      return Make(TokenKind::kStar, start);
    case '.':
      return Make(TokenKind::kDot, start);
    case ';':
      return Make(TokenKind::kSemicolon, start);
    default:
      break;
  }
  pos_ = start;
  return LexOperator(start);
}

Token QueryLexer::LexOperator(size_t start) {
  auto rest = text_.substr(start);
  struct Spelling {
    std::string_view text;
    CompareOp op;
  };
  static constexpr Spelling kOps[] = {{"!=", CompareOp::kNe}, {"<>", CompareOp::kNe},
                                      {"<=", CompareOp::kLe}, {">=", CompareOp::kGe},
                                      {"=", CompareOp::kEq},  {"<", CompareOp::kLt},
                                      {">", CompareOp::kGt}};
  for (const Spelling& s : kOps) {
    if (rest.substr(0, s.text.size()) == s.text) {
      pos_ += s.text.size();
      Token t = Make(TokenKind::kOp, start);
      t.op = s.op;
      return t;
    }
  }
  unsigned char c = static_cast<unsigned char>(text_[start]);
  std::string shown = c >= 0x20 && c < 0x7F ? std::string(1, char(c)) : "byte " + std::to_string(c);
  return Error(start,
               "unexpected character '" + shown + "' at column " + std::to_string(start + 1));
}

Token QueryLexer::LexNumber(size_t start) {
  if (text_[pos_] == '-') ++pos_;
  bool integral = true;
  while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
  if (pos_ + 1 < text_.size() && text_[pos_] == '.' && IsDigit(text_[pos_ + 1])) {
    integral = false;
    ++pos_;
    while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
  }
  if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
    size_t e = pos_ + 1;
    if (e < text_.size() && (text_[e] == '+' || text_[e] == '-')) ++e;
    if (e < text_.size() && IsDigit(text_[e])) {
      integral = false;
      pos_ = e;
      while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    }
  }
  if (pos_ < text_.size() && (IsIdentChar(text_[pos_]) || text_[pos_] == '.')) {
    return Error(start, "malformed number at column " + std::to_string(start + 1));
  }
  Token t = Make(TokenKind::kNumber, start);
  const char* b = text_.data() + start;
  const char* e = text_.data() + pos_;
  if (integral) {
    if (std::from_chars(b, e, t.number.i).ec == std::errc()) {
      t.number.kind = Number::Kind::kInt;
      return t;
    }
    if (*b != '-' && std::from_chars(b, e, t.number.u).ec == std::errc()) {
      t.number.kind = Number::Kind::kUint;
      return t;
    }
  }
  auto [p, ec] = std::from_chars(b, e, t.number.d);
  if (ec != std::errc() || p != e || !std::isfinite(t.number.d)) {
    return Error(start, "number out of range at column " + std::to_string(start + 1));
  }
  t.number.kind = Number::Kind::kDouble;
  return t;
}

Token QueryLexer::LexQuoted(size_t start, char quote, TokenKind kind) {
  std::string value;
  ++pos_;
  while (pos_ < text_.size()) {
    char c = text_[pos_++];
    if (c != quote) {
      value.push_back(c);
      continue;
    }
    if (pos_ < text_.size() && text_[pos_] == quote) {  // doubled quote: one quote
      value.push_back(quote);
      ++pos_;
      continue;
    }
    Token t = Make(kind, start);
    t.text = std::move(value);
    return t;
  }
  return Error(start, std::string("unterminated ") + (quote == '\'' ? "string" : "quoted name") +
                          " starting at column " + std::to_string(start + 1) + "; close it with " +
                          quote);
}

Token QueryLexer::LexLogName() {
  SkipSpace();
  size_t start = pos_;
  if (pos_ < text_.size() && text_[pos_] == '"') {
    Token t = LexQuoted(start, '"', TokenKind::kLogName);
    return t;
  }
  while (pos_ < text_.size() && IsLogNameChar(text_[pos_])) ++pos_;
  if (pos_ == start) return Next();  // not a log name; the parser reports what it is
  return Make(TokenKind::kLogName, start);
}

}  // namespace dlog::api
