// PQ key files: round trip, 0600 on creation, refusal of readable secret files, and
// errors a user can act on.
#include "pq/keys.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "base/hex.h"

namespace dlog::pq {
namespace {

class KeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dlog-pq-keys-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  void Write(const std::string& name, const std::string& text, mode_t mode) {
    std::ofstream(Path(name)) << text;
    chmod(Path(name).c_str(), mode);
  }
  static mode_t Mode(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(stat(path.c_str(), &st), 0);
    return st.st_mode & 07777;
  }
  std::string dir_;
};

TEST_F(KeysTest, RoundTripBothAlgorithms) {
  for (Algorithm a : {Algorithm::kKyber1024, Algorithm::kKyber768}) {
    SeededRng rng(1);
    KeyPair kp = GenerateKeyPair(a, rng);
    EXPECT_EQ(kp.public_key.size(), SizesOf(a).ek);
    ASSERT_TRUE(WriteSecretKeyFile(Path("sk"), kp).ok());
    ASSERT_TRUE(WritePublicKeyFile(Path("pk"), {a, kp.public_key}).ok());
    EXPECT_EQ(Mode(Path("sk")), 0600u);
    EXPECT_EQ(Mode(Path("pk")), 0644u);
    Result<KeyPair> back = ReadSecretKeyFile(Path("sk"));
    ASSERT_TRUE(back.ok()) << back.error();
    EXPECT_EQ(back->algorithm, a);
    EXPECT_EQ(back->public_key, kp.public_key);
    EXPECT_TRUE(std::equal(back->secret_key.span().begin(), back->secret_key.span().end(),
                           kp.secret_key.span().begin()));
    Result<PublicKey> pub = ReadPublicKeyFile(Path("pk"));
    ASSERT_TRUE(pub.ok()) << pub.error();
    EXPECT_EQ(pub->algorithm, a);
    EXPECT_EQ(pub->bytes, kp.public_key);
  }
}

TEST_F(KeysTest, SecretFileIsCreated0600EvenUnderAPermissiveUmask) {
  const mode_t old = umask(0);
  SeededRng rng(2);
  Status s = WriteSecretKeyFile(Path("sk"), GenerateKeyPair(Algorithm::kKyber768, rng));
  umask(old);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(Mode(Path("sk")), 0600u);
  // Overwriting an existing, widely readable file narrows it.
  Write("wide", "x", 0644);
  ASSERT_TRUE(WriteSecretKeyFile(Path("wide"), GenerateKeyPair(Algorithm::kKyber768, rng)).ok());
  EXPECT_EQ(Mode(Path("wide")), 0600u);
}

TEST_F(KeysTest, PublicKeyIsOnePrintableLine) {
  SeededRng rng(3);
  KeyPair kp = GenerateKeyPair(Algorithm::kKyber1024, rng);
  const std::string text = FormatPublicKey({Algorithm::kKyber1024, kp.public_key});
  EXPECT_EQ(text.rfind("dlog-pq-public ML-KEM-1024 ", 0), 0u);
  for (char c : text) EXPECT_TRUE(std::isprint(uint8_t(c))) << int(c);
  // Bare base64 works too; its length tells the parameter set.
  Result<PublicKey> bare = ParsePublicKey(ToBase64(kp.public_key));
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->algorithm, Algorithm::kKyber1024);
  KeyPair small = GenerateKeyPair(Algorithm::kKyber768, rng);
  EXPECT_EQ(ParsePublicKey(ToBase64(small.public_key))->algorithm, Algorithm::kKyber768);
}

TEST_F(KeysTest, ClearErrors) {
  SeededRng rng(4);
  KeyPair kp = GenerateKeyPair(Algorithm::kKyber1024, rng);
  ASSERT_TRUE(WriteSecretKeyFile(Path("sk"), kp).ok());
  chmod(Path("sk").c_str(), 0640);
  Result<KeyPair> r = ReadSecretKeyFile(Path("sk"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("chmod 600"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("0640"), std::string::npos) << r.error();

  r = ReadSecretKeyFile(Path("missing"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("No such file"), std::string::npos) << r.error();

  ASSERT_TRUE(WritePublicKeyFile(Path("pk"), {Algorithm::kKyber1024, kp.public_key}).ok());
  chmod(Path("pk").c_str(), 0600);
  r = ReadSecretKeyFile(Path("pk"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("public key file"), std::string::npos) << r.error();

  chmod(Path("sk").c_str(), 0600);
  Result<PublicKey> p = ReadPublicKeyFile(Path("sk"));
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().find("secret key"), std::string::npos) << p.error();

  Write("garbage", "dlog-pq-secret ML-KEM-1024 not-base64!\n", 0600);
  EXPECT_FALSE(ReadSecretKeyFile(Path("garbage")).ok());
  Write("short", "dlog-pq-secret ML-KEM-1024 AAAA\n", 0600);
  r = ReadSecretKeyFile(Path("short"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("64 bytes"), std::string::npos) << r.error();
  Write("algo", "dlog-pq-secret ML-KEM-512 AAAA\n", 0600);
  r = ReadSecretKeyFile(Path("algo"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("ML-KEM-512"), std::string::npos) << r.error();

  Bytes bad(1568, 0xFF);  // coefficients above q
  p = ParsePublicKey("dlog-pq-public ML-KEM-1024 " + ToBase64(bad));
  EXPECT_FALSE(p.ok());
  p = ParsePublicKey("dlog-pq-public ML-KEM-768 " + ToBase64(kp.public_key));
  ASSERT_FALSE(p.ok()) << "a 1024 key labelled 768";
  EXPECT_NE(p.error().find("ML-KEM-768"), std::string::npos) << p.error();
  EXPECT_FALSE(ParsePublicKey("").ok());
  EXPECT_FALSE(ParsePublicKey("a b").ok());
}

}  // namespace
}  // namespace dlog::pq
