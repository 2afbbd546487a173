// ML-KEM: naive oracles for the arithmetic, then every vector in
// /work/shared/vectors/ml-kem (see its SOURCE.md). A missing vector file fails the test.
#include "crypto/mlkem.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "base/hex.h"
#include "crypto/keccak.h"
#include "crypto/mlkem_poly.h"

namespace dlog::crypto {

// Test names and failure messages show "ML-KEM-768" rather than a raw byte.
void PrintTo(MlKemParams p, std::ostream* os) { *os << MlKemName(p); }

namespace {

using json = nlohmann::json;
namespace mk = mlkem;

constexpr MlKemParams kAllParams[] = {MlKemParams::kMlKem512, MlKemParams::kMlKem768,
                                      MlKemParams::kMlKem1024};

// --- Vector files ---

std::string VectorPath(const std::string& rel) {
  return std::string(DLOG_SHARED_DIR) + "/vectors/ml-kem/" + rel;
}

std::string ReadFile(const std::string& rel) {
  std::ifstream in(VectorPath(rel), std::ios::binary);
  if (!in) throw std::runtime_error("missing test vector file " + VectorPath(rel));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

json LoadJson(const std::string& rel) { return json::parse(ReadFile(rel)); }

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

std::vector<std::string> GunzipLines(const std::string& rel) {
  gzFile f = gzopen(VectorPath(rel).c_str(), "rb");
  if (!f) throw std::runtime_error("missing test vector file " + VectorPath(rel));
  std::string text;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) text.append(buf, size_t(n));
  gzclose(f);
  if (n < 0) throw std::runtime_error("corrupt gzip file " + VectorPath(rel));
  return SplitLines(text);
}

Bytes Hex(const json& v) {
  std::optional<Bytes> b = FromHex(v.get<std::string>());
  if (!b) throw std::runtime_error("bad hex in vector file");
  return *b;
}

MlKemParams ParamsNamed(const std::string& name) {
  std::optional<MlKemParams> p = MlKemParamsFromName(name);
  if (!p) throw std::runtime_error("unknown parameter set " + name);
  return *p;
}

Bytes KeyBytes(const MlKemSharedKey& k) { return Bytes(k.data(), k.data() + k.size()); }

std::string ShortName(MlKemParams p) { return std::string(MlKemName(p)).substr(7); }

// --- Z_q arithmetic against `%` and `/` ---

TEST(MlKemField, CondSubQAndReduceMatchModulo) {
  for (uint32_t x = 0; x < 2 * mk::kQ; ++x) ASSERT_EQ(mk::CondSubQ(x), x % mk::kQ) << x;
  for (uint32_t x = 0; x < (1u << 25); ++x) ASSERT_EQ(mk::Reduce(x), x % mk::kQ) << x;
  for (uint32_t x = 0xFFFFFFFF; x > 0xFFFFFFFF - (1u << 20); --x) {
    ASSERT_EQ(mk::Reduce(x), x % mk::kQ) << x;
  }
}

TEST(MlKemField, DivQIsExactBelow2To23) {
  for (uint32_t n = 0; n < (1u << 23); ++n) ASSERT_EQ(mk::DivQ(n), n / mk::kQ) << n;
}

TEST(MlKemField, CompressDecompressMatchRationalRounding) {
  for (int d : {1, 4, 5, 10, 11}) {
    for (uint32_t x = 0; x < mk::kQ; ++x) {
      mk::Poly f{};
      f.c[0] = uint16_t(x);
      mk::Compress(f, d);
      // round(2^d x / q) = floor((2^(d+1) x + q) / 2q)
      uint32_t want = ((x << (d + 1)) + mk::kQ) / (2 * mk::kQ) % (1u << d);
      ASSERT_EQ(f.c[0], want) << "d=" << d << " x=" << x;
    }
    for (uint32_t y = 0; y < (1u << d); ++y) {
      mk::Poly f{};
      f.c[0] = uint16_t(y);
      mk::Decompress(f, d);
      uint32_t want = (2 * mk::kQ * y + (1u << d)) >> (d + 1);
      ASSERT_EQ(f.c[0], want) << "d=" << d << " y=" << y;
    }
  }
}

// --- R_q and T_q against schoolbook arithmetic ---

mk::Poly RandomPoly(Rng& rng) {
  mk::Poly f;
  for (uint16_t& x : f.c) x = uint16_t(rng.Uniform(mk::kQ));
  return f;
}

// f · g in Z_q[X]/(X^256 + 1), O(n^2).
mk::Poly SchoolbookMultiply(const mk::Poly& f, const mk::Poly& g) {
  int64_t acc[mk::kN] = {};
  for (int i = 0; i < mk::kN; ++i) {
    for (int j = 0; j < mk::kN; ++j) {
      int64_t prod = int64_t{f.c[i]} * g.c[j];
      if (i + j < mk::kN) {
        acc[i + j] += prod;
      } else {
        acc[i + j - mk::kN] -= prod;  // X^256 = -1
      }
    }
  }
  mk::Poly h;
  for (int i = 0; i < mk::kN; ++i) h.c[i] = uint16_t(((acc[i] % mk::kQ) + mk::kQ) % mk::kQ);
  return h;
}

TEST(MlKemPoly, InverseNttUndoesNtt) {
  SeededRng rng(9);
  for (int trial = 0; trial < 50; ++trial) {
    mk::Poly f = RandomPoly(rng), g = f;
    mk::Ntt(g);
    mk::InverseNtt(g);
    ASSERT_EQ(f.c, g.c);
  }
}

TEST(MlKemPoly, NttMultiplicationMatchesSchoolbook) {
  SeededRng rng(10);
  for (int trial = 0; trial < 20; ++trial) {
    mk::Poly f = RandomPoly(rng), g = RandomPoly(rng);
    mk::Poly f_hat = f, g_hat = g, h{};
    mk::Ntt(f_hat);
    mk::Ntt(g_hat);
    mk::MultiplyNttsAdd(h, f_hat, g_hat);
    mk::InverseNtt(h);
    ASSERT_EQ(h.c, SchoolbookMultiply(f, g).c) << "trial " << trial;
  }
}

TEST(MlKemPoly, ByteEncodeDecodeRoundTrip) {
  SeededRng rng(11);
  for (int d = 1; d <= 12; ++d) {
    mk::Poly f, g;
    for (uint16_t& x : f.c) x = uint16_t(rng.Uniform(d == 12 ? mk::kQ : 1u << d));
    Bytes enc(32 * d);
    mk::ByteEncode(f, d, enc.data());
    mk::ByteDecode(enc.data(), d, g);
    ASSERT_EQ(f.c, g.c) << "d=" << d;
  }
  // Alg. 5 packs least significant bit first: coefficient 0 of ByteEncode_1 is bit 0.
  mk::Poly one{};
  one.c[0] = 1;
  one.c[9] = 1;
  uint8_t enc1[32];
  mk::ByteEncode(one, 1, enc1);
  EXPECT_EQ(enc1[0], 0x01);
  EXPECT_EQ(enc1[1], 0x02);
}

TEST(MlKemPoly, ByteDecode12ReducesModQ) {
  Bytes all_ones(384, 0xFF);
  mk::Poly f;
  mk::ByteDecode(all_ones.data(), 12, f);
  for (uint16_t x : f.c) ASSERT_EQ(x, 4095 % mk::kQ);
}

// Alg. 8 written literally: b = BytesToBits(B), x = Σ b[2iη + j], y = Σ b[2iη + η + j].
TEST(MlKemPoly, SamplePolyCbdMatchesSpecification) {
  SeededRng rng(12);
  for (int eta : {2, 3}) {
    Bytes b(64 * eta);
    rng.Fill(b);
    std::vector<int> bits;
    for (uint8_t byte : b) {
      for (int k = 0; k < 8; ++k) bits.push_back((byte >> k) & 1);
    }
    mk::Poly f;
    mk::SamplePolyCbd(b.data(), eta, f);
    for (int i = 0; i < mk::kN; ++i) {
      int x = 0, y = 0;
      for (int j = 0; j < eta; ++j) {
        x += bits[2 * i * eta + j];
        y += bits[2 * i * eta + eta + j];
      }
      ASSERT_EQ(f.c[i], (x - y + int(mk::kQ)) % int(mk::kQ)) << "eta=" << eta << " i=" << i;
    }
  }
}

// Alg. 7 written literally: three bytes at a time from one SHAKE128 stream.
TEST(MlKemPoly, SampleNttMatchesSpecification) {
  SeededRng rng(13);
  uint8_t rho[32];
  rng.Fill(rho);
  mk::Poly a;
  mk::SampleNtt(rho, 2, 1, a);
  Shake128 xof;
  uint8_t ji[2] = {2, 1};
  xof.Absorb({rho, 32}).Absorb(ji);
  int j = 0;
  while (j < 256) {
    uint8_t c[3];
    xof.Squeeze(c);
    int d1 = c[0] + 256 * (c[1] % 16), d2 = c[1] / 16 + 16 * c[2];
    if (d1 < int(mk::kQ)) {
      ASSERT_EQ(a.c[j++], d1);
    }
    if (d2 < int(mk::kQ) && j < 256) {
      ASSERT_EQ(a.c[j++], d2);
    }
  }
}

// --- API behaviour ---

class MlKemApi : public testing::TestWithParam<MlKemParams> {};

TEST_P(MlKemApi, RoundTripAndImplicitRejection) {
  const MlKemParams params = GetParam();
  SeededRng rng(uint64_t(params) + 100);
  for (int trial = 0; trial < 20; ++trial) {
    MlKemKeyPair kp = MlKemKeyGen(params, rng);
    ASSERT_EQ(kp.ek.size(), MlKemEncapsKeySize(params));
    ASSERT_EQ(kp.dk.size(), MlKemDecapsKeySize(params));
    ASSERT_TRUE(MlKemCheckEncapsKey(params, kp.ek).ok());
    ASSERT_TRUE(MlKemCheckDecapsKey(params, kp.dk.span()).ok());

    Result<MlKemEncapsulation> enc = MlKemEncaps(params, kp.ek, rng);
    ASSERT_TRUE(enc.ok()) << enc.error();
    ASSERT_EQ(enc->ciphertext.size(), MlKemCiphertextSize(params));
    Result<MlKemSharedKey> key = MlKemDecaps(params, kp.dk.span(), enc->ciphertext);
    ASSERT_TRUE(key.ok()) << key.error();
    EXPECT_TRUE(*key == enc->shared_key);

    // A flipped bit is rejected implicitly: the key is J(z ‖ c) (Alg. 18).
    Bytes bad = enc->ciphertext;
    bad[rng.Uniform(uint32_t(bad.size()))] ^= uint8_t(1u << rng.Uniform(8));
    Result<MlKemSharedKey> rejected = MlKemDecaps(params, kp.dk.span(), bad);
    ASSERT_TRUE(rejected.ok());
    uint8_t j[32];
    Shake256::Hash({kp.dk.span().last(32), bad}, j);
    EXPECT_EQ(KeyBytes(*rejected), Bytes(j, j + 32));
    EXPECT_FALSE(*rejected == enc->shared_key);
  }
}

TEST_P(MlKemApi, RejectsBadInputsWithErrors) {
  const MlKemParams params = GetParam();
  SeededRng rng(7);
  MlKemKeyPair kp = MlKemKeyGen(params, rng);
  Bytes ct(MlKemCiphertextSize(params), 0);

  Bytes long_ek = kp.ek;
  long_ek.push_back(0);
  EXPECT_FALSE(MlKemEncaps(params, long_ek, rng).ok());
  EXPECT_FALSE(MlKemEncaps(params, ByteSpan(kp.ek).first(kp.ek.size() - 1), rng).ok());
  Bytes m(31);
  EXPECT_FALSE(MlKemEncapsInternal(params, kp.ek, m).ok());

  // Coefficient 1 of t̂_0 := q, the smallest unreduced value (§7.2).
  Bytes unreduced = kp.ek;
  unreduced[1] = uint8_t((unreduced[1] & 0x0F) | (mk::kQ & 0x0F) << 4);
  unreduced[2] = uint8_t(mk::kQ >> 4);
  Result<MlKemEncapsulation> e = MlKemEncaps(params, unreduced, rng);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().find("7.2"), std::string::npos) << e.error();

