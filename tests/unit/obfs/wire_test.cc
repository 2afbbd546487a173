// obfs wire format: round trips, tamper detection, silence for strangers, and the
// byte-level properties DPI looks at (Wu et al., USENIX Security 2023).
#include "obfs/wire.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <bit>
#include <cstring>
#include <set>

#include "base/rng.h"

namespace dlog::obfs {
namespace {

ClusterSecret SecretOf(uint8_t fill) {
  ClusterSecret s;
  std::memset(s.data(), fill, s.size());
  return s;
}

// A stock WireGuard transport message: type 4, zero reserved, index, counter, body.
Bytes Transport(uint32_t index, uint64_t counter, size_t body, SeededRng& rng) {
  Bytes m(16 + body);
  m[0] = 4;
  StoreLE32(m.data() + 4, index);
  StoreLE64(m.data() + 8, counter);
  rng.Fill({m.data() + 16, body});
  return m;
}

Bytes Initiation(SeededRng& rng) {
  Bytes m(148, 0);
  m[0] = 1;
  StoreLE32(m.data() + 4, 0x11223344);
  rng.Fill({m.data() + 8, 116});  // ephemeral, static, timestamp, mac1; mac2 stays zero
  return m;
}

class WireTest : public ::testing::Test {
 protected:
  DisguiseKeys keys = DeriveKeys(SecretOf(0x5a));
  SeededRng rng{42};

  Bytes SealIt(ByteSpan inner, Kind kind, size_t prefix, size_t padding, uint32_t t = 1000) {
    SealSpec s;
    s.kind = kind;
    s.prefix_len = prefix;
    s.padding = padding;
    s.time_s = t;
    Bytes out(SealedSize(kind, inner.size(), prefix, padding));
    Seal(keys, s, inner, rng, out);
    return out;
  }
  Bytes SealReal(ByteSpan inner, size_t padding = 0) {
    return SealIt(inner, KindOf(inner), kMinPrefix + rng.Uniform(9), padding);
  }
};

TEST_F(WireTest, RoundTripEveryKindSizePrefixAndPadding) {
  for (size_t n : {0, 1, 15, 16, 17, 32, 63, 64, 65, 92, 148, 1000, 1452, 4000}) {
    for (size_t prefix : {kMinPrefix, size_t(12), kMaxPrefix}) {
      for (size_t padding : {0, 1, 100, 256}) {
        Bytes inner(n);
        rng.Fill(inner);
        if (n >= 16 && n % 2) inner[0] = 4;  // some are transport
        const Kind kind = KindOf(inner);
        Bytes d = SealIt(inner, kind, prefix, padding, 77);
        ASSERT_EQ(d.size(), SealedSize(kind, n, prefix, padding));
        Opened o = Open(keys, d);
        ASSERT_TRUE(o.ok()) << n << " " << prefix << " " << padding;
        EXPECT_EQ(o.kind, kind);
        EXPECT_EQ(o.prefix_len, prefix);
        EXPECT_EQ(o.padding, padding);
        EXPECT_TRUE(std::equal(o.inner.begin(), o.inner.end(), inner.begin(), inner.end()));
        if (kind == Kind::kMessage) {
          EXPECT_EQ(o.time_s, 77u);
        }
      }
    }
  }
}

TEST_F(WireTest, ChaffOpensAsChaff) {
  SealSpec s;
  s.kind = Kind::kChaff;
  s.prefix_len = 10;
  s.chaff_len = 300;
  Bytes d(SealedSize(Kind::kChaff, 300, 10, 0));
  Seal(keys, s, {}, rng, d);
  Opened o = Open(keys, d);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o.kind, Kind::kChaff);
  EXPECT_EQ(o.inner.size(), 300u);
}

TEST_F(WireTest, TransportMasksOnlyTheWireGuardHeader) {
  Bytes inner = Transport(7, 9, 64, rng);
  Bytes d = SealIt(inner, Kind::kTransport, 8, 0);
  const size_t body_at = 8 + 1 + 8 + 3 + 16;
  // The AEAD ciphertext travels as it is (it is already indistinguishable from random);
  // only the cleartext header is masked.
  EXPECT_EQ(std::memcmp(d.data() + body_at, inner.data() + 16, 64), 0);
  EXPECT_NE(std::memcmp(d.data() + body_at - 16, inner.data(), 16), 0);
}

// The head of the mask is SipHash-2-4 with 128-bit output (libsodium's siphashx24 gives
// its first 16 bytes) over nonce = tag ‖ prefix[0..4), squeezed for 8 more bytes.
TEST_F(WireTest, HeadMaskIsSipHash128OfTheNonce) {
  for (int round = 0; round < 50; ++round) {
    Bytes inner = Transport(uint32_t(round), uint64_t(round) * 77, 40, rng);
    const size_t prefix = kMinPrefix + size_t(round) % 9;
    Bytes d = SealIt(inner, Kind::kTransport, prefix, 0);
    const uint8_t* tag = d.data() + prefix + kSeparatorSize;
    const uint8_t* region = tag + kTagSize;
    uint8_t nonce[kNonceSize];
    std::memcpy(nonce, tag, kTagSize);
    std::memcpy(nonce + kTagSize, d.data(), kNonceSize - kTagSize);
    uint8_t expect[crypto_shorthash_siphashx24_BYTES];
    crypto_shorthash_siphashx24(expect, nonce, sizeof nonce, keys.head.data());
    uint8_t plain[kHeaderSize + kMaskedInnerHeader] = {uint8_t(Kind::kTransport),
                                                       uint8_t(inner.size()), 0};
    std::memcpy(plain + kHeaderSize, inner.data(), kMaskedInnerHeader);
    for (size_t i = 0; i < sizeof expect; ++i)
      ASSERT_EQ(uint8_t(region[i] ^ plain[i]), expect[i]) << "round " << round << " byte " << i;
    // Bytes 16..18 come from the third output word: not a repeat of the first two.
    bool differs = false;
    for (size_t i = 16; i < sizeof plain; ++i)
      differs |= uint8_t(region[i] ^ plain[i]) != expect[i - 16] &&
                 uint8_t(region[i] ^ plain[i]) != expect[i - 8];
    EXPECT_TRUE(differs);
  }
}

TEST_F(WireTest, EveryBitFlipInTheAuthenticatedPartIsRejected) {
  for (Bytes inner : {Transport(1, 2, 48, rng), Initiation(rng)}) {
    Bytes d = SealIt(inner, KindOf(inner), 11, 5);
    const size_t authenticated = 11 + 1 + 8 + MaskedLength(KindOf(inner), inner.size());
    for (size_t i = 0; i < authenticated; ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        Bytes t = d;
        t[i] ^= uint8_t(1 << bit);
        EXPECT_FALSE(Open(keys, t).ok()) << "byte " << i << " bit " << bit;
      }
    }
  }
}

