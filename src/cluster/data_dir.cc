#include "cluster/data_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/file.h"
#include "base/hex.h"

namespace dlog::cluster {
namespace {

constexpr size_t kMaxFileBytes = size_t(4) << 20;  // cluster.state: ~1.9 MB at 1024 members

std::string Errno(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

std::string ModeText(mode_t m) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", unsigned(m & 07777));
  return buf;
}

std::string TrimLine(const Bytes& b) {
  std::string s(b.begin(), b.end());
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

Result<Secret<32>> ParseKey32(const Bytes& text, const std::string& path) {
  std::string line = TrimLine(text);
  auto b = FromBase64(line);
  SecureZero(line.data(), line.size());
  if (!b || b->size() != 32) {
    if (b) SecureZero(b->data(), b->size());
    return Status::Error(path + ": expected one line with a 32-byte key in base64");
  }
  Secret<32> k(std::span<const uint8_t, 32>(b->data(), 32));
  SecureZero(b->data(), b->size());
  return k;
}

Status WriteKey32(const std::string& path, const Secret<32>& key) {
  std::string text = ToBase64(key.span()) + "\n";
  Status s = WriteFileAtomic(path, AsBytes(text), 0600);
  SecureZero(text.data(), text.size());
  return s;
}

}  // namespace

Result<std::optional<Bytes>> ReadFileChecked(const std::string& path, bool secret) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<Bytes>();
    return Status::Error(Errno("cannot open", path));
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return Status::Error(path + ": not a regular file");
  }
  if (secret && (st.st_mode & 077) != 0) {
    close(fd);
    return Status::Error("key file " + path + " is accessible to group or others (mode " +
                         ModeText(st.st_mode) + "); run: chmod 600 " + path);
  }
  if (size_t(st.st_size) > kMaxFileBytes) {
    close(fd);
    return Status::Error(path + ": larger than any file DLog writes there");
  }
  Bytes b(size_t(st.st_size));
  size_t len = 0;
  while (len < b.size()) {
    ssize_t n = read(fd, b.data() + len, b.size() - len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    len += size_t(n);
  }
  close(fd);
  b.resize(len);
  return std::optional<Bytes>(std::move(b));
}

Result<DataDir> DataDir::Open(const std::string& path) {
  if (path.empty()) return Status::Error("the data directory path is empty");
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return Status::Error(Errno("cannot inspect", path));
    if (mkdir(path.c_str(), 0700) != 0) return Status::Error(Errno("cannot create", path));
    if (lstat(path.c_str(), &st) != 0) return Status::Error(Errno("cannot inspect", path));
  }
  if (!S_ISDIR(st.st_mode)) return Status::Error(path + " exists and is not a directory");
  if ((st.st_mode & 077) != 0) {
    return Status::Error("data directory " + path + " is accessible to group or others (mode " +
                         ModeText(st.st_mode) + "); it holds keys. Run: chmod 700 " + path);
  }
  return DataDir(path);
}

std::string DataDir::FilePath(const char* name) const { return path_ + "/" + name; }