  EXPECT_FALSE(MlKemDecaps(params, kp.dk.span(), ByteSpan(ct).first(ct.size() - 1)).ok());
  Bytes long_ct = ct;
  long_ct.push_back(0);
  EXPECT_FALSE(MlKemDecaps(params, kp.dk.span(), long_ct).ok());
  Bytes dk(kp.dk.span().begin(), kp.dk.span().end());
  EXPECT_FALSE(MlKemDecaps(params, ByteSpan(dk).first(dk.size() - 1), ct).ok());
  dk[dk.size() - 64 - 1] ^= 1;  // last byte of the embedded ek: H(ek) no longer matches (§7.3)
  Result<MlKemSharedKey> k = MlKemDecaps(params, dk, ct);
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.error().find("7.3"), std::string::npos) << k.error();

  EXPECT_FALSE(MlKemKeyGenInternal(params, Bytes(63)).ok());
  EXPECT_FALSE(MlKemKeyGenInternal(params, Bytes(65)).ok());
}

TEST_P(MlKemApi, KeyGenFromRngIsKeyGenInternalOfItsBytes) {
  const MlKemParams params = GetParam();
  SeededRng a(5), b(5);
  MlKemKeyPair from_rng = MlKemKeyGen(params, a);
  Bytes seed(64);
  b.Fill(seed);
  Result<MlKemKeyPair> from_seed = MlKemKeyGenInternal(params, seed);
  ASSERT_TRUE(from_seed.ok());
  EXPECT_EQ(from_rng.ek, from_seed->ek);
  EXPECT_TRUE(std::equal(from_rng.dk.span().begin(), from_rng.dk.span().end(),
                         from_seed->dk.span().begin(), from_seed->dk.span().end()));
}

