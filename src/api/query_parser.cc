#include "api/query_parser.h"

#include <cctype>
#include <utility>

#include "api/query_lexer.h"
#include "log/log_name.h"

namespace dlog::api {
namespace {

bool EqualsKeyword(const std::string& word, std::string_view keyword) {
  if (word.size() != keyword.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(word[i])) != keyword[i]) return false;
  }
  return true;
}

constexpr std::string_view kKeywords[] = {"SELECT",   "FROM", "WHERE", "AND",  "LIMIT", "LIKE",
                                          "CONTAINS", "TRUE", "FALSE", "NULL", "OR",    "NOT"};

bool IsKeyword(const std::string& word) {
  for (std::string_view k : kKeywords) {
    if (EqualsKeyword(word, k)) return true;
  }
  return false;
}

// Thrown inside the parser only, caught by ParseQuery: keeps each rule a few lines.
struct ParseFailure {
  QueryError error;
};

class Parser {
 public:
  explicit Parser(std::string_view text) : lexer_(text) { Advance(); }

  Query ParseTop() {
    Query q;
    ExpectKeyword("SELECT");
    ParseItems(&q);
    ExpectKeyword("FROM", /*advance=*/false);
    cur_ = lexer_.LexLogName();
    q.log = ParseLogName();
    if (AcceptKeyword("WHERE")) ParsePredicates(&q);
    if (AcceptKeyword("LIMIT")) q.limit = ParseLimit();
    if (cur_.kind == TokenKind::kSemicolon) Advance();
    if (cur_.kind != TokenKind::kEnd) {
      Fail(cur_.column, "unexpected " + DescribeToken(cur_) + " at column " +
                            std::to_string(cur_.column) + "; expected " + Expected(q) +
                            " or the end of the query");
    }
    return q;
  }

 private:
  static std::string Expected(const Query& q) {
    if (q.limit) return "nothing more";
    return q.where.empty() ? "WHERE, LIMIT" : "AND, LIMIT";
  }

  void Advance() {
    cur_ = lexer_.Next();
    if (cur_.kind == TokenKind::kError) Fail(cur_.column, cur_.text);
  }

  [[noreturn]] static void Fail(uint32_t column, std::string message) {
    throw ParseFailure{QueryError{column, std::move(message)}};
  }

  [[noreturn]] void FailExpected(const std::string& what) const {
    Fail(cur_.column, "expected " + what + " at column " + std::to_string(cur_.column) +
                          " (found " + DescribeToken(cur_) + ")");
  }

  bool IsKeywordToken(std::string_view keyword) const {
    return cur_.kind == TokenKind::kIdent && EqualsKeyword(cur_.text, keyword);
  }

  bool AcceptKeyword(std::string_view keyword) {
    if (!IsKeywordToken(keyword)) return false;
    Advance();
    return true;
  }

  void ExpectKeyword(std::string_view keyword, bool advance = true) {
    if (!IsKeywordToken(keyword)) FailExpected(std::string(keyword));
    if (advance) Advance();
  }

  void ParseItems(Query* q) {
    do {
      if (cur_.kind == TokenKind::kStar) {
        if (q->select_all)
          Fail(cur_.column, "'*' appears twice at column " + std::to_string(cur_.column));
        q->select_all = true;
        Advance();
        continue;
      }
      if (q->fields.size() == kMaxSelectFields) {
        Fail(cur_.column,
             "too many selected fields (the limit is " + std::to_string(kMaxSelectFields) + ")");
      }
      q->fields.push_back(ParseField("a field name or * after SELECT"));
    } while (cur_.kind == TokenKind::kComma && (Advance(), true));
  }

  std::string ParseSegment(const std::string& expected) {
    if (cur_.kind == TokenKind::kQuoted) {
      if (cur_.text.empty())
        Fail(cur_.column, "empty quoted name at column " + std::to_string(cur_.column));
      std::string s = cur_.text;
      Advance();
      return s;
    }
    if (cur_.kind != TokenKind::kIdent) FailExpected(expected);
    if (IsKeyword(cur_.text)) {
      Fail(cur_.column, "expected " + expected + " at column " + std::to_string(cur_.column) +
                            " (found keyword '" + cur_.text + "'; quote it as \"" + cur_.text +
                            "\" if it is a field)");
    }
    std::string s = cur_.text;
    Advance();
    return s;
  }

  FieldPath ParseField(const std::string& expected) {
    FieldPath f;
    f.column = cur_.column;
    bool quoted_first = cur_.kind == TokenKind::kQuoted;
    f.path.push_back(ParseSegment(expected));
    while (cur_.kind == TokenKind::kDot) {
      Advance();
      if (f.path.size() == kMaxPathDepth) {
        Fail(cur_.column, "field path deeper than " + std::to_string(kMaxPathDepth) + " members");
      }
      f.path.push_back(ParseSegment("a field name after '.'"));
    }
    for (size_t i = 0; i < f.path.size(); ++i) f.text += (i ? "." : "") + f.path[i];
    if (!quoted_first && f.path.size() == 1) f.meta = MetaFieldNamed(f.path[0]);
    if (f.meta != MetaField::kNone) f.path.clear();
    return f;
  }