TEST_F(WireTest, TruncatedOrExtendedDatagramsAreRejected) {
  Bytes d = SealReal(Initiation(rng), 20);
  for (size_t cut = 1; cut < d.size(); cut += 7) {
    Bytes t(d.begin(), d.end() - cut);
    EXPECT_FALSE(Open(keys, t).ok()) << cut;
  }
  Bytes longer = d;
  longer.push_back(0x41);
  EXPECT_FALSE(Open(keys, longer).ok()) << "the size is authenticated";
}

TEST_F(WireTest, AnotherSecretOpensNothing) {
  DisguiseKeys other = DeriveKeys(SecretOf(0x5b));
  for (int i = 0; i < 500; ++i) {
    Bytes d = SealReal(Transport(i, i, 32 + i % 100, rng), i % 50);
    const OpenError e = Open(other, d).error;
    EXPECT_TRUE(e == OpenError::kTag || e == OpenError::kHeader) << int(e);
  }
}

TEST_F(WireTest, StrangersWithPrintablePrefixesAreRejected) {
  size_t accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    Bytes d(20 + rng.Uniform(1400));
    rng.Fill(d);
    const size_t prefix = kMinPrefix + rng.Uniform(9);
    for (size_t j = 0; j < prefix; ++j) d[j] = kPrefixAlphabet[d[j] & 63];
    d[prefix] = 0x80 | d[prefix];
    accepted += Open(keys, d).ok();
  }
  EXPECT_EQ(accepted, 0u);
}

