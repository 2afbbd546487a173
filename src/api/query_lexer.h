// Tokens of the query language (docs/QUERY.md). The lexer is pulled one token at a time
// by the parser, which asks for a log name right after FROM (log names hold '/', '-'
// and '.', which other positions do not).
//
// Columns are 1-based byte positions in the query text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "api/query_ast.h"

namespace dlog::api {

enum class TokenKind : uint8_t {
  kEnd,
  kError,   // text: what is wrong
  kIdent,   // bare word: keyword or field segment (keywords are matched case-insensitively)
  kQuoted,  // "double quoted" field segment or log name; text unescaped
  kString,  // 'single quoted' literal; text unescaped ('' is a quote)
  kNumber,  // number holds the value
  kComma,
  kStar,
  kDot,
  kSemicolon,
  kOp,       // op holds which
  kLogName,  // from LexLogName
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  uint32_t column = 1;
  std::string text;  // source text, or the unescaped string / error message
  Number number;
  CompareOp op = CompareOp::kEq;
};

class QueryLexer {
 public:
  explicit QueryLexer(std::string_view text) : text_(text) {}
  Token Next();
  // A log name: "quoted", or a run of [A-Za-z0-9._/-].
  Token LexLogName();

 private:
  void SkipSpace();
  Token Make(TokenKind kind, size_t start) const;
  Token Error(size_t at, std::string message) const;
  Token LexNumber(size_t start);
  Token LexQuoted(size_t start, char quote, TokenKind kind);
  Token LexOperator(size_t start);

  std::string_view text_;
  size_t pos_ = 0;
};

// Renders a token for error messages: 'FORM', end of query, ...
std::string DescribeToken(const Token& t);

}  // namespace dlog::api
