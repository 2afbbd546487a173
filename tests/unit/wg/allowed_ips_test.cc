#include "wg/allowed_ips.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace dlog::wg {
namespace {

// --- IpPrefix --------------------------------------------------------------------

TEST(IpPrefix, ParsesAndPrintsBothFamilies) {
  const std::pair<const char*, const char*> cases[] = {
      {"10.0.0.1/32", "10.0.0.1/32"},
      {"10.0.0.0/24", "10.0.0.0/24"},
      {"0.0.0.0/0", "0.0.0.0/0"},
      {"255.255.255.255/32", "255.255.255.255/32"},
      {"fd00::/64", "fd00::/64"},
      {"::/0", "::/0"},
      {"FD00:0:0:0::1/128", "fd00::1/128"},
      {"2607:5300:6000:6b00::c05f:543/128", "2607:5300:6000:6b00::c05f:543/128"},
      {"::ffff:1.2.3.4/128", "::ffff:1.2.3.4/128"},
      {"10.0.0.1", "10.0.0.1/32"},  // a bare address is a host route, as in wg(8)
      {"fd00::1", "fd00::1/128"},
  };
  for (const auto& [in, out] : cases) {
    const auto p = IpPrefix::Parse(in);
    ASSERT_TRUE(p) << in;
    EXPECT_EQ(p->ToString(), out) << in;
    EXPECT_EQ(IpPrefix::Parse(p->ToString()), p) << in;
  }
}

TEST(IpPrefix, ClearsHostBits) {
  const std::pair<const char*, const char*> cases[] = {
      {"10.1.2.3/8", "10.0.0.0/8"},
      {"192.95.5.65/27", "192.95.5.64/27"},
      {"64.15.123.211/25", "64.15.123.128/25"},
      {"1.2.3.4/0", "0.0.0.0/0"},
      {"2404:6800:4004:800:dead:beef:dead:beef/64", "2404:6800:4004:800::/64"},
      {"2607:5300:6d8a:6bf8:dab1:f1df:c05f:1523/83", "2607:5300:6d8a:6bf8:dab1:e000::/83"},
      {"2607:5300:6d8a:6bf8:dab1:f1df:c05f:1523/21", "2607:5000::/21"},
      {"ffff::ffff/1", "8000::/1"},
  };
  for (const auto& [in, out] : cases) {
    const auto p = IpPrefix::Parse(in);
    ASSERT_TRUE(p) << in;
    EXPECT_EQ(p->ToString(), out) << in;
  }
  const auto v4 = IpPrefix::Parse("10.1.2.3/8");
  EXPECT_FALSE(v4->v6);
  EXPECT_EQ(v4->bits, 8);
  EXPECT_EQ(v4->addr, (std::array<uint8_t, 16>{10}));
}

TEST(IpPrefix, RejectsJunk) {
  const std::string junk[] = {
      "",
      "/",
      "/8",
      "10.0.0.0/",
      "10.0.0.0/33",
      "10.0.0.0/320",
      "10.0.0.0/1000",
      "10.0.0.0/-1",
      "10.0.0.0/+8",
      "10.0.0.0/08",
      "10.0.0.0/8/8",
      "10.0.0.0//8",
      "10.0.0.0/ 8",
      "10.0.0.0/8 ",
      " 10.0.0.0/8",
      "10.0.0.0/8x",
      "x10.0.0.0/8",
      "1.2.3",
      "1.2.3/24",
      "1.2.3.4.5/32",
      "256.0.0.0/8",
      "01.2.3.4/32",
      "::/129",
      "fd00::/200",
      "fd00:::1/64",
      "fd00::1::2/64",
      "fe80::1%eth0/64",
      "fd00::g/64",
      "[fd00::1]/128",
      std::string("10.0.0.0\0/8", 11),
      std::string("10.0.0.0/8\0", 11),
      "10.0.0.0/8,10.0.0.0/8",
  };
  for (const auto& s : junk) EXPECT_FALSE(IpPrefix::Parse(s)) << "'" << s << "'";
}

// --- The kernel's allowedips self-test ---------------------------------------------

enum Peer : PeerId { a = 1, b, c, d, e, f, g, h };

IpPrefix P4(uint8_t p0, uint8_t p1, uint8_t p2, uint8_t p3, int bits) {
  IpPrefix p;
  p.addr = {p0, p1, p2, p3};
  p.bits = uint8_t(bits);
  return p;
}

IpPrefix P6(uint32_t w0, uint32_t w1, uint32_t w2, uint32_t w3, int bits) {
  IpPrefix p;
  p.v6 = true;
  const uint32_t w[4] = {w0, w1, w2, w3};
  for (int i = 0; i < 16; ++i) p.addr[i] = uint8_t(w[i / 4] >> (24 - 8 * (i % 4)));
  p.bits = uint8_t(bits);
  return p;
}

std::optional<PeerId> Find(const AllowedIps& t, const IpPrefix& host) {
  return t.Lookup(host.v6, host.addr.data());
}
std::optional<PeerId> Find4(const AllowedIps& t, uint8_t a0, uint8_t a1, uint8_t a2, uint8_t a3) {
  return Find(t, P4(a0, a1, a2, a3, 32));
}
std::optional<PeerId> Find6(const AllowedIps& t, uint32_t w0, uint32_t w1, uint32_t w2,
                            uint32_t w3) {
  return Find(t, P6(w0, w1, w2, w3, 128));
}

// drivers/net/wireguard/selftest/allowedips.c: the static insertions and lookups.
TEST(AllowedIps, KernelSelfTestLookups) {
  AllowedIps t;
  t.Insert(P4(192, 168, 4, 0, 24), a);
  t.Insert(P4(192, 168, 4, 4, 32), b);
  t.Insert(P4(192, 168, 0, 0, 16), c);
  t.Insert(P4(192, 95, 5, 64, 27), d);
  t.Insert(P4(192, 95, 5, 65, 27), c);  // re-points the previous one; host bits set
  t.Insert(P6(0x26075300, 0x60006b00, 0, 0xc05f0543, 128), d);
  t.Insert(P6(0x26075300, 0x60006b00, 0, 0, 64), c);
  t.Insert(P4(0, 0, 0, 0, 0), e);
  t.Insert(P6(0, 0, 0, 0, 0), e);
  t.Insert(P6(0, 0, 0, 0, 0), f);  // re-points the previous one
  t.Insert(P6(0x24046800, 0, 0, 0, 32), g);
  t.Insert(P6(0x24046800, 0x40040800, 0xdeadbeef, 0xdeadbeef, 64), h);  // host bits set
  t.Insert(P6(0x24046800, 0x40040800, 0xdeadbeef, 0xdeadbeef, 128), a);
  t.Insert(P6(0x24446800, 0x40e40800, 0xdeaebeef, 0xdefbeef, 128), c);
  t.Insert(P6(0x24446800, 0xf0e40800, 0xeeaebeef, 0, 98), b);
  t.Insert(P4(64, 15, 112, 0, 20), g);
  t.Insert(P4(64, 15, 123, 211, 25), h);  // host bits set
  t.Insert(P4(10, 0, 0, 0, 25), a);
  t.Insert(P4(10, 0, 0, 128, 25), b);
  t.Insert(P4(10, 1, 0, 0, 30), a);
  t.Insert(P4(10, 1, 0, 4, 30), b);
  t.Insert(P4(10, 1, 0, 8, 29), c);
  t.Insert(P4(10, 1, 0, 16, 29), d);
  EXPECT_EQ(t.size(), 21u);

  EXPECT_EQ(Find4(t, 192, 168, 4, 20), a);
  EXPECT_EQ(Find4(t, 192, 168, 4, 0), a);
  EXPECT_EQ(Find4(t, 192, 168, 4, 4), b);
  EXPECT_EQ(Find4(t, 192, 168, 200, 182), c);
  EXPECT_EQ(Find4(t, 192, 95, 5, 68), c);
  EXPECT_EQ(Find4(t, 192, 95, 5, 96), e);
  EXPECT_EQ(Find6(t, 0x26075300, 0x60006b00, 0, 0xc05f0543), d);
  EXPECT_EQ(Find6(t, 0x26075300, 0x60006b00, 0, 0xc02e01ee), c);
  EXPECT_EQ(Find6(t, 0x26075300, 0x60006b01, 0, 0), f);
  EXPECT_EQ(Find6(t, 0x24046800, 0x40040806, 0, 0x1006), g);
  EXPECT_EQ(Find6(t, 0x24046800, 0x40040806, 0x1234, 0x5678), g);
  EXPECT_EQ(Find6(t, 0x240467ff, 0x40040806, 0x1234, 0x5678), f);
  EXPECT_EQ(Find6(t, 0x24046801, 0x40040806, 0x1234, 0x5678), f);
  EXPECT_EQ(Find6(t, 0x24046800, 0x40040800, 0x1234, 0x5678), h);
  EXPECT_EQ(Find6(t, 0x24046800, 0x40040800, 0, 0), h);
  EXPECT_EQ(Find6(t, 0x24046800, 0x40040800, 0x10101010, 0x10101010), h);
  EXPECT_EQ(Find6(t, 0x24046800, 0x40040800, 0xdeadbeef, 0xdeadbeef), a);
  EXPECT_EQ(Find4(t, 64, 15, 116, 26), g);
  EXPECT_EQ(Find4(t, 64, 15, 127, 3), g);
  EXPECT_EQ(Find4(t, 64, 15, 123, 1), g);
  EXPECT_EQ(Find4(t, 64, 15, 123, 128), h);
  EXPECT_EQ(Find4(t, 64, 15, 123, 129), h);
  EXPECT_EQ(Find4(t, 10, 0, 0, 52), a);
  EXPECT_EQ(Find4(t, 10, 0, 0, 220), b);
  EXPECT_EQ(Find4(t, 10, 1, 0, 2), a);
  EXPECT_EQ(Find4(t, 10, 1, 0, 6), b);
  EXPECT_EQ(Find4(t, 10, 1, 0, 10), c);
  EXPECT_EQ(Find4(t, 10, 1, 0, 20), d);

  t.Insert(P4(1, 0, 0, 0, 32), a);
  t.Insert(P4(64, 0, 0, 0, 32), a);
  t.Insert(P4(128, 0, 0, 0, 32), a);
  t.Insert(P4(192, 0, 0, 0, 32), a);
  t.Insert(P4(255, 0, 0, 0, 32), a);
  t.RemovePeer(a);
  EXPECT_NE(Find4(t, 1, 0, 0, 0), a);
  EXPECT_NE(Find4(t, 64, 0, 0, 0), a);
  EXPECT_NE(Find4(t, 128, 0, 0, 0), a);
  EXPECT_NE(Find4(t, 192, 0, 0, 0), a);
  EXPECT_NE(Find4(t, 255, 0, 0, 0), a);
  EXPECT_EQ(Find4(t, 10, 1, 0, 2), e);
  EXPECT_EQ(t.size(), 21u - 4);
  EXPECT_LE(t.NodeCount(), 2 * t.size());
}

TEST(AllowedIps, KernelSelfTestNestedRemoval) {
  AllowedIps t;
  t.Insert(P4(192, 168, 0, 0, 16), a);
  t.Insert(P4(192, 168, 0, 0, 24), a);
  t.RemovePeer(a);
  EXPECT_NE(Find4(t, 192, 168, 0, 1), a);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.NodeCount(), 0u);
}

