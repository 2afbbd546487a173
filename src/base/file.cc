#include "base/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace dlog {
namespace {

std::string Errno(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

}  // namespace

void FsyncDir(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

Status WriteFileAtomic(const std::string& path, ByteSpan data, unsigned mode) {
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  unlink(tmp.c_str());  // left by a process of the same pid that died mid-write
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) return Status::Error(Errno("cannot create", tmp));
  bool ok = fchmod(fd, mode) == 0;  // umask may have narrowed it; never widened past mode
  for (size_t off = 0; ok && off < data.size();) {
    ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) off += size_t(n);
  }
  ok = ok && fsync(fd) == 0;
  const std::string err = ok ? "" : Errno("cannot write", tmp);
  close(fd);
  if (ok && rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string e = Errno("cannot rename onto", path);
    unlink(tmp.c_str());
    return Status::Error(e);
  }
  if (!ok) {
    unlink(tmp.c_str());
    return Status::Error(err);
  }
  FsyncDir(path);
  return Status::Ok();
}

}  // namespace dlog
