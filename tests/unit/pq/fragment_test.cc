// The fragment envelope and the bounded reassembler, against a naive oracle: every
// permutation, duplication and loss pattern of a message's fragments either yields
// exactly the original body (all fragments present) or nothing.
#include "pq/fragment.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "pq_sim.h"

namespace dlog::pq {
namespace {

using namespace std::chrono_literals;
using testing::Ep;
using testing::T0;

constexpr Algorithm kAlg = Algorithm::kKyber1024;

Bytes RandomBody(MsgType t, uint32_t seed) {
  std::mt19937 g(seed);
  Bytes b(MessageSize(t, kAlg));
  for (auto& x : b) x = uint8_t(g());
  return b;
}

Fragment Parse(const Bytes& d) {
  std::optional<Fragment> f = ParseFragment(d, kAlg);
  EXPECT_TRUE(f.has_value());
  return *f;
}

TEST(Fragment, SizesAndLayout) {
  EXPECT_EQ(MessageSize(MsgType::kInitHello, Algorithm::kKyber1024), 3204u);
  EXPECT_EQ(MessageSize(MsgType::kRespHello, Algorithm::kKyber1024), 3272u);
  EXPECT_EQ(MessageSize(MsgType::kInitHello, Algorithm::kKyber768), 2340u);
  EXPECT_EQ(MessageSize(MsgType::kRespHello, Algorithm::kKyber768), 2312u);
  EXPECT_EQ(MessageSize(MsgType::kInitConf, kAlg), 136u);
  EXPECT_EQ(MessageSize(MsgType::kEmptyData, kAlg), 28u);
  EXPECT_EQ(FragmentCount(3204), 3u);
  EXPECT_EQ(FragmentCount(2340), 2u);
  EXPECT_EQ(FragmentCount(136), 1u);
  const Labels l = Labels::Make(kAlg);
  const Label key = MacKeyFor(l, AsBytes("recipient public key"));
  Bytes body = RandomBody(MsgType::kInitHello, 1);
  std::vector<Bytes> f = MakeFragments(MsgType::kInitHello, 0x01020304, body, key);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].size(), kMaxDatagramSize);
  EXPECT_EQ(f[2].size(), 8 + (3204 - 2 * 1176) + 32u);
  EXPECT_EQ(f[1][0], 0x81);
  EXPECT_EQ(f[1][1], kWireVersion);
  EXPECT_EQ(f[1][2], 1);
  EXPECT_EQ(f[1][3], 3);
  EXPECT_EQ(LoadLE32(&f[1][4]), 0x01020304u);
  for (const Bytes& d : f) {
    EXPECT_TRUE(IsPqDatagram(d));
    EXPECT_TRUE(VerifyMac(d, key));
    EXPECT_FALSE(VerifyMac(d, MacKeyFor(l, AsBytes("someone else"))));
  }
}

TEST(Fragment, DemultiplexesAgainstWireGuardTypes) {
  for (uint8_t t = 1; t <= 4; ++t) EXPECT_FALSE(IsPqDatagram(Bytes{t, 0, 0, 0}));
  EXPECT_FALSE(IsPqDatagram(Bytes{}));
  EXPECT_FALSE(IsPqDatagram(Bytes{0x80}));
  EXPECT_FALSE(IsPqDatagram(Bytes{0x87}));
  // 0x85 (Rosenpass's Data) is in our range though unused: the exchange drops it.
  for (uint8_t t : {0x81, 0x82, 0x83, 0x84, 0x85, 0x86}) EXPECT_TRUE(IsPqDatagram(Bytes{t}));
}