INSTANTIATE_TEST_SUITE_P(All, MlKemApi, testing::ValuesIn(kAllParams),
                         [](const auto& info) { return ShortName(info.param); });

TEST(MlKemApiMisc, NamesSizesAndUnknownParams) {
  EXPECT_EQ(MlKemParamsFromName("ML-KEM-768"), MlKemParams::kMlKem768);
  EXPECT_FALSE(MlKemParamsFromName("Kyber768").has_value());
  EXPECT_EQ(MlKemCiphertextSize(MlKemParams::kMlKem512), 768u);
  EXPECT_EQ(MlKemDecapsKeySize(MlKemParams::kMlKem1024), 3168u);
  const auto bogus = static_cast<MlKemParams>(7);
  EXPECT_FALSE(MlKemKeyGenInternal(bogus, Bytes(64)).ok());
  EXPECT_FALSE(MlKemDecaps(bogus, Bytes(3168), Bytes(1568)).ok());
  EXPECT_FALSE(MlKemCheckEncapsKey(bogus, Bytes(1568)).ok());
}

TEST(MlKemApiMisc, DecapsKeyWipesAndMoves) {
  SeededRng rng(1);
  MlKemKeyPair kp = MlKemKeyGen(MlKemParams::kMlKem512, rng);
  MlKemDecapsKey moved = std::move(kp.dk);
  EXPECT_EQ(kp.dk.size(), 0u);  // NOLINT(bugprone-use-after-move): documented state
  ASSERT_EQ(moved.size(), 1632u);
  moved.Wipe();
  for (uint8_t b : moved.span()) ASSERT_EQ(b, 0);
}