  static MetaField MetaFieldNamed(const std::string& name) {
    if (name == "_offset") return MetaField::kOffset;
    if (name == "_key") return MetaField::kKey;
    if (name == "_timestamp") return MetaField::kTimestamp;
    if (name == "_partition") return MetaField::kPartition;
    return MetaField::kNone;
  }

  std::string ParseLogName() {
    if (cur_.kind != TokenKind::kLogName) FailExpected("a log name (namespace/name) after FROM");
    std::string name = cur_.text;
    uint32_t column = cur_.column;
    if (name.find('/') == std::string::npos) name = std::string(kDefaultNamespace) + "/" + name;
    Result<log::LogName> parsed = log::LogName::Parse(name);
    if (!parsed.ok()) {
      Fail(column, "bad log name '" + cur_.text.substr(0, 64) + "' at column " +
                       std::to_string(column) + ": " + parsed.error());
    }
    Advance();
    return parsed->ToString();
  }

  void ParsePredicates(Query* q) {
    do {
      if (q->where.size() == kMaxPredicates) {
        Fail(cur_.column,
             "too many conditions (the limit is " + std::to_string(kMaxPredicates) + ")");
      }
      q->where.push_back(ParsePredicate());
    } while (AcceptKeyword("AND"));
    if (IsKeywordToken("OR") || IsKeywordToken("NOT")) {
      Fail(cur_.column, "OR and NOT are not supported (column " + std::to_string(cur_.column) +
                            "); conditions are joined with AND");
    }
  }

  Predicate ParsePredicate() {
    Predicate p;
    p.field = ParseField("a field name in the condition");
    if (cur_.kind == TokenKind::kOp) {
      p.op = cur_.op;
    } else if (IsKeywordToken("LIKE")) {
      p.op = CompareOp::kLike;
    } else if (IsKeywordToken("CONTAINS")) {
      p.op = CompareOp::kContains;
    } else {
      FailExpected("a comparison (=, !=, <, <=, >, >=, LIKE, CONTAINS)");
    }
    Advance();
    p.value = ParseLiteral();
    if ((p.op == CompareOp::kLike) && p.value.kind != Literal::Kind::kString) {
      Fail(p.field.column, "LIKE needs a 'string' pattern (condition at column " +
                               std::to_string(p.field.column) + ")");
    }
    return p;
  }

  Literal ParseLiteral() {
    Literal l;
    if (cur_.kind == TokenKind::kNumber) {
      l.kind = Literal::Kind::kNumber;
      l.number = cur_.number;
    } else if (cur_.kind == TokenKind::kString) {
      l.kind = Literal::Kind::kString;
      l.string = cur_.text;
    } else if (IsKeywordToken("TRUE") || IsKeywordToken("FALSE")) {
      l.kind = Literal::Kind::kBool;
      l.boolean = IsKeywordToken("TRUE");
    } else if (IsKeywordToken("NULL")) {
      l.kind = Literal::Kind::kNull;
    } else if (cur_.kind == TokenKind::kQuoted) {
      FailExpected("a value; strings take 'single quotes'");
    } else {
      FailExpected("a value (number, 'string', true, false or null)");
    }
    Advance();
    return l;
  }

  uint64_t ParseLimit() {
    if (cur_.kind != TokenKind::kNumber || cur_.number.kind == Number::Kind::kDouble ||
        (cur_.number.kind == Number::Kind::kInt && cur_.number.i < 0)) {
      FailExpected("a non-negative integer after LIMIT");
    }
    uint64_t n = cur_.number.kind == Number::Kind::kInt ? uint64_t(cur_.number.i) : cur_.number.u;
    if (n > kMaxLimit) {
      Fail(cur_.column, "LIMIT " + std::to_string(n) + " at column " + std::to_string(cur_.column) +
                            " exceeds the maximum of " + std::to_string(kMaxLimit));
    }
    Advance();
    return n;
  }

  QueryLexer lexer_;
  Token cur_;
};

}  // namespace

ParsedQuery ParseQuery(std::string_view text) {
  if (text.size() > kMaxQueryTextBytes) {
    return QueryError{1, "query of " + std::to_string(text.size()) +
                             " bytes is longer than the limit of " +
                             std::to_string(kMaxQueryTextBytes)};
  }
  try {
    Parser parser(text);
    return parser.ParseTop();
  } catch (const ParseFailure& f) {
    return f.error;
  }
}

}  // namespace dlog::api