TEST(Fragment, ParseRejectsEveryStructuralError) {
  const Labels l = Labels::Make(kAlg);
  const Label key = MacKeyFor(l, AsBytes("k"));
  std::vector<Bytes> f =
      MakeFragments(MsgType::kInitHello, 7, RandomBody(MsgType::kInitHello, 2), key);
  auto bad = [&](size_t frag, auto mutate) {
    Bytes d = f[frag];
    mutate(d);
    return !ParseFragment(d, kAlg).has_value();
  };
  EXPECT_TRUE(bad(0, [](Bytes& d) { d[0] = 0x85; }));
  EXPECT_TRUE(bad(0, [](Bytes& d) { d[0] = 0x86; }));  // CookieReply is not enveloped
  EXPECT_TRUE(bad(0, [](Bytes& d) { d[1] = 2; }));
  EXPECT_TRUE(bad(0, [](Bytes& d) { d[2] = 3; }));  // index == count
  EXPECT_TRUE(bad(0, [](Bytes& d) { d[3] = 4; }));  // count not the type's
  EXPECT_TRUE(bad(0, [](Bytes& d) { d[3] = 0; }));
  EXPECT_TRUE(bad(0, [](Bytes& d) { d[0] = 0x83; }));  // InitConf is one fragment
  EXPECT_TRUE(bad(1, [](Bytes& d) { d.pop_back(); }));
  EXPECT_TRUE(bad(2, [](Bytes& d) { d.push_back(0); }));
  EXPECT_TRUE(bad(2, [](Bytes& d) { d.resize(40); }));
  EXPECT_TRUE(bad(0, [](Bytes& d) { d.resize(kMaxDatagramSize + 1); }));
  EXPECT_TRUE(ParseFragment(f[2], kAlg).has_value());
  EXPECT_TRUE(ParseFragment(f[2], Algorithm::kKyber1024).has_value());
  EXPECT_FALSE(ParseFragment(f[2], Algorithm::kKyber768).has_value());
}

TEST(Fragment, CookieFieldIsOutsideTheMac) {
  const Labels l = Labels::Make(kAlg);
  const Label key = MacKeyFor(l, AsBytes("k"));
  Bytes d = MakeFragments(MsgType::kInitConf, 7, RandomBody(MsgType::kInitConf, 3), key)[0];
  CookieValue c;
  c.fill(0x42);
  EXPECT_FALSE(VerifyCookie(d, l, c));
  SetCookie(d, l, c);
  EXPECT_TRUE(VerifyMac(d, key));
  EXPECT_TRUE(VerifyCookie(d, l, c));
  CookieValue other = c;
  other[0] ^= 1;
  EXPECT_FALSE(VerifyCookie(d, l, other));
  d[10] ^= 1;  // the cookie covers header, chunk and mac
  EXPECT_FALSE(VerifyCookie(d, l, c));
  d[10] ^= 1;
  SetCookie(d, l, std::nullopt);
  EXPECT_TRUE(std::all_of(d.end() - 16, d.end(), [](uint8_t b) { return b == 0; }));
}

// Oracle: the message is complete exactly when every index has arrived at least once
// before the timeout, and the body is then the original.
TEST(Reassembler, AnyOrderDuplicationAndLossAgainstOracle) {
  const Label key{};
  std::mt19937 g(7);
  for (int trial = 0; trial < 2000; ++trial) {
    const MsgType t = trial % 2 ? MsgType::kInitHello : MsgType::kRespHello;
    const Bytes body = RandomBody(t, trial);
    std::vector<Bytes> frags = MakeFragments(t, trial, body, key);
    std::vector<size_t> order;
    for (size_t i = 0; i < frags.size(); ++i) {
      int copies = int(g() % 3);  // 0 (lost), 1 or 2 (duplicated)
      for (int c = 0; c < copies; ++c) order.push_back(i);
    }
    std::shuffle(order.begin(), order.end(), g);
    Reassembler r;
    std::vector<bool> seen(frags.size(), false);
    int completions = 0;
    for (size_t i : order) {
      Bytes out;
      auto o = r.Add(Ep(1), Parse(frags[i]), T0(), out);
      const bool all_before = std::all_of(seen.begin(), seen.end(), [](bool b) { return b; });
      const bool dup = seen[i];
      seen[i] = true;
      const bool all_now = std::all_of(seen.begin(), seen.end(), [](bool b) { return b; });
      if (all_before) {
        // Completed earlier; a late duplicate starts a new partial message.
        EXPECT_EQ(o, Reassembler::Outcome::kIncomplete);
        std::fill(seen.begin(), seen.end(), false);
        seen[i] = true;
      } else if (dup) {
        EXPECT_EQ(o, Reassembler::Outcome::kDuplicate);
      } else if (all_now) {
        ASSERT_EQ(o, Reassembler::Outcome::kComplete);
        EXPECT_EQ(out, body);
        ++completions;
      } else {
        EXPECT_EQ(o, Reassembler::Outcome::kIncomplete);
      }
    }
    EXPECT_LE(completions, 2);
    EXPECT_LE(r.pending(), 1u);
  }
}