// --- ACVP (NIST) ---

TEST(MlKemVectors, AcvpKeyGen) {
  json v = LoadJson("acvp/ML-KEM-keyGen-FIPS203/internalProjection.json");
  int count = 0;
  for (const json& g : v.at("testGroups")) {
    MlKemParams params = ParamsNamed(g.at("parameterSet"));
    for (const json& t : g.at("tests")) {
      SCOPED_TRACE(testing::Message() << "tcId " << t.at("tcId"));
      Bytes seed = Hex(t.at("d"));
      Bytes z = Hex(t.at("z"));
      seed.insert(seed.end(), z.begin(), z.end());
      Result<MlKemKeyPair> kp = MlKemKeyGenInternal(params, seed);
      ASSERT_TRUE(kp.ok()) << kp.error();
      EXPECT_EQ(kp->ek, Hex(t.at("ek")));
      EXPECT_EQ(Bytes(kp->dk.span().begin(), kp->dk.span().end()), Hex(t.at("dk")));
      ++count;
    }
  }
  EXPECT_EQ(count, 75);
}

TEST(MlKemVectors, AcvpEncapDecap) {
  json v = LoadJson("acvp/ML-KEM-encapDecap-FIPS203/internalProjection.json");
  int encaps = 0, decaps = 0;
  for (const json& g : v.at("testGroups")) {
    MlKemParams params = ParamsNamed(g.at("parameterSet"));
    const bool is_encaps = g.at("function") == "encapsulation";
    for (const json& t : g.at("tests")) {
      SCOPED_TRACE(testing::Message() << "tcId " << t.at("tcId"));
      if (is_encaps) {
        Result<MlKemEncapsulation> e = MlKemEncapsInternal(params, Hex(t.at("ek")), Hex(t.at("m")));
        ASSERT_TRUE(e.ok()) << e.error();
        EXPECT_EQ(e->ciphertext, Hex(t.at("c")));
        EXPECT_EQ(KeyBytes(e->shared_key), Hex(t.at("k")));
        ++encaps;
      } else {
        Result<MlKemSharedKey> k = MlKemDecaps(params, Hex(g.at("dk")), Hex(t.at("c")));
        ASSERT_TRUE(k.ok()) << k.error();
        EXPECT_EQ(KeyBytes(*k), Hex(t.at("k"))) << t.at("reason");
        ++decaps;
      }
    }
  }
  EXPECT_EQ(encaps, 75);
  EXPECT_EQ(decaps, 30);
}