// All-ones addresses with one bit cleared: a trie 128 levels deep.
TEST(AllowedIps, KernelSelfTestDeepestTrie) {
  AllowedIps t;
  std::vector<IpPrefix> hosts;
  for (int i = 0; i < 128; ++i) {
    IpPrefix p = P6(~0u, ~0u, ~0u, ~0u, 128);
    p.addr[i / 8] &= uint8_t(~(0x80 >> (i % 8)));
    hosts.push_back(p);
    t.Insert(p, PeerId(i + 100));
  }
  EXPECT_EQ(t.size(), 128u);
  EXPECT_LE(t.NodeCount(), 2 * t.size());
  for (int i = 0; i < 128; ++i) EXPECT_EQ(Find(t, hosts[i]), PeerId(i + 100)) << i;
  EXPECT_EQ(Find6(t, ~0u, ~0u, ~0u, ~0u), std::nullopt);
  for (int i = 0; i < 128; i += 2) t.RemovePeer(PeerId(i + 100));
  for (int i = 0; i < 128; ++i) {
    EXPECT_EQ(Find(t, hosts[i]), i % 2 ? std::optional<PeerId>(i + 100) : std::nullopt) << i;
  }
  t.Clear();
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.NodeCount(), 0u);
  EXPECT_EQ(Find(t, hosts[5]), std::nullopt);
}