TEST(Reassembler, SourcesAndMessageIdsAreKeptApart) {
  const Label key{};
  const Bytes b1 = RandomBody(MsgType::kInitHello, 1), b2 = RandomBody(MsgType::kInitHello, 2);
  auto f1 = MakeFragments(MsgType::kInitHello, 5, b1, key);
  auto f2 = MakeFragments(MsgType::kInitHello, 5, b2, key);  // same msg_id, other source
  Reassembler r;
  Bytes out;
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(r.Add(Ep(1), Parse(f1[i]), T0(), out), Reassembler::Outcome::kIncomplete);
    EXPECT_EQ(r.Add(Ep(2), Parse(f2[i]), T0(), out), Reassembler::Outcome::kIncomplete);
  }
  ASSERT_EQ(r.Add(Ep(2), Parse(f2[2]), T0(), out), Reassembler::Outcome::kComplete);
  EXPECT_EQ(out, b2);
  ASSERT_EQ(r.Add(Ep(1), Parse(f1[2]), T0(), out), Reassembler::Outcome::kComplete);
  EXPECT_EQ(out, b1);
  // Same source and msg_id, other type: a conflict, dropped.
  auto rh = MakeFragments(MsgType::kRespHello, 9, RandomBody(MsgType::kRespHello, 3), key);
  auto ih = MakeFragments(MsgType::kInitHello, 9, b1, key);
  EXPECT_EQ(r.Add(Ep(1), Parse(rh[0]), T0(), out), Reassembler::Outcome::kIncomplete);
  EXPECT_EQ(r.Add(Ep(1), Parse(ih[1]), T0(), out), Reassembler::Outcome::kConflict);
}

TEST(Reassembler, BoundsPerSourceAndInTotalEvictTheOldest) {
  const Label key{};
  Reassembler r;
  Bytes out;
  const Bytes body = RandomBody(MsgType::kInitHello, 1);
  // One source opens many messages: only the newest kMaxReassemblyPerSource survive.
  for (uint32_t id = 0; id < 10; ++id) {
    auto f = MakeFragments(MsgType::kInitHello, id, body, key);
    r.Add(Ep(1), Parse(f[0]), T0() + std::chrono::milliseconds(id), out);
  }
  EXPECT_EQ(r.pending(), kMaxReassemblyPerSource);
  EXPECT_EQ(r.stats().evicted, 10 - kMaxReassemblyPerSource);
  // The newest of them still completes; the oldest was evicted and starts over.
  auto newest = MakeFragments(MsgType::kInitHello, 9, body, key);
  r.Add(Ep(1), Parse(newest[1]), T0(), out);
  EXPECT_EQ(r.Add(Ep(1), Parse(newest[2]), T0(), out), Reassembler::Outcome::kComplete);
  auto oldest = MakeFragments(MsgType::kInitHello, 0, body, key);
  r.Add(Ep(1), Parse(oldest[1]), T0(), out);
  EXPECT_EQ(r.Add(Ep(1), Parse(oldest[2]), T0(), out), Reassembler::Outcome::kIncomplete);
  // Many sources: the total bound holds.
  Reassembler t;
  for (uint32_t i = 0; i < 1000; ++i) {
    auto f = MakeFragments(MsgType::kInitHello, i, body, key);
    t.Add(Ep(uint8_t(i), uint16_t(i)), Parse(f[0]), T0() + std::chrono::microseconds(i), out);
  }
  EXPECT_EQ(t.pending(), kMaxReassemblyTotal);
}

TEST(Reassembler, PartialMessagesExpire) {
  const Label key{};
  Reassembler r;
  Bytes out;
  const Bytes body = RandomBody(MsgType::kInitHello, 1);
  auto f = MakeFragments(MsgType::kInitHello, 1, body, key);
  r.Add(Ep(1), Parse(f[0]), T0(), out);
  EXPECT_EQ(r.NextDeadline(), T0() + kReassemblyTimeout);
  r.Expire(T0() + kReassemblyTimeout - 1ms);
  EXPECT_EQ(r.pending(), 1u);
  r.Expire(T0() + kReassemblyTimeout);
  EXPECT_EQ(r.pending(), 0u);
  EXPECT_EQ(r.stats().expired, 1u);
  EXPECT_EQ(r.NextDeadline(), TimePoint::max());
  r.Add(Ep(1), Parse(f[1]), T0() + 6s, out);
  EXPECT_EQ(r.Add(Ep(1), Parse(f[2]), T0() + 6s, out), Reassembler::Outcome::kIncomplete)
      << "fragment 0 went with the expired entry";
}

}  // namespace
}  // namespace dlog::pq