// --- Wycheproof ---

class MlKemWycheproof : public testing::TestWithParam<MlKemParams> {
 protected:
  // Calls check(test, params, valid) for every test of the file and checks the count.
  template <typename Check>
  void ForEachTest(const std::string& kind, Check check) {
    std::string file = "wycheproof/mlkem_" + ShortName(GetParam()) + kind + ".json";
    json v = LoadJson(file);
    int count = 0;
    for (const json& g : v.at("testGroups")) {
      MlKemParams params = ParamsNamed(g.at("parameterSet"));
      ASSERT_EQ(params, GetParam());
      for (const json& t : g.at("tests")) {
        SCOPED_TRACE(testing::Message()
                     << file << " tcId " << t.at("tcId") << " " << t.value("comment", ""));
        const std::string result = t.at("result");
        ASSERT_TRUE(result == "valid" || result == "invalid") << result;
        check(t, params, result == "valid");
        ++count;
      }
    }
    EXPECT_EQ(count, v.at("numberOfTests").get<int>());
  }
};

TEST_P(MlKemWycheproof, KeyGenSeed) {
  ForEachTest("_keygen_seed_test", [](const json& t, MlKemParams params, bool valid) {
    ASSERT_TRUE(valid);
    Result<MlKemKeyPair> kp = MlKemKeyGenInternal(params, Hex(t.at("seed")));
    ASSERT_TRUE(kp.ok()) << kp.error();
    EXPECT_EQ(kp->ek, Hex(t.at("ek")));
    EXPECT_EQ(Bytes(kp->dk.span().begin(), kp->dk.span().end()), Hex(t.at("dk")));
  });
}

// KeyGen from the seed, then Decaps.
TEST_P(MlKemWycheproof, Decaps) {
  ForEachTest("_test", [](const json& t, MlKemParams params, bool valid) {
    Result<MlKemKeyPair> kp = MlKemKeyGenInternal(params, Hex(t.at("seed")));
    if (!kp.ok()) {
      EXPECT_FALSE(valid) << "key generation failed: " << kp.error();
      return;
    }
    if (t.contains("ek")) {
      EXPECT_EQ(kp->ek, Hex(t.at("ek")));
    }
    Result<MlKemSharedKey> k = MlKemDecaps(params, kp->dk.span(), Hex(t.at("c")));
    ASSERT_EQ(k.ok(), valid) << (k.ok() ? "accepted" : k.error());
    if (valid) {
      EXPECT_EQ(KeyBytes(*k), Hex(t.at("K")));
    }
  });
}

