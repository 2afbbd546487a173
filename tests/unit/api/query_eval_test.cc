#include "api/query_eval.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "api/query_parser.h"

namespace dlog::api {
namespace {

using nlohmann::json;

Query Q(std::string_view text) {
  ParsedQuery p = ParseQuery(text);
  if (auto* e = std::get_if<QueryError>(&p)) ADD_FAILURE() << text << ": " << e->message;
  return std::holds_alternative<Query>(p) ? std::get<Query>(p) : Query{};
}

EvalOutcome Eval(std::string_view where, std::string_view value, std::string* row = nullptr,
                 std::string_view select = "*") {
  std::string text = "SELECT " + std::string(select) + " FROM a/b";
  if (!where.empty()) text += " WHERE " + std::string(where);
  RecordView r{3, 42, 1700000000000, AsBytes("user-7"), AsBytes(value)};
  return Evaluate(Q(text), r, row);
}

bool Matches(std::string_view where, std::string_view value) {
  return Eval(where, value) == EvalOutcome::kMatch;
}

TEST(QueryEvalTest, NumbersCompareNumerically) {
  const char* v =
      R"({"n": 10, "f": 2.5, "big": 18446744073709551615, "neg": -9223372036854775808})";
  EXPECT_TRUE(Matches("n = 10", v));
  EXPECT_TRUE(Matches("n = 10.0", v));
  EXPECT_TRUE(Matches("n > 9.5 AND n < 10.5", v));
  EXPECT_TRUE(Matches("f >= 2.5 AND f <= 2.5 AND f != 3", v));
  EXPECT_TRUE(Matches("big = 18446744073709551615", v));
  EXPECT_TRUE(Matches("big > 9223372036854775807", v));
  EXPECT_FALSE(Matches("big = 18446744073709551614", v));
  EXPECT_TRUE(Matches("neg < -9223372036854775807", v));
}

TEST(QueryEvalTest, TypesNeverConvert) {
  const char* v = R"({"n": 10, "s": "10", "b": true, "o": {"x": 1}, "a": [1, 2]})";
  EXPECT_FALSE(Matches("n = '10'", v));
  EXPECT_FALSE(Matches("n != '10'", v));  // mismatched types: no match even for !=
  EXPECT_FALSE(Matches("s = 10", v));
  EXPECT_TRUE(Matches("s = '10'", v));
  EXPECT_TRUE(Matches("b = true AND b != false", v));
  EXPECT_FALSE(Matches("b > false", v));  // booleans are not ordered
  EXPECT_FALSE(Matches("b = 1", v));
  EXPECT_FALSE(Matches("o = 1", v));
  EXPECT_FALSE(Matches("o != 1", v));
  EXPECT_TRUE(Matches("o.x = 1", v));
  EXPECT_FALSE(Matches("a = 1", v));
}

TEST(QueryEvalTest, NullAndMissing) {
  const char* v = R"({"z": null, "n": 0, "o": {"p": null}})";
  EXPECT_TRUE(Matches("z = null", v));
  EXPECT_TRUE(Matches("missing = null", v));
  EXPECT_TRUE(Matches("o.p = null AND o.q = null AND n.deeper = null", v));
  EXPECT_FALSE(Matches("z != null", v));
  EXPECT_FALSE(Matches("missing != null", v));
  EXPECT_TRUE(Matches("n != null AND o != null", v));
  EXPECT_FALSE(Matches("z < null", v));
  EXPECT_FALSE(Matches("missing = 0", v));
  EXPECT_FALSE(Matches("missing != 0", v));
}

TEST(QueryEvalTest, StringsCompareBytewise) {
  const char* v = R"({"s": "banana", "u": "é"})";
  EXPECT_TRUE(Matches("s > 'apple' AND s < 'cherry' AND s >= 'banana'", v));
  EXPECT_TRUE(Matches("s > 'Banana'", v));  // case-sensitive, byte order
  EXPECT_TRUE(Matches("u > 'z'", v));       // UTF-8 byte order = code point order
}

TEST(QueryEvalTest, LikeAndContains) {
  const char* v = R"({"s": "hello world", "tags": ["a", 2, true], "n": 5})";
  EXPECT_TRUE(Matches("s LIKE 'hello%'", v));
  EXPECT_TRUE(Matches("s LIKE '%world'", v));
  EXPECT_TRUE(Matches("s LIKE 'h_llo w%d'", v));
  EXPECT_FALSE(Matches("s LIKE 'hello'", v));
  EXPECT_FALSE(Matches("n LIKE '5'", v));
  EXPECT_TRUE(Matches("s CONTAINS 'o w'", v));
  EXPECT_FALSE(Matches("s CONTAINS 'xyz'", v));
  EXPECT_TRUE(Matches("tags CONTAINS 'a' AND tags CONTAINS 2 AND tags CONTAINS true", v));
  EXPECT_FALSE(Matches("tags CONTAINS 'b'", v));
  EXPECT_FALSE(Matches("n CONTAINS 5", v));
}

TEST(QueryEvalTest, LikeMatchCases) {
  EXPECT_TRUE(LikeMatch("", ""));
  EXPECT_TRUE(LikeMatch("", "%"));
  EXPECT_TRUE(LikeMatch("", "%%"));
  EXPECT_FALSE(LikeMatch("", "_"));
  EXPECT_TRUE(LikeMatch("abc", "a%c"));
  EXPECT_TRUE(LikeMatch("abcbc", "a%bc"));
  EXPECT_TRUE(LikeMatch("aaa", "%a%a%a%"));
  EXPECT_FALSE(LikeMatch("aa", "%a%a%a%"));
  EXPECT_TRUE(LikeMatch("mississippi", "m%iss%pi"));
  EXPECT_FALSE(LikeMatch("abc", "ab"));
  EXPECT_FALSE(LikeMatch("ab", "abc"));
}

TEST(QueryEvalTest, MetadataFields) {
  const char* v = R"({"_offset": "member"})";
  EXPECT_TRUE(Matches("_offset = 42 AND _partition = 3 AND _timestamp > 1600000000000", v));
  EXPECT_TRUE(Matches("_key = 'user-7' AND _key LIKE 'user-%'", v));
  EXPECT_TRUE(Matches("\"_offset\" = 'member'", v));
  EXPECT_FALSE(Matches("_offset = 'member'", v));
  std::string row;
  ASSERT_EQ(Eval("", v, &row, "_offset, _partition, _timestamp, _key, \"_offset\""),
            EvalOutcome::kMatch);
  // The quoted member comes last under the same name and wins.
  EXPECT_EQ(json::parse(row), json::parse(R"({"_offset": "member", "_partition": 3,
                                              "_timestamp": 1700000000000, "_key": "user-7"})"));
}

TEST(QueryEvalTest, ProjectionKeepsOrderAndFillsMissingWithNull) {
  std::string row;
  ASSERT_EQ(Eval("", R"({"b": 1, "a": {"c": [1]}})", &row, "a.c, b, nope"), EvalOutcome::kMatch);
  EXPECT_EQ(row, R"({"a.c":[1],"b":1,"nope":null})");
  ASSERT_EQ(Eval("", R"({"z": 1, "a": 2})", &row, "*"), EvalOutcome::kMatch);
  EXPECT_EQ(row, R"({"z":1,"a":2})");
  ASSERT_EQ(Eval("", R"({"z": 1})", &row, "_offset, *"), EvalOutcome::kMatch);
  EXPECT_EQ(row, R"({"z":1,"_offset":42})");
}

TEST(QueryEvalTest, NonObjectsAreSkippedNotErrors) {
  for (const char* v :
       {"", "[]", "1", "\"s\"", "null", "{", "{\"a\":}", "{} {}", "\xff", "{\"a\":\"\xff\"}"}) {
    EXPECT_EQ(Eval("", v), EvalOutcome::kNotObject) << v;
  }
  EXPECT_EQ(Eval("", "  {}  "), EvalOutcome::kMatch);
  EXPECT_EQ(Eval("x = 1", "{}"), EvalOutcome::kNoMatch);
}

TEST(QueryEvalTest, DeepNestingIsRefused) {
  std::string deep =
      "{\"a\":" + std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']') + "}";
  EXPECT_EQ(Eval("", deep), EvalOutcome::kNotObject);
  std::string fits =
      "{\"a\":" + std::string(kMaxJsonDepth - 1, '[') + std::string(kMaxJsonDepth - 1, ']') + "}";
  EXPECT_EQ(Eval("", fits), EvalOutcome::kMatch);
  // Brackets inside strings do not count.
  EXPECT_TRUE(JsonDepthWithin(AsBytes("{\"a\":\"[[[[[[[[\\\"[[[[\"}"), 1));
  EXPECT_FALSE(JsonDepthWithin(AsBytes("[[["), 2));
  // A huge flood of brackets is rejected without recursion.
  std::string flood(1 << 20, '[');
  EXPECT_EQ(Eval("", flood), EvalOutcome::kNotObject);
}

TEST(QueryEvalTest, InvalidUtf8InKeyIsReplacedInRows) {
  Query q = Q("SELECT _key FROM a/b");
  Bytes key = {'k', 0xff};
  RecordView r{0, 0, 0, key, AsBytes("{}")};
  std::string row;
  ASSERT_EQ(Evaluate(q, r, &row), EvalOutcome::kMatch);
  EXPECT_EQ(row, "{\"_key\":\"k\xef\xbf\xbd\"}");
}

}  // namespace
}  // namespace dlog::api