TEST(AllowedIps, KernelSelfTestPrefixesOfPeer) {
  AllowedIps t;
  t.Insert(P4(192, 95, 5, 93, 27), a);
  t.Insert(P6(0x26075300, 0x60006b00, 0, 0xc05f0543, 128), a);
  t.Insert(P4(10, 1, 0, 20, 29), a);
  t.Insert(P6(0x26075300, 0x6d8a6bf8, 0xdab1f1df, 0xc05f1523, 83), a);
  t.Insert(P6(0x26075300, 0x6d8a6bf8, 0xdab1f1df, 0xc05f1523, 21), a);
  t.Insert(P4(10, 1, 0, 0, 16), b);
  std::vector<std::string> got;
  for (const IpPrefix& p : t.PrefixesOf(a)) got.push_back(p.ToString());
  const std::vector<std::string> want = {
      // Insertion order, as `wg show` lists them.
      "192.95.5.64/27", "2607:5300:6000:6b00::c05f:543/128",
      "10.1.0.16/29",   "2607:5300:6d8a:6bf8:dab1:e000::/83",
      "2607:5000::/21",
  };
  EXPECT_EQ(got, want);
  EXPECT_EQ(t.PrefixesOf(b), std::vector<IpPrefix>{P4(10, 1, 0, 0, 16)});
  EXPECT_TRUE(t.PrefixesOf(c).empty());
}