Result<NodeKeys> DataDir::LoadOrCreateNodeKeys(const std::string& configured_name,
                                               pq::Algorithm algorithm, Rng& rng, bool* created) {
  if (created) *created = false;
  if (!configured_name.empty() && !IsValidName(configured_name)) {
    return Status::Error("node name \"" + configured_name +
                         "\" is not 1 to 63 of [A-Za-z0-9._-] starting with a letter or digit");
  }
  const std::string key_path = FilePath("node.key");
  auto key_file = ReadFileChecked(key_path, true);
  if (!key_file.ok()) return key_file.status();
  if (!*key_file) {
    NodeKeys k = GenerateNodeKeys(algorithm, rng, configured_name);
    if (Status s = WriteKey32(key_path, k.wg_private); !s.ok()) return s;
    if (Status s = pq::WriteSecretKeyFile(FilePath("node.pq"), k.pq); !s.ok()) return s;
    FsyncDir(FilePath("node.pq"));
    if (Status s = WriteFileAtomic(FilePath("node.name"), AsBytes(k.name + "\n"), 0600); !s.ok()) {
      return s;
    }
    if (created) *created = true;
    return k;
  }
  NodeKeys k;
  auto priv = ParseKey32(**key_file, key_path);
  SecureZero((*key_file)->data(), (*key_file)->size());
  if (!priv.ok()) return priv.status();
  k.wg_private = *priv;
  k.wg_public = crypto::PublicKeyOf(k.wg_private);
  const std::string pq_path = FilePath("node.pq");
  if (auto pq_file = ReadFileChecked(pq_path, true); !pq_file.ok()) return pq_file.status();
  auto pq_key = pq::ReadSecretKeyFile(pq_path);
  if (!pq_key.ok()) return pq_key.status();
  k.pq = std::move(*pq_key);
  auto name = ReadFileChecked(FilePath("node.name"), true);
  if (!name.ok()) return name.status();
  k.name = *name ? TrimLine(**name) : "";
  if (!configured_name.empty() && configured_name != k.name) {
    k.name = configured_name;
    if (Status s = WriteFileAtomic(FilePath("node.name"), AsBytes(k.name + "\n"), 0600); !s.ok()) {
      return s;
    }
  }
  if (k.name.empty()) k.name = DefaultNodeName(k.wg_public);
  if (!IsValidName(k.name)) return Status::Error(FilePath("node.name") + ": not a valid name");
  return k;
}

Status DataDir::SaveNodeKey(const crypto::X25519Private& key) {
  return WriteKey32(FilePath("node.key"), key);
}

Status DataDir::SavePendingKey(const crypto::X25519Private& key) {
  return WriteKey32(FilePath("node.key.next"), key);
}

Result<std::optional<crypto::X25519Private>> DataDir::LoadPendingKey() {
  const std::string p = FilePath("node.key.next");
  auto f = ReadFileChecked(p, true);
  if (!f.ok()) return f.status();
  if (!*f) return std::optional<crypto::X25519Private>();
  auto k = ParseKey32(**f, p);
  SecureZero((*f)->data(), (*f)->size());
  if (!k.ok()) return k.status();
  return std::optional<crypto::X25519Private>(*k);
}

Status DataDir::RemovePendingKey() {
  if (unlink(FilePath("node.key.next").c_str()) != 0 && errno != ENOENT) {
    return Status::Error(Errno("cannot remove", FilePath("node.key.next")));
  }
  FsyncDir(FilePath("node.key.next"));
  return Status::Ok();
}

Status DataDir::SaveClusterKeys(const ClusterKeys& keys) {
  if (Status s = WriteKey32(FilePath("cluster.sign"), keys.seed); !s.ok()) return s;
  return WriteKey32(FilePath("cluster.secret"), keys.secret);
}

Result<std::optional<ClusterKeys>> DataDir::LoadClusterKeys() {
  const std::string sp = FilePath("cluster.sign"), cp = FilePath("cluster.secret");
  auto sf = ReadFileChecked(sp, true);
  if (!sf.ok()) return sf.status();
  auto cf = ReadFileChecked(cp, true);
  if (!cf.ok()) return cf.status();
  if (!*sf && !*cf) return std::optional<ClusterKeys>();
  if (!*sf || !*cf) {
    return Status::Error("only one of " + sp + " and " + cp + " exists; both or neither must");
  }
  auto seed = ParseKey32(**sf, sp);
  auto secret = ParseKey32(**cf, cp);
  SecureZero((*sf)->data(), (*sf)->size());
  SecureZero((*cf)->data(), (*cf)->size());
  if (!seed.ok()) return seed.status();
  if (!secret.ok()) return secret.status();
  return std::optional<ClusterKeys>(ClusterKeysFromSeed(*seed, *secret));
}

Status DataDir::SaveState(ByteSpan encoded) {
  return WriteFileAtomic(FilePath("cluster.state"), encoded, 0600);
}

Result<std::optional<Bytes>> DataDir::LoadState() {
  return ReadFileChecked(FilePath("cluster.state"), true);
}

}  // namespace dlog::cluster
