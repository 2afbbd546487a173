#include "obfs/keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/hex.h"
#include "crypto/blake2s.h"

namespace dlog::obfs {
namespace {

constexpr size_t kMaxSecretFileBytes = 256;

void DeriveInto(const ClusterSecret& secret, std::string_view label, uint8_t* out, size_t n) {
  uint8_t full[crypto::kBlake2sSize];
  crypto::Hmac(full, secret.span(), AsBytes(label));
  std::memcpy(out, full, n);
  SecureZero(full, sizeof full);
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(uint8_t(s[b]))) ++b;
  while (e > b && std::isspace(uint8_t(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

Result<std::string> ReadSecretFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Error("cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return Status::Error(path + ": not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", unsigned(st.st_mode & 07777));
    return Status::Error("cluster secret file " + path +
                         " is accessible to group or others (mode " + mode + "); run: chmod 600 " +
                         path);
  }
  std::string text(kMaxSecretFileBytes + 1, '\0');
  size_t len = 0;
  for (;;) {
    ssize_t n = read(fd, text.data() + len, text.size() - len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    len += size_t(n);
    if (len == text.size()) break;
  }
  close(fd);
  if (len > kMaxSecretFileBytes) {
    SecureZero(text.data(), text.size());
    return Status::Error(path + ": too large for a cluster secret file");
  }
  text.resize(len);
  return text;
}

}  // namespace

DisguiseKeys DeriveKeys(const ClusterSecret& secret) {
  DisguiseKeys k;
  DeriveInto(secret, "dlog obfs v1 head", k.head.data(), k.head.size());
  DeriveInto(secret, "dlog obfs v1 mask", k.mask.data(), k.mask.size());
  DeriveInto(secret, "dlog obfs v1 tag", k.tag.data(), k.tag.size());
  DeriveInto(secret, "dlog obfs v1 hop", k.hop.data(), k.hop.size());
  return k;
}

Result<ClusterSecret> ParseClusterSecret(std::string_view text) {
  std::string t = Trim(text);
  std::optional<Bytes> raw = t.size() == 64 ? FromHex(t) : FromBase64(t);
  SecureZero(t.data(), t.size());
  if (!raw || raw->size() != ClusterSecret::kSize) {
    if (raw) SecureZero(raw->data(), raw->size());
    return Status::Error(
        "expected a 32-byte cluster secret as base64 (44 characters) or hex (64 characters)");
  }
  ClusterSecret s(std::span<const uint8_t, 32>(raw->data(), 32));
  SecureZero(raw->data(), raw->size());
  if (s.IsZero()) return Status::Error("the cluster secret is all zeros");
  return s;
}

Result<ClusterSecret> LoadClusterSecret(const std::string& path) {
  Result<std::string> text = ReadSecretFile(path);
  if (!text.ok()) return text.status();
  Result<ClusterSecret> s = ParseClusterSecret(*text);
  SecureZero(text->data(), text->size());
  if (!s.ok()) return Status::Error(path + ": " + s.error());
  return s;
}

}  // namespace dlog::obfs