// --- Removal by (prefix, peer), as UAPI "allowed_ip=-prefix" -----------------------

TEST(AllowedIps, RemoveOnlyWhenPrefixMapsToThatPeer) {
  AllowedIps t;
  t.Insert(P4(10, 0, 0, 0, 8), a);
  t.Insert(P4(10, 1, 0, 0, 16), b);
  t.Insert(P4(10, 2, 0, 0, 16), c);                // makes a branch point at 10.0.0.0/14
  EXPECT_FALSE(t.Remove(P4(10, 1, 0, 0, 16), a));  // someone else's
  EXPECT_FALSE(t.Remove(P4(10, 1, 0, 0, 24), b));  // inside b's, but not b's
  EXPECT_FALSE(t.Remove(P4(10, 0, 0, 0, 14), b));  // a branch point, no prefix
  EXPECT_FALSE(t.Remove(P4(10, 0, 0, 0, 9), a));
  EXPECT_FALSE(t.Remove(P6(0x0a000000, 0, 0, 0, 8), a));  // other family
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(Find4(t, 10, 1, 2, 3), b);

  EXPECT_TRUE(t.Remove(P4(10, 1, 7, 7, 16), b));  // host bits are ignored
  EXPECT_FALSE(t.Remove(P4(10, 1, 0, 0, 16), b));
  EXPECT_EQ(Find4(t, 10, 1, 2, 3), a);
  EXPECT_EQ(Find4(t, 10, 2, 2, 3), c);
  EXPECT_EQ(t.size(), 2u);
  EXPECT_LE(t.NodeCount(), 2 * t.size());

  EXPECT_TRUE(t.Remove(P4(10, 0, 0, 0, 8), a));
  EXPECT_EQ(Find4(t, 10, 1, 2, 3), std::nullopt);
  EXPECT_EQ(Find4(t, 10, 2, 2, 3), c);
  EXPECT_TRUE(t.Remove(P4(10, 2, 0, 0, 16), c));
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.NodeCount(), 0u);
}

// Two /32s whose homes (their first 28 bits) part at bit 27: a branch node at 24
// above them; it must go when either does.
TEST(AllowedIps, BranchPointGoesWithItsSecondChild) {
  AllowedIps t;
  t.Insert(P4(10, 0, 0, 1, 32), a);
  t.Insert(P4(10, 0, 0, 17, 32), b);
  EXPECT_EQ(t.NodeCount(), 3u);
  EXPECT_TRUE(t.Remove(P4(10, 0, 0, 1, 32), a));
  EXPECT_EQ(t.NodeCount(), 1u);
  EXPECT_EQ(Find4(t, 10, 0, 0, 17), b);
  t.Insert(P4(10, 0, 0, 1, 32), a);
  EXPECT_EQ(t.NodeCount(), 3u);
  t.RemovePeer(b);
  EXPECT_EQ(t.NodeCount(), 1u);
  EXPECT_EQ(Find4(t, 10, 0, 0, 1), a);
  EXPECT_EQ(Find4(t, 10, 0, 0, 17), std::nullopt);
}