TEST_F(WireTest, StockWireGuardIsNotADisguisedDatagram) {
  Bytes init = Initiation(rng);
  EXPECT_EQ(Open(keys, init).error, OpenError::kPrefix);
  Bytes t = Transport(1, 1, 32, rng);
  EXPECT_EQ(Open(keys, t).error, OpenError::kPrefix);
  Bytes tiny(5, 'a');
  EXPECT_EQ(Open(keys, tiny).error, OpenError::kShort);
  Bytes all_printable(200, 'a');  // no separator within 16 bytes
  EXPECT_EQ(Open(keys, all_printable).error, OpenError::kPrefix);
}

// --- what a classifier sees -----------------------------------------------------------

// The Great Firewall's exemptions for the first data packet of a flow (Wu et al., §4):
// any one of them exempts the packet from being treated as fully encrypted.
struct GfwVerdict {
  double popcount_per_byte;
  bool ex1_popcount, ex2_first_six_printable, ex3_half_printable, ex4_run_over_20, ex5_tls_http;
  bool exempt() const {
    return ex1_popcount || ex2_first_six_printable || ex3_half_printable || ex4_run_over_20 ||
           ex5_tls_http;
  }
};

GfwVerdict Gfw(ByteSpan d) {
  GfwVerdict v{};
  size_t bits = 0, printable = 0, run = 0, longest = 0;
  for (uint8_t b : d) {
    bits += size_t(std::popcount(b));
    const bool p = IsPrintable(b);
    printable += p;
    run = p ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  v.popcount_per_byte = double(bits) / double(d.size());
  v.ex1_popcount = v.popcount_per_byte <= 3.4 || v.popcount_per_byte >= 4.6;
  v.ex2_first_six_printable = d.size() >= 6 && std::all_of(d.begin(), d.begin() + 6, IsPrintable);
  v.ex3_half_printable = printable * 2 > d.size();
  v.ex4_run_over_20 = longest > 20;
  v.ex5_tls_http = d.size() >= 3 &&
                   ((d[0] == 0x16 && d[1] == 3 && d[2] <= 3) ||
                    std::memcmp(d.data(), "GET", 3) == 0 || std::memcmp(d.data(), "POS", 3) == 0);
  return v;
}

TEST_F(WireTest, EveryDatagramFallsInTheFirstSixPrintableExemption) {
  size_t would_be_blocked_without_prefix = 0;
  for (int i = 0; i < 2000; ++i) {
    Bytes inner = i % 3 ? Transport(i, i, 16 * (2 + i % 80), rng) : Initiation(rng);
    Bytes d = SealReal(inner, rng.Uniform(257));
    GfwVerdict v = Gfw(d);
    ASSERT_TRUE(v.ex2_first_six_printable) << i;
    ASSERT_TRUE(v.exempt());
    // The rest of the datagram alone looks fully encrypted: the prefix is what exempts it.
    GfwVerdict rest = Gfw(ByteSpan(d).subspan(kMaxPrefix + 1));
    would_be_blocked_without_prefix += !rest.exempt();
  }
  EXPECT_GT(would_be_blocked_without_prefix, 1500u) << "the oracle must be able to fail";
}

TEST_F(WireTest, NoOffsetCarriesAFixedValue) {
  // The same inner header every time (index 7, counter 0): stock WireGuard would show
  // identical bytes 0..15; the disguise shows none.
  constexpr size_t kOffsets = 48, kSamples = 1000;
  std::vector<std::set<uint8_t>> seen(kOffsets);
  for (size_t i = 0; i < kSamples; ++i) {
    Bytes d = SealReal(Transport(7, 0, 64, rng));  // fresh ciphertext, same header
    for (size_t k = 0; k < kOffsets; ++k) seen[k].insert(d[k]);
  }
  for (size_t k = 0; k < kOffsets; ++k)
    EXPECT_GE(seen[k].size(), 40u) << "offset " << k << " takes too few values";
}

TEST_F(WireTest, HandshakeSizesVaryEvenWithoutPadding) {
  std::set<size_t> sizes;
  for (int i = 0; i < 200; ++i) sizes.insert(SealReal(Initiation(rng)).size());
  EXPECT_EQ(sizes.size(), kMaxPrefix - kMinPrefix + 1);
  EXPECT_FALSE(sizes.count(148));
}

}  // namespace
}  // namespace dlog::obfs