TEST_P(MlKemWycheproof, Encaps) {
  ForEachTest("_encaps_test", [](const json& t, MlKemParams params, bool valid) {
    Result<MlKemEncapsulation> e = MlKemEncapsInternal(params, Hex(t.at("ek")), Hex(t.at("m")));
    ASSERT_EQ(e.ok(), valid) << (e.ok() ? "accepted" : e.error());
    if (!valid) return;
    EXPECT_EQ(e->ciphertext, Hex(t.at("c")));
    EXPECT_EQ(KeyBytes(e->shared_key), Hex(t.at("K")));
  });
}

TEST_P(MlKemWycheproof, SemiExpandedDecaps) {
  ForEachTest("_semi_expanded_decaps_test", [](const json& t, MlKemParams params, bool valid) {
    Result<MlKemSharedKey> k = MlKemDecaps(params, Hex(t.at("dk")), Hex(t.at("c")));
    ASSERT_EQ(k.ok(), valid) << (k.ok() ? "accepted" : k.error());
    if (valid) {
      EXPECT_EQ(KeyBytes(*k), Hex(t.at("K")));
    }
  });
}

INSTANTIATE_TEST_SUITE_P(All, MlKemWycheproof, testing::ValuesIn(kAllParams),
                         [](const auto& info) { return ShortName(info.param); });

// --- CCTV ---

class MlKemCctv : public testing::TestWithParam<MlKemParams> {};

// dk, c, K: the correct answer is the implicit-rejection key, which a strcmp-style
// comparison of c with c' would miss.
TEST_P(MlKemCctv, Strcmp) {
  std::map<std::string, Bytes> kv;
  for (const std::string& line :
       SplitLines(ReadFile("cctv/strcmp/" + std::string(MlKemName(GetParam())) + ".txt"))) {
    size_t eq = line.find(" = ");
    ASSERT_NE(eq, std::string::npos) << line;
    kv[line.substr(0, eq)] = Hex(line.substr(eq + 3));
  }
  ASSERT_EQ(kv.size(), 3u);
  Result<MlKemSharedKey> k = MlKemDecaps(GetParam(), kv.at("dk"), kv.at("c"));
  ASSERT_TRUE(k.ok()) << k.error();
  EXPECT_EQ(KeyBytes(*k), kv.at("K"));
}

// Every line is an encapsulation key with one unreduced coefficient: all must be rejected.
TEST_P(MlKemCctv, ModulusEveryKeyRejected) {
  const MlKemParams params = GetParam();
  std::vector<std::string> lines =
      GunzipLines("cctv/modulus/" + std::string(MlKemName(params)) + ".txt.gz");
  const size_t expected_lines = params == MlKemParams::kMlKem512   ? 775
                                : params == MlKemParams::kMlKem768 ? 780
                                                                   : 1040;
  ASSERT_EQ(lines.size(), expected_lines);
  SeededRng rng(1);
  for (size_t i = 0; i < lines.size(); ++i) {
    Bytes ek = Hex(lines[i]);
    ASSERT_EQ(ek.size(), MlKemEncapsKeySize(params)) << "line " << i + 1;
    Status s = MlKemCheckEncapsKey(params, ek);
    ASSERT_FALSE(s.ok()) << "line " << i + 1;
    EXPECT_NE(s.message().find("7.2"), std::string::npos) << s.message();
    ASSERT_FALSE(MlKemEncaps(params, ek, rng).ok()) << "line " << i + 1;
  }
}

INSTANTIATE_TEST_SUITE_P(All, MlKemCctv, testing::ValuesIn(kAllParams),
                         [](const auto& info) { return ShortName(info.param); });

}  // namespace
}  // namespace dlog::crypto
