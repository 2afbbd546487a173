#include "api/query_parser.h"

#include <gtest/gtest.h>

namespace dlog::api {
namespace {

Query Parse(std::string_view text) {
  ParsedQuery p = ParseQuery(text);
  if (auto* e = std::get_if<QueryError>(&p)) {
    ADD_FAILURE() << text << ": " << e->message;
    return Query{};
  }
  return std::get<Query>(p);
}

QueryError Error(std::string_view text) {
  ParsedQuery p = ParseQuery(text);
  if (!std::holds_alternative<QueryError>(p)) {
    ADD_FAILURE() << text << " parsed";
    return {};
  }
  return std::get<QueryError>(p);
}

TEST(QueryParserTest, SelectStarWithLimit) {
  Query q = Parse("SELECT * FROM users LIMIT 10");
  EXPECT_TRUE(q.select_all);
  EXPECT_TRUE(q.fields.empty());
  EXPECT_EQ(q.log, "default/users");
  EXPECT_TRUE(q.where.empty());
  ASSERT_TRUE(q.limit);
  EXPECT_EQ(*q.limit, 10u);
}

TEST(QueryParserTest, FieldsPredicatesAndKeywordsInAnyCase) {
  Query q = Parse(
      "select name, address.city, _offset, \"_key\" from app/users-v2.x "
      "where age >= 21 and address.city = 'O''Brien' AND active != false And score < -1.5e3 "
      "AND _partition = 2 and deleted = null limit 5;");
  ASSERT_EQ(q.fields.size(), 4u);
  EXPECT_EQ(q.fields[0].path, std::vector<std::string>{"name"});
  EXPECT_EQ(q.fields[1].path, (std::vector<std::string>{"address", "city"}));
  EXPECT_EQ(q.fields[1].text, "address.city");
  EXPECT_EQ(q.fields[1].column, 14u);
  EXPECT_EQ(q.fields[2].meta, MetaField::kOffset);
  EXPECT_TRUE(q.fields[2].path.empty());
  EXPECT_EQ(q.fields[3].meta, MetaField::kNone);  // quoted: a JSON member
  EXPECT_EQ(q.fields[3].path, std::vector<std::string>{"_key"});
  EXPECT_EQ(q.log, "app/users-v2.x");
  ASSERT_EQ(q.where.size(), 6u);
  EXPECT_EQ(q.where[0].op, CompareOp::kGe);
  EXPECT_EQ(q.where[0].value.number.i, 21);
  EXPECT_EQ(q.where[1].value.string, "O'Brien");
  EXPECT_EQ(q.where[2].op, CompareOp::kNe);
  EXPECT_EQ(q.where[2].value.kind, Literal::Kind::kBool);
  EXPECT_FALSE(q.where[2].value.boolean);
  EXPECT_EQ(q.where[3].value.number.kind, Number::Kind::kDouble);
  EXPECT_DOUBLE_EQ(q.where[3].value.number.d, -1500.0);
  EXPECT_EQ(q.where[4].field.meta, MetaField::kPartition);
  EXPECT_EQ(q.where[5].value.kind, Literal::Kind::kNull);
  EXPECT_EQ(*q.limit, 5u);
}

TEST(QueryParserTest, OperatorsAndLiterals) {
  Query q = Parse(
      "SELECT * FROM a/b WHERE a = 1 AND b != 2 AND c <> 3 AND d < 4 AND e <= 5 AND f > 6 "
      "AND g >= 7 AND h LIKE 'x%' AND i CONTAINS 'y' AND j = 18446744073709551615 AND k = TRUE");
  std::vector<CompareOp> ops = {CompareOp::kEq, CompareOp::kNe,   CompareOp::kNe,
                                CompareOp::kLt, CompareOp::kLe,   CompareOp::kGt,
                                CompareOp::kGe, CompareOp::kLike, CompareOp::kContains,
                                CompareOp::kEq, CompareOp::kEq};
  ASSERT_EQ(q.where.size(), ops.size());
  for (size_t i = 0; i < ops.size(); ++i) EXPECT_EQ(q.where[i].op, ops[i]) << i;
  EXPECT_EQ(q.where[9].value.number.kind, Number::Kind::kUint);
  EXPECT_EQ(q.where[9].value.number.u, UINT64_MAX);
  EXPECT_TRUE(q.where[10].value.boolean);
}

TEST(QueryParserTest, StarMixedWithFields) {
  Query q = Parse("SELECT _offset, * FROM \"ns/log\"");
  EXPECT_TRUE(q.select_all);
  ASSERT_EQ(q.fields.size(), 1u);
  EXPECT_EQ(q.log, "ns/log");
  EXPECT_FALSE(q.limit);
}

struct BadCase {
  const char* text;
  uint32_t column;
  const char* says;
};

TEST(QueryParserTest, ErrorsSayWhatWasExpectedAndWhere) {
  const BadCase cases[] = {
      {"SELECT * FORM users", 10, "expected FROM at column 10"},
      {"", 1, "expected SELECT at column 1 (found end of query)"},
      {"SELEC * FROM a", 1, "expected SELECT"},
      {"SELECT FROM a", 8, "quote it as \"FROM\""},
      {"SELECT * FROM", 14, "expected a log name"},
      {"SELECT * FROM a/b/c", 15, "bad log name"},
      {"SELECT * FROM .hidden", 15, "bad log name"},
      {"SELECT * FROM a WHERE", 22, "expected a field name"},
      {"SELECT * FROM a WHERE x", 24, "expected a comparison"},
      {"SELECT * FROM a WHERE x = ", 27, "expected a value"},
      {"SELECT * FROM a WHERE x = \"s\"", 27, "'single quotes'"},
      {"SELECT * FROM a WHERE x = 'open", 27, "unterminated string"},
      {"SELECT * FROM a WHERE x = 1 OR y = 2", 29, "OR and NOT are not supported"},
      {"SELECT * FROM a WHERE x LIKE 3", 23, "LIKE needs a 'string'"},
      {"SELECT * FROM a WHERE x = 12abc", 27, "malformed number"},
      {"SELECT * FROM a WHERE x = 1e999", 27, "number out of range"},
      {"SELECT * FROM a WHERE x # 1", 25, "unexpected character '#'"},
      {"SELECT * FROM a LIMIT -1", 23, "non-negative integer"},
      {"SELECT * FROM a LIMIT 1.5", 23, "non-negative integer"},
      {"SELECT * FROM a LIMIT 1000001", 23, "exceeds the maximum"},
      {"SELECT * FROM a LIMIT 5 5", 25, "unexpected '5'"},
      {"SELECT *, * FROM a", 11, "'*' appears twice"},
      {"SELECT a. FROM x", 11, "after '.'"},
      {"SELECT \"\" FROM x", 8, "empty quoted name"},
      {"SELECT * FROM a WHERE x = 1 AND", 32, "expected a field name"},
      {"SELECT * FROM a ORDER BY x", 17, "expected WHERE, LIMIT"},
  };
  for (const BadCase& c : cases) {
    QueryError e = Error(c.text);
    EXPECT_EQ(e.column, c.column) << c.text << " → " << e.message;
    EXPECT_NE(e.message.find(c.says), std::string::npos) << c.text << " → " << e.message;
  }
}

TEST(QueryParserTest, DocumentedMessage) {
  QueryError e = Error("SELECT * FORM users");
  EXPECT_EQ(e.message, "expected FROM at column 10 (found 'FORM')");
}

TEST(QueryParserTest, Bounds) {
  std::string q = "SELECT * FROM a WHERE x = 1";
  for (size_t i = 1; i < kMaxPredicates; ++i) q += " AND x = 1";
  Parse(q);
  QueryError e = Error(q + " AND x = 1");
  EXPECT_NE(e.message.find("too many conditions"), std::string::npos) << e.message;

  std::string fields = "SELECT f0";
  for (size_t i = 1; i < kMaxSelectFields; ++i) fields += ", f" + std::to_string(i);
  Parse(fields + " FROM a");
  EXPECT_NE(Error(fields + ", g FROM a").message.find("too many selected"), std::string::npos);

  std::string path = "SELECT a";
  for (size_t i = 1; i < kMaxPathDepth; ++i) path += ".a";
  Parse(path + " FROM x");
  EXPECT_NE(Error(path + ".a FROM x").message.find("deeper"), std::string::npos);

  std::string longq = "SELECT * FROM a WHERE x = '" + std::string(kMaxQueryTextBytes, 'x') + "'";
  EXPECT_NE(Error(longq).message.find("longer than the limit"), std::string::npos);
}

TEST(QueryParserTest, NonAsciiBytesAreReportedNotCrashed) {
  QueryError e = Error("SELECT * FROM a WHERE x = \xff");
  EXPECT_EQ(e.column, 27u);
  EXPECT_NE(e.message.find("byte 255"), std::string::npos) << e.message;
  // Inside strings any byte is fine.
  Query q = Parse("SELECT * FROM a WHERE x = '\xc3\xa9\xff'");
  EXPECT_EQ(q.where[0].value.string, "\xc3\xa9\xff");
}

}  // namespace
}  // namespace dlog::api
