// The TOML reader: values with positions, and its guards.
#include "config/toml_reader.h"

#include <gtest/gtest.h>

namespace dlog::config {
namespace {

TEST(TomlReaderTest, ValuesKeepTheirPlacesAndTheFileOrder) {
  Result<Value> v = ParseTomlDocument("b = 1\n[z]\nx = \"s\"\n[a]\ny = [true, 1.5]\n", "f");
  ASSERT_TRUE(v.ok()) << v.error();
  ASSERT_EQ(v->fields.size(), 3u);
  EXPECT_EQ(v->fields[0].key, "b");
  EXPECT_EQ(v->fields[1].key, "z");  // written before [a]
  EXPECT_EQ(v->fields[2].key, "a");
  const Value& x = v->fields[1].value.fields[0].value;
  EXPECT_EQ(x.type, Value::Type::kString);
  EXPECT_EQ(x.at.line, 3u);
  EXPECT_EQ(x.at.column, 5u);
  const Value& y = v->fields[2].value.fields[0].value;
  ASSERT_EQ(y.items.size(), 2u);
  EXPECT_EQ(y.items[1].type, Value::Type::kFloat);
  EXPECT_EQ(Describe(y), "[true, 1.5]");
}

TEST(TomlReaderTest, DeepKeysAreRefusedBeforeTheParserRecursesOnThem) {
  std::string deep = "a";
  for (int i = 0; i < 100'000; ++i) deep += ".a";
  Result<Value> v = ParseTomlDocument("x = 1\n[" + deep + "]\n", "deep.toml");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error(),
            "deep.toml:2:515: keys nested too deeply (more than 256 levels on one line)");
  v = ParseTomlDocument(deep + " = 1\n", "deep.toml");
  EXPECT_FALSE(v.ok());
}

TEST(TomlReaderTest, DotsInStringsAndCommentsDoNotCount) {
  const std::string dots(1000, '.');
  Result<Value> v = ParseTomlDocument(
      "a = \"" + dots + "\" # " + dots + "\nb = '" + dots + "'\nc = \"\"\"\n" + dots + "\n\"\"\"\n",
      "f");
  EXPECT_TRUE(v.ok()) << v.error();
}

// Inputs on which toml++ 3.3 reaches __builtin_unreachable() (found by config_fuzz; also
// tomlplusplus issues #190 and #295) are refused before it sees them, with a position.
TEST(TomlReaderTest, RefusesWhatTomlPlusPlusCannotRead) {
  const std::string kBackslash =
      "a non-ASCII character after a line-ending backslash; toml++ 3.3 cannot read it there "
      "(start the line with an ASCII character, or drop the backslash)";
  const std::string kOutside = "a non-ASCII character outside a string or comment";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"a = 1\u039b\n", "f:1:6: " + kOutside},
      {"\xcc\xaa", "f:1:1: " + kOutside},
      {"[network.wi]\nnuard\u039bpi = 1\n", "f:2:6: " + kOutside},
      {R"(s = """\)"
       "\n\u00a7\"\"\"\n",
       "f:2:1: " + kBackslash},
      {R"(s = """a\ )"
       "\n \u039b\"\"\"\n",
       "f:2:2: " + kBackslash},
      {R"(s = """\)"
       "\u039b\"\"\"\n",
       "f:1:9: " + kBackslash},
      // A quote inside a bare token opens no string for toml++, which scans on over it.
      {"v = [3L4am='''-eG\u00f8G'''\n", "f:1:18: " + kOutside},
      {"v = -'\u039b'\n", "f:1:7: " + kOutside},
      {"v = 1979-05-27 1'\u039b'\n", "f:1:18: " + kOutside},
  };
  for (const auto& [text, message] : cases) {
    Result<Value> v = ParseTomlDocument(text, "f");
    ASSERT_FALSE(v.ok()) << text;
    EXPECT_EQ(v.error(), message);
  }
}

TEST(TomlReaderTest, NonAsciiInStringsCommentsAndQuotedKeysIsFine) {
  const std::vector<std::string> texts = {
      "a = \"\u039b\"",
      "# \u039b",
      "a = '\u039b'",
      "a = \"\"\"\n\u039b\n\"\"\"",
      "\"\u039b\" = 1",
      R"(a = """x\)"
      "\n  y\u039b\"\"\"",
      R"(a = '''\)"
      "\n \u039b'''",
      R"(a = "\")"
      "\u039b\"",
      R"(a = """\")"
      "\u039b\"\"\"",
  };
  for (const std::string& text : texts) {
    Result<Value> v = ParseTomlDocument(text, "f");
    EXPECT_TRUE(v.ok()) << text << ": " << v.error();
  }
}

TEST(TomlReaderTest, ASingleValue) {
  Result<Value> v = ParseTomlValue("[0, 128]");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(Describe(*v), "[0, 128]");
  v = ParseTomlValue("[0, 128");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error(), "syntax error: encountered end-of-file (in array) at column 8");
  EXPECT_FALSE(ParseTomlValue("1\nw = 2").ok());
}

TEST(TomlReaderTest, DescribeCutsLongValues) {
  EXPECT_EQ(Describe(Value::String(std::string(50, 'x'))), "\"" + std::string(40, 'x') + "\"…");
  std::vector<Value> items(7, Value::Int(1));
  EXPECT_EQ(Describe(Value::Array(items)), "an array of 7 items");
  EXPECT_EQ(Describe(Value::String("a\"b\n")), "\"a\\\"b\\u000a\"");
}

}  // namespace
}  // namespace dlog::config