TEST(AllowedIps, ReinsertRepointsWithoutGrowing) {
  AllowedIps t;
  t.Insert(P6(0xfd000000, 0, 0, 0, 64), a);
  t.Insert(P6(0xfd000000, 0, 0, 1, 64), b);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(Find6(t, 0xfd000000, 0, 9, 9), b);
  EXPECT_TRUE(t.PrefixesOf(a).empty());
  EXPECT_FALSE(t.Remove(P6(0xfd000000, 0, 0, 0, 64), a));
}

// --- Naive oracle -----------------------------------------------------------------

// The same contract over a flat list: linear scan, longest match wins.
class NaiveAllowedIps {
 public:
  void Insert(IpPrefix p, PeerId peer) {
    // Re-inserting a prefix moves it to the end of its (new) peer's list, as in the
    // kernel and wireguard-go.
    p = Masked(p);
    std::erase_if(entries_, [&](const auto& en) { return en.first == p; });
    entries_.push_back({p, peer});
  }
  bool Remove(IpPrefix p, PeerId peer) {
    p = Masked(p);
    auto it = std::find_if(entries_.begin(), entries_.end(),
                           [&](const auto& en) { return en.first == p && en.second == peer; });
    if (it == entries_.end()) return false;
    entries_.erase(it);
    return true;
  }
  void RemovePeer(PeerId peer) {
    std::erase_if(entries_, [&](const auto& en) { return en.second == peer; });
  }
  void Clear() { entries_.clear(); }
  std::optional<PeerId> Lookup(bool v6, const uint8_t* addr) const {
    std::optional<PeerId> best;
    int best_bits = -1;
    for (const auto& [p, peer] : entries_) {
      if (p.v6 == v6 && p.bits > best_bits && Matches(p, addr)) {
        best = peer;
        best_bits = p.bits;
      }
    }
    return best;
  }
  std::vector<IpPrefix> PrefixesOf(PeerId peer) const {
    std::vector<IpPrefix> out;
    for (const auto& [p, owner] : entries_) {
      if (owner == peer) out.push_back(p);
    }
    return out;
  }
  size_t size() const { return entries_.size(); }
  const std::vector<std::pair<IpPrefix, PeerId>>& entries() const { return entries_; }

  static IpPrefix Masked(IpPrefix p) {
    for (int i = 0; i < 16; ++i) p.addr[i] &= ByteMask(p.bits, i);
    if (!p.v6) std::fill(p.addr.begin() + 4, p.addr.end(), 0);
    return p;
  }

 private:
  static uint8_t ByteMask(int bits, int i) {
    const int keep = std::clamp(bits - 8 * i, 0, 8);
    return uint8_t(0xff00 >> keep);
  }
  static bool Matches(const IpPrefix& p, const uint8_t* addr) {
    for (int i = 0; i < 16; ++i) {
      if ((addr[i] & ByteMask(p.bits, i)) != p.addr[i]) return false;
    }
    return true;
  }

  std::vector<std::pair<IpPrefix, PeerId>> entries_;
};

// Random prefixes that nest and share long common prefixes (mutations of earlier
// ones, as in the kernel's randomized test), and addresses biased toward them.
class PrefixGen {
 public:
  PrefixGen(uint64_t seed, int v6_percent) : rng_(seed), v6_percent_(v6_percent) {}

  IpPrefix Prefix(const NaiveAllowedIps& table) {
    IpPrefix p;
    p.v6 = int(Below(100)) < v6_percent_;
    const int max = p.v6 ? 128 : 32;
    const IpPrefix* base = Pick(table, p.v6);
    if (base && Below(4) != 0) {
      p.addr = base->addr;
      Randomise(p.addr, int(Below(max + 1)), max);  // keep a random leading part
    } else {
      Randomise(p.addr, 0, max);
    }
    const int favourite[] = {0, 8, 16, 24, 32, 48, 64, 96, 128};
    p.bits = uint8_t(Below(3) == 0 ? std::min(favourite[Below(9)], max) : int(Below(max + 1)));
    return p;
  }

