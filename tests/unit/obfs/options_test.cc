// obfs::Options: the [network.wireguard.dpi_evasion] keys, their values and errors.
#include "obfs/options.h"

#include <gtest/gtest.h>

namespace dlog::obfs {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

TEST(OptionsTest, DefaultsMatchTheIssue) {
  Options o;
  EXPECT_TRUE(o.dpi_resistance);
  EXPECT_FALSE(o.random_padding || o.traffic_shaping || o.port_hopping || o.decoy_traffic);
  EXPECT_EQ(o.padding_min, 0u);
  EXPECT_EQ(o.padding_max, 256u);
  EXPECT_EQ(o.target_rate_bps, 10'000'000u);
  EXPECT_EQ(o.port_min, 10000);
  EXPECT_EQ(o.port_max, 60000);
  EXPECT_EQ(o.hop_interval, minutes(5));
  EXPECT_DOUBLE_EQ(o.decoy_ratio, 0.2);
}

TEST(OptionsTest, ParsesTheSeedsTomlSections) {
  const char* text = R"(
[network]
protocol = "wireguard"          # another layer's section: skipped
[network.wireguard]
listen_port = 51820
quantum_resistant = true
dpi_resistance = true
[network.wireguard.dpi_evasion]
random_padding = true      # padding_range = [0, 256]
padding_range = [16, 300]
traffic_shaping = true
target_rate = "8mbit"
port_hopping = true
port_range = [20000, 20100]
hop_interval = "3s"
decoy_traffic = true
decoy_ratio = 0.25
max_datagram = 1400
stock_peers = ["192.0.2.0/24", "[2001:db8::7]:51820"]
stock_roaming = true
shaping_idle = "30s"
decoy_max_delay = "5ms"
[replication]
mode = "async"
)";
  auto r = ParseOptions(text, "dlog.toml");
  ASSERT_TRUE(r.ok()) << r.error();
  const Options& o = *r;
  EXPECT_TRUE(o.dpi_resistance && o.random_padding && o.traffic_shaping && o.port_hopping &&
              o.decoy_traffic && o.stock_roaming);
  EXPECT_EQ(o.padding_min, 16u);
  EXPECT_EQ(o.padding_max, 300u);
  EXPECT_EQ(o.target_rate_bps, 8'000'000u);
  EXPECT_EQ(o.port_min, 20000);
  EXPECT_EQ(o.port_max, 20100);
  EXPECT_EQ(o.hop_interval, seconds(3));
  EXPECT_DOUBLE_EQ(o.decoy_ratio, 0.25);
  EXPECT_EQ(o.max_datagram, 1400u);
  ASSERT_EQ(o.stock_peers.size(), 2u);
  EXPECT_EQ(o.stock_peers[0].prefix.ToString(), "192.0.2.0/24");
  EXPECT_EQ(o.stock_peers[0].port, 0);
  EXPECT_EQ(o.stock_peers[1].prefix.ToString(), "2001:db8::7/128");
  EXPECT_EQ(o.stock_peers[1].port, 51820);
  EXPECT_EQ(o.shaping_idle, seconds(30));
  EXPECT_EQ(o.decoy_max_delay, std::chrono::milliseconds(5));
}

TEST(OptionsTest, InlineFormWithSemicolons) {
  auto r = ParseOptions("random_padding=true;padding_range=[0,64];dpi_resistance=false", "env");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_TRUE(r->random_padding);
  EXPECT_EQ(r->padding_max, 64u);
  EXPECT_FALSE(r->dpi_resistance);
}

TEST(OptionsTest, Rates) {
  EXPECT_EQ(ParseRate("10mbit"), 10'000'000u);
  EXPECT_EQ(ParseRate("10Mbit/s"), 10'000'000u);
  EXPECT_EQ(ParseRate("10mbps"), 10'000'000u);
  EXPECT_EQ(ParseRate("512kbit"), 512'000u);
  EXPECT_EQ(ParseRate("1.5gbit"), 1'500'000'000u);
  EXPECT_EQ(ParseRate("2500000"), 2'500'000u);
  EXPECT_FALSE(ParseRate("0mbit"));
  EXPECT_FALSE(ParseRate("-1mbit"));
  EXPECT_FALSE(ParseRate("fast"));
  EXPECT_FALSE(ParseRate("10 furlongs"));
  EXPECT_FALSE(ParseRate(""));
}

TEST(OptionsTest, StockPeers) {
  auto p = ParseStockPeer("192.0.2.7:51820");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->prefix.ToString(), "192.0.2.7/32");
  EXPECT_EQ(p->port, 51820);
  p = ParseStockPeer("fd00::/64");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->prefix.ToString(), "fd00::/64");
  EXPECT_EQ(p->port, 0);
  EXPECT_FALSE(ParseStockPeer("192.0.2.7:0"));
  EXPECT_FALSE(ParseStockPeer("[fd00::1]"));
  EXPECT_FALSE(ParseStockPeer("example.com"));
  EXPECT_FALSE(ParseStockPeer("192.0.2.0/33"));
}

struct BadCase {
  const char* text;
  const char* expect;  // substring of the error
};

TEST(OptionsTest, ErrorsNameSourceLineKeyAndForm) {
  const BadCase cases[] = {
      {"random_padding = yes", "cfg:1: random_padding: expected true or false"},
      {"\n\npadding_range = [300, 10]", "cfg:3: padding_range: expected [min, max]"},
      {"padding_range = [0, 70000]", "padding_range: expected"},
      {"target_rate = \"fast\"", "target_rate: expected a positive rate"},
      {"port_range = [0, 100]", "port_range: expected"},
      {"hop_interval = \"500ms\"", "hop_interval: expected a duration of at least 1 s"},
      {"decoy_ratio = 11", "decoy_ratio: expected"},
      {"decoy_ratio = nan", "decoy_ratio: expected"},
      {"max_datagram = 100", "max_datagram: expected"},
      {"stock_peers = [\"nope\"]", "got \"nope\""},
      {"colour = blue", "cfg:1: unknown key 'colour'"},
      {"[network.wireguard]\nmtu = 1", "cfg:2: unknown key 'mtu' in [network.wireguard]"},
      {"random_padding", "cfg:1: expected key = value"},
  };
  for (const BadCase& c : cases) {
    auto r = ParseOptions(c.text, "cfg");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.error().find(c.expect), std::string::npos) << c.text << " → " << r.error();
  }
}

TEST(OptionsTest, ValidateCatchesCrossFieldMistakes) {
  Options o;
  EXPECT_TRUE(ValidateOptions(o).ok());
  o.port_hopping = true;
  o.port_min = o.port_max = kWireGuardPort;
  EXPECT_FALSE(ValidateOptions(o).ok());
  o = Options{};
  o.padding_min = 10;
  o.padding_max = 5;
  EXPECT_FALSE(ValidateOptions(o).ok());
}

}  // namespace
}  // namespace dlog::obfs
