#include "pq/keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <vector>

#include "base/file.h"
#include "base/hex.h"

namespace dlog::pq {

namespace {

constexpr size_t kMaxKeyFileBytes = 8192;

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(uint8_t(s[b]))) ++b;
  while (e > b && std::isspace(uint8_t(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::vector<std::string> Words(std::string_view s) {
  std::vector<std::string> w;
  std::istringstream in{std::string(s)};
  for (std::string x; in >> x;) w.push_back(x);
  return w;
}

std::string Errno(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

Result<std::string> ReadSmallFile(const std::string& path, bool secret) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Error(Errno("cannot open", path));
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return Status::Error(path + ": not a regular file");
  }
  if (secret && (st.st_mode & 077) != 0) {
    close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", unsigned(st.st_mode & 07777));
    return Status::Error("secret key file " + path + " is accessible to group or others (mode " +
                         mode + "); run: chmod 600 " + path);
  }
  std::string text(kMaxKeyFileBytes + 1, '\0');
  size_t len = 0;
  for (;;) {
    ssize_t n = read(fd, text.data() + len, text.size() - len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    len += size_t(n);
    if (len == text.size()) break;
  }
  close(fd);
  if (len > kMaxKeyFileBytes) {
    SecureZero(text.data(), text.size());
    return Status::Error(path + ": too large for a key file");
  }
  text.resize(len);
  return text;
}

Result<Algorithm> ParseAlgorithm(const std::string& name, const std::string& where) {
  std::optional<Algorithm> a = AlgorithmFromName(name);
  if (!a)
    return Status::Error(where + ": unknown algorithm '" + name +
                         "' (expected ML-KEM-1024 or ML-KEM-768)");
  return *a;
}

}  // namespace

KeyPair GenerateKeyPair(Algorithm a, Rng& rng) {
  Secret<64> seed;
  rng.Fill(seed.span());
  Result<KeyPair> kp = KeyPairFromSeed(a, seed);
  return std::move(kp.value());  // a 64-byte seed always generates
}

Result<KeyPair> KeyPairFromSeed(Algorithm a, const Secret<64>& seed) {
  Result<KemKeyPair> kp = KemKeyFromSeed(a, seed.span());
  if (!kp.ok()) return kp.status();
  KeyPair out;
  out.algorithm = a;
  out.seed = seed;
  out.public_key = std::move(kp->ek);
  out.secret_key = std::move(kp->dk);
  return out;
}

std::string FormatPublicKey(const PublicKey& key) {
  return std::string(kPublicKeyTag) + " " + AlgorithmStandardName(key.algorithm) + " " +
         ToBase64(key.bytes);
}

Result<PublicKey> ParsePublicKey(std::string_view text) {
  std::vector<std::string> w = Words(text);
  if (!w.empty() && w[0] == kSecretKeyTag)
    return Status::Error("this is a secret key, not a public key: never share it");
  std::optional<Algorithm> want;
  std::string b64;
  if (w.size() == 3 && w[0] == kPublicKeyTag) {
    Result<Algorithm> a = ParseAlgorithm(w[1], "public key");
    if (!a.ok()) return a.status();
    want = *a;
    b64 = w[2];
  } else if (w.size() == 1) {
    b64 = w[0];
  } else {
    return Status::Error(std::string("not a PQ public key: expected \"") + kPublicKeyTag +
                         " ML-KEM-1024 <base64>\"");
  }
  std::optional<Bytes> raw = FromBase64(b64);
  if (!raw) return Status::Error("public key: invalid base64");
  PublicKey key;
  if (want) {
    key.algorithm = *want;
  } else if (raw->size() == SizesOf(Algorithm::kKyber768).ek) {
    key.algorithm = Algorithm::kKyber768;
  } else {
    key.algorithm = Algorithm::kKyber1024;
  }
  key.bytes = std::move(*raw);
  if (Status s = KemCheckPublicKey(key.algorithm, key.bytes); !s.ok()) return s;
  return key;
}

Status WriteSecretKeyFile(const std::string& path, const KeyPair& key) {
  std::string text = std::string(kSecretKeyTag) + " " + AlgorithmStandardName(key.algorithm) + " " +
                     ToBase64(key.seed.span()) + "\n";
  Status s = WriteFileAtomic(path, AsBytes(text), 0600);
  SecureZero(text.data(), text.size());
  return s;
}

Status WritePublicKeyFile(const std::string& path, const PublicKey& key) {
  return WriteFileAtomic(path, AsBytes(FormatPublicKey(key) + "\n"), 0644);
}

Result<KeyPair> ReadSecretKeyFile(const std::string& path) {
  Result<std::string> text = ReadSmallFile(path, /*secret=*/true);
  if (!text.ok()) return text.status();
  std::vector<std::string> w = Words(*text);
  SecureZero(text->data(), text->size());
  auto wipe = [&] {
    for (std::string& x : w) SecureZero(x.data(), x.size());
  };
  if (w.size() != 3 || w[0] != kSecretKeyTag) {
    const bool looks_public = !w.empty() && w[0] == kPublicKeyTag;
    wipe();
    return Status::Error(path + (looks_public ? ": a public key file, not a secret key"
                                              : ": not a dlog-pq secret key file (expected \"" +
                                                    std::string(kSecretKeyTag) +
                                                    " ML-KEM-1024 <base64>\")"));
  }
  Result<Algorithm> a = ParseAlgorithm(w[1], path);
  std::optional<Bytes> seed = FromBase64(w[2]);
  wipe();
  if (!a.ok()) return a.status();
  if (!seed || seed->size() != 64) {
    if (seed) SecureZero(seed->data(), seed->size());
    return Status::Error(path + ": the key is not 64 bytes of base64");
  }
  Secret<64> s{std::span<const uint8_t, 64>(seed->data(), 64)};
  SecureZero(seed->data(), seed->size());
  return KeyPairFromSeed(*a, s);
}

Result<PublicKey> ReadPublicKeyFile(const std::string& path) {
  Result<std::string> text = ReadSmallFile(path, /*secret=*/false);
  if (!text.ok()) return text.status();
  Result<PublicKey> key = ParsePublicKey(Trim(*text));
  SecureZero(text->data(), text->size());  // in case it was a secret key file after all
  if (!key.ok()) return Status::Error(path + ": " + key.error());
  return key;
}

}  // namespace dlog::pq