  // An address inside a stored prefix (often just past its edge), or anywhere.
  IpPrefix Address(const NaiveAllowedIps& table) {
    IpPrefix host;
    host.v6 = int(Below(100)) < v6_percent_;
    const int max = host.v6 ? 128 : 32;
    host.bits = uint8_t(max);
    const IpPrefix* base = Below(5) != 0 ? Pick(table, host.v6) : nullptr;
    if (!base) {
      Randomise(host.addr, 0, max);
      return host;
    }
    host.addr = base->addr;
    switch (Below(4)) {
      case 0:
        break;  // the network address itself
      case 1:
        FlipBit(host.addr, base->bits, max);
        break;
      case 2:
        FlipBit(host.addr, base->bits - 1, max);
        break;
      default:
        Randomise(host.addr, base->bits, max);
    }
    return host;
  }

  uint64_t Below(uint64_t n) { return rng_() % n; }

 private:
  const IpPrefix* Pick(const NaiveAllowedIps& table, bool v6) {
    const auto& en = table.entries();
    if (en.empty()) return nullptr;
    for (int tries = 0; tries < 4; ++tries) {
      const IpPrefix& p = en[Below(en.size())].first;
      if (p.v6 == v6) return &p;
    }
    return nullptr;
  }
  void Randomise(std::array<uint8_t, 16>& addr, int keep_bits, int max) {
    for (int i = keep_bits; i < max; ++i) {
      const uint8_t bit = uint8_t(0x80 >> (i % 8));
      addr[i / 8] = uint8_t((addr[i / 8] & ~bit) | (Below(2) ? bit : 0));
    }
  }
  static void FlipBit(std::array<uint8_t, 16>& addr, int i, int max) {
    if (i >= 0 && i < max) addr[i / 8] ^= uint8_t(0x80 >> (i % 8));
  }

  std::mt19937_64 rng_;
  int v6_percent_;
};

constexpr PeerId kPeers = 24;

// The node count of the minimal trie for naive's prefixes, per the layout documented in
// allowed_ips.cc: a node at each prefix's home (its first 4 * ((bits - 1) / 4) bits,
// or none for /0) and at each nibble where the paths of two homes part. Taken in
// (address, depth) order, which is trie pre-order, every parting point is that of two
// neighbours.
size_t CanonicalNodeCount(const NaiveAllowedIps& naive) {
  using Node = std::tuple<bool, std::array<uint8_t, 16>, int>;  // family, key, depth
  auto node = [](IpPrefix p, int depth) {
    p.bits = uint8_t(depth);
    p = NaiveAllowedIps::Masked(p);
    return Node(p.v6, p.addr, depth);
  };
  std::set<Node> homes;
  for (const auto& [p, peer] : naive.entries()) {
    homes.insert(node(p, p.bits == 0 ? 0 : (p.bits - 1) / 4 * 4));
  }
  if (homes.empty()) return 0;
  std::set<Node> nodes = homes;
  for (auto x = homes.begin(), y = std::next(x); y != homes.end(); x = y++) {
    const auto& [xv6, xa, xd] = *x;
    const auto& [yv6, ya, yd] = *y;
    if (xv6 != yv6) continue;
    int common = 0;
    while (common < 128 && !((xa[common / 8] ^ ya[common / 8]) << (common % 8) & 0x80)) {
      ++common;
    }
    IpPrefix at;
    at.v6 = xv6;
    at.addr = xa;
    nodes.insert(node(at, std::min({common / 4 * 4, xd, yd})));
  }
  return nodes.size();
}

void ExpectSameTables(const AllowedIps& t, const NaiveAllowedIps& naive, const char* where) {
  ASSERT_EQ(t.size(), naive.size()) << where;
  ASSERT_EQ(t.NodeCount(), CanonicalNodeCount(naive)) << where;
  for (PeerId peer = 0; peer < kPeers; ++peer) {
    ASSERT_EQ(t.PrefixesOf(peer), naive.PrefixesOf(peer)) << where << ", peer " << peer;
  }
}

