#include "log/log_name.h"

#include <gtest/gtest.h>

namespace dlog::log {
namespace {

TEST(LogName, ParsesNamespaceAndName) {
  Result<LogName> n = LogName::Parse("payments/orders-2024_v1.0");
  ASSERT_TRUE(n.ok()) << n.error();
  EXPECT_EQ(n->ns(), "payments");
  EXPECT_EQ(n->name(), "orders-2024_v1.0");
  EXPECT_EQ(n->ToString(), "payments/orders-2024_v1.0");
}

TEST(LogName, RejectsMalformedNamesWithActionableErrors) {
  struct Case {
    const char* input;
    const char* message_part;
  };
  const Case cases[] = {
      {"orders", "no '/' found"},
      {"a/b/c", "more than one '/'"},
      {"/orders", "namespace is empty"},
      {"payments/", "log name is empty"},
      {"pay ments/orders", "has ' ' at position 3"},
      {"payments/ord\xffrs", "byte 0xff at position 3"},
      {"payments/.hidden", "must start with a letter or digit"},
      {"../etc", "must start with a letter or digit"},
      {"payments/..", "must start with a letter or digit"},
      {"payments/-x", "must start with a letter or digit"},
      {"pay:ments/x", "has ':' at position 3"},
  };
  for (const Case& c : cases) {
    Result<LogName> n = LogName::Parse(c.input);
    ASSERT_FALSE(n.ok()) << c.input;
    EXPECT_NE(n.error().find(c.message_part), std::string::npos) << c.input << ": " << n.error();
  }
}

TEST(LogName, EnforcesLengthLimits) {
  EXPECT_TRUE(LogName::Make(std::string(kMaxNamespaceLength, 'n'), "x").ok());
  EXPECT_TRUE(LogName::Make("x", std::string(kMaxLogNameLength, 'l')).ok());
  Result<LogName> ns = LogName::Make(std::string(kMaxNamespaceLength + 1, 'n'), "x");
  ASSERT_FALSE(ns.ok());
  EXPECT_NE(ns.error().find("65 characters long; the limit is 64"), std::string::npos)
      << ns.error();
  EXPECT_FALSE(LogName::Make("x", std::string(kMaxLogNameLength + 1, 'l')).ok());
}

TEST(LogName, OrdersAndCompares) {
  EXPECT_EQ(*LogName::Parse("a/b"), *LogName::Make("a", "b"));
  EXPECT_LT(*LogName::Parse("a/b"), *LogName::Parse("a/c"));
  EXPECT_LT(*LogName::Parse("a/z"), *LogName::Parse("b/a"));
  EXPECT_NE(*LogName::Parse("a/B"), *LogName::Parse("a/b"));
}

TEST(PartitionCount, Bounds) {
  EXPECT_FALSE(ValidatePartitionCount(0).ok());
  EXPECT_TRUE(ValidatePartitionCount(1).ok());
  EXPECT_TRUE(ValidatePartitionCount(kMaxPartitions).ok());
  EXPECT_FALSE(ValidatePartitionCount(kMaxPartitions + 1).ok());
}

}  // namespace
}  // namespace dlog::log
