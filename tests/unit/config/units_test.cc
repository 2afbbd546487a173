// Durations, rates and the text forms of variables and flags.
#include "config/units.h"

#include <gtest/gtest.h>

namespace dlog::config {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(DurationTest, ParsesUnitsLargestFirst) {
  EXPECT_EQ(ParseDuration("2m"), minutes(2));
  EXPECT_EQ(ParseDuration("90s"), seconds(90));
  EXPECT_EQ(ParseDuration("1h30m"), minutes(90));
  EXPECT_EQ(ParseDuration("500ms"), milliseconds(500));
  EXPECT_EQ(ParseDuration("1s500ms"), milliseconds(1500));
  EXPECT_EQ(ParseDuration("1d"), hours(24));
  EXPECT_EQ(ParseDuration("0s"), milliseconds(0));
}

TEST(DurationTest, RefusesAmbiguousOrMalformedText) {
  for (const char* bad : {"", "120", "2", "m", "2 m", " 2m", "2m ", "1.5h", "-1s", "2x", "30m1h",
                          "1m1m", "1ms1s", "2M", "1h30", "99999999999999999999d", "1000000d"})
    EXPECT_FALSE(ParseDuration(bad).has_value()) << bad;
}

TEST(DurationTest, FormatsTheShortestFormAndRoundTrips) {
  EXPECT_EQ(FormatDuration(minutes(2)), "2m");
  EXPECT_EQ(FormatDuration(minutes(90)), "1h30m");
  EXPECT_EQ(FormatDuration(milliseconds(1500)), "1s500ms");
  EXPECT_EQ(FormatDuration(hours(48)), "2d");
  EXPECT_EQ(FormatDuration(milliseconds(0)), "0s");
  for (int64_t ms : {1, 999, 1000, 61'001, 3'600'000, 86'400'001, 123'456'789})
    EXPECT_EQ(ParseDuration(FormatDuration(milliseconds(ms))), milliseconds(ms)) << ms;
}

TEST(RateTest, ParsesBitsAndBytes) {
  EXPECT_EQ(ParseRate("10mbit"), 10'000'000u);
  EXPECT_EQ(ParseRate("512kbit"), 512'000u);
  EXPECT_EQ(ParseRate("1gbit"), 1'000'000'000u);
  EXPECT_EQ(ParseRate("800bit"), 800u);
  EXPECT_EQ(ParseRate("1.5mbit"), 1'500'000u);
  EXPECT_EQ(ParseRate("10Mbit"), 10'000'000u);
  EXPECT_EQ(ParseRate("10mb"), 80'000'000u);
  EXPECT_EQ(ParseRate("125kb"), 1'000'000u);
  EXPECT_EQ(ParseRate("1GB"), 8'000'000'000u);
}

TEST(RateTest, RefusesBareNumbersAmbiguousUnitsAndFractionsOfABit) {
  for (const char* bad : {"", "10", "mbit", "10mbps", "10kbps", "10 mbit", "-1mbit", "1.mbit",
                          ".5mbit", "0.0001bit", "10mbit/s", "10tbit", "2000gbit", "1e3kbit"})
    EXPECT_FALSE(ParseRate(bad).has_value()) << bad;
}

TEST(RateTest, FormatsWithTheLargestExactUnit) {
  EXPECT_EQ(FormatRate(10'000'000), "10mbit");
  EXPECT_EQ(FormatRate(1'500'000), "1500kbit");
  EXPECT_EQ(FormatRate(800), "800bit");
  EXPECT_EQ(FormatRate(8'000'000'000), "8gbit");
  for (uint64_t r : {1u, 999u, 1000u, 1'234'567u, 100'000'000u})
    EXPECT_EQ(ParseRate(FormatRate(r)), r) << r;
}

TEST(TextTest, Booleans) {
  for (const char* t : {"true", "TRUE", "1", "yes", "Yes"}) EXPECT_EQ(ParseBoolText(t), true) << t;
  for (const char* f : {"false", "0", "no", "NO"}) EXPECT_EQ(ParseBoolText(f), false) << f;
  for (const char* bad : {"", "on", "off", "y", "2", "true "})
    EXPECT_FALSE(ParseBoolText(bad).has_value()) << bad;
}

TEST(TextTest, IntegersAndNumbers) {
  EXPECT_EQ(ParseIntText("51821"), 51821);
  EXPECT_EQ(ParseIntText("+5"), 5);
  EXPECT_EQ(ParseIntText("-5"), -5);
  for (const char* bad : {"", "+", "++5", "5x", "0x10", "1e3", "99999999999999999999"})
    EXPECT_FALSE(ParseIntText(bad).has_value()) << bad;
  EXPECT_EQ(ParseFloatText("0.2"), 0.2);
  EXPECT_EQ(ParseFloatText("1"), 1.0);
  EXPECT_EQ(ParseFloatText("1e-3"), 1e-3);
  for (const char* bad : {"", "nan", "inf", "0x1p3", "0.2.3", "1e999", "."})
    EXPECT_FALSE(ParseFloatText(bad).has_value()) << bad;
}

}  // namespace
}  // namespace dlog::config