// `ops` random operations on both tables; every lookup and every 50th step's
// listing must agree.
void RunAgainstNaive(uint64_t seed, int v6_percent, int ops) {
  AllowedIps t;
  NaiveAllowedIps naive;
  PrefixGen gen(seed, v6_percent);
  int removed = 0, hits = 0;
  for (int i = 0; i < ops; ++i) {
    const std::string where = "seed " + std::to_string(seed) + " op " + std::to_string(i);
    const uint64_t roll = gen.Below(1000);
    if (roll < 350) {
      const IpPrefix p = gen.Prefix(naive);
      const PeerId peer = PeerId(gen.Below(kPeers));
      t.Insert(p, peer);
      naive.Insert(p, peer);
    } else if (roll < 480 && naive.size() > 0) {
      const auto& [p, owner] = naive.entries()[gen.Below(naive.size())];
      const PeerId peer = gen.Below(3) == 0 ? PeerId(gen.Below(kPeers)) : owner;
      const IpPrefix copy = p;
      const bool want = naive.Remove(copy, peer);
      ASSERT_EQ(t.Remove(copy, peer), want) << where << " " << copy.ToString();
      removed += want;
    } else if (roll < 520) {
      const IpPrefix p = gen.Prefix(naive);
      const PeerId peer = PeerId(gen.Below(kPeers));
      ASSERT_EQ(t.Remove(p, peer), naive.Remove(p, peer)) << where << " " << p.ToString();
    } else if (roll < 535) {
      const PeerId peer = PeerId(gen.Below(kPeers));
      t.RemovePeer(peer);
      naive.RemovePeer(peer);
    } else if (roll < 537) {
      t.Clear();
      naive.Clear();
    } else {
      const IpPrefix host = gen.Address(naive);
      const auto want = naive.Lookup(host.v6, host.addr.data());
      ASSERT_EQ(t.Lookup(host.v6, host.addr.data()), want) << where << " " << host.ToString();
      hits += want.has_value();
    }
    if (i % 50 == 0) ExpectSameTables(t, naive, where.c_str());
  }
  ExpectSameTables(t, naive, "end");
  EXPECT_GT(hits, ops / 5) << "lookups should mostly land in stored prefixes";
  EXPECT_GT(removed, ops / 30);
  for (PeerId peer = 0; peer < kPeers; ++peer) t.RemovePeer(peer);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.NodeCount(), 0u);
}

TEST(AllowedIps, MatchesNaiveModelIPv4) {
  for (uint64_t seed = 1; seed <= 8; ++seed) RunAgainstNaive(seed, 0, 3000);
}

TEST(AllowedIps, MatchesNaiveModelIPv6) {
  for (uint64_t seed = 101; seed <= 108; ++seed) RunAgainstNaive(seed, 100, 3000);
}

TEST(AllowedIps, MatchesNaiveModelMixed) {
  for (uint64_t seed = 201; seed <= 208; ++seed) RunAgainstNaive(seed, 50, 3000);
}

// The kernel's randomized test, scaled down: many nested routes, then peers removed
// one at a time with lookups in between, until the trie must be empty.
TEST(AllowedIps, MatchesNaiveModelWhilePeersLeave) {
  AllowedIps t;
  NaiveAllowedIps naive;
  PrefixGen gen(7, 50);
  constexpr PeerId kManyPeers = 64;
  for (int i = 0; i < 4000; ++i) {
    const IpPrefix p = gen.Prefix(naive);
    const PeerId peer = PeerId(gen.Below(kManyPeers));
    t.Insert(p, peer);
    naive.Insert(p, peer);
  }
  ASSERT_EQ(t.size(), naive.size());
  for (PeerId leaving = 0; leaving <= kManyPeers; ++leaving) {
    for (int q = 0; q < 300; ++q) {
      const IpPrefix host = gen.Address(naive);
      ASSERT_EQ(t.Lookup(host.v6, host.addr.data()), naive.Lookup(host.v6, host.addr.data()))
          << "after " << leaving << " peers left, " << host.ToString();
    }
    t.RemovePeer(leaving);
    naive.RemovePeer(leaving);
    ASSERT_EQ(t.size(), naive.size());
    ASSERT_EQ(t.NodeCount(), CanonicalNodeCount(naive)) << leaving << " peers left";
  }
  EXPECT_EQ(t.NodeCount(), 0u);
}

}  // namespace
}  // namespace dlog::wg
