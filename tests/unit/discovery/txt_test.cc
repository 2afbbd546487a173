#include "discovery/txt.h"

#include <gtest/gtest.h>

namespace dlog::discovery {
namespace {

TEST(Txt, EncodesAndDecodes) {
  auto s = EncodeTxt({{"v", "1"}, {"cluster", "abc"}, {"key", "Zm9v="}});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, (std::vector<std::string>{"v=1", "cluster=abc", "key=Zm9v="}));
  auto m = DecodeTxt(*s);
  EXPECT_EQ(m.at("key"), "Zm9v=");  // '=' inside a value stays
}

TEST(Txt, RulesOfRfc6763) {
  EXPECT_EQ(*EncodeTxt({}), std::vector<std::string>{""});  // §6.1: never empty
  EXPECT_FALSE(EncodeTxt({{"", "x"}}).ok());
  EXPECT_FALSE(EncodeTxt({{"a=b", "x"}}).ok());
  EXPECT_FALSE(EncodeTxt({{"k", std::string(254, 'x')}}).ok());
  auto m = DecodeTxt({"K=first", "k=second", "=nokey", "flag", ""});
  EXPECT_EQ(m.at("k"), "first");  // case-insensitive; the first wins
  EXPECT_EQ(m.at("flag"), "");
  EXPECT_EQ(m.size(), 2u);
}

TEST(Txt, ParsesArguments) {
  EXPECT_EQ(ParseTxtArgument("v=1")->second, "1");
  EXPECT_FALSE(ParseTxtArgument("v").ok());
  EXPECT_FALSE(ParseTxtArgument("=1").ok());
}

}  // namespace
}  // namespace dlog::discovery
