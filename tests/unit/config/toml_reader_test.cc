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
  EXPECT_EQ(v.error(), "deep.toml:2:1: keys nested too deeply (more than 256 levels on one line)");
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
