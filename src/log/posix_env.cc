#include "log/posix_env.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace dlog::log {
namespace {

Status PosixError(const std::string& context, int err) {
  return Status::Error(context + ": " + std::strerror(err));
}

// Retries `op` while it fails with EINTR; returns its last result.
template <typename Op>
auto RetryEintr(Op op) {
  for (;;) {
    auto r = op();
    if (r >= 0 || errno != EINTR) return r;
  }
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixWritableFile() override { ::close(fd_); }

  Status Append(ByteSpan data) override {
    while (!data.empty()) {
      const ssize_t n = RetryEintr([&] { return ::write(fd_, data.data(), data.size()); });
      if (n < 0) return PosixError("write " + path_, errno);
      data = data.subspan(size_t(n));
    }
    return Status::Ok();
  }

  Status Sync() override {
    if (RetryEintr([&] { return ::fdatasync(fd_); }) != 0) {
      return PosixError("fdatasync " + path_, errno);
    }
    return Status::Ok();
  }

 private:
  std::string path_;
  int fd_;
};

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }

  Result<ByteSpan> Read(uint64_t offset, size_t n, uint8_t* scratch) const override {
    size_t got = 0;
    while (got < n) {
      const ssize_t r =
          RetryEintr([&] { return ::pread(fd_, scratch + got, n - got, off_t(offset + got)); });
      if (r < 0) return PosixError("pread " + path_, errno);
      if (r == 0) break;
      got += size_t(r);
    }
    return ByteSpan(scratch, got);
  }

 private:
  std::string path_;
  int fd_;
};

class PosixEnv final : public Env {
 public:
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    return OpenForAppend(path, O_TRUNC);
  }
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override {
    return OpenForAppend(path, 0);
  }

  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override {
    const int fd = RetryEintr([&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); });
    if (fd < 0) return PosixError("open " + path, errno);
    return std::unique_ptr<RandomAccessFile>(new PosixRandomAccessFile(path, fd));
  }

  bool FileExists(const std::string& path) override {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
  }
  bool DirExists(const std::string& path) override {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  }

  Result<uint64_t> GetFileSize(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return PosixError("stat " + path, errno);
    return uint64_t(st.st_size);
  }

  Result<std::vector<std::string>> GetChildren(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return PosixError("opendir " + dir, errno);
    std::vector<std::string> names;
    while (const dirent* e = ::readdir(d)) {
      if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
        names.emplace_back(e->d_name);
      }
    }
    ::closedir(d);
    return names;
  }

  Status RemoveFile(const std::string& path) override {
    return Check(::unlink(path.c_str()), "unlink " + path);
  }
  Status CreateDir(const std::string& path) override {
    return Check(::mkdir(path.c_str(), 0700), "mkdir " + path);
  }
  Status RemoveDir(const std::string& path) override {
    return Check(::rmdir(path.c_str()), "rmdir " + path);
  }
  Status RenameFile(const std::string& from, const std::string& to) override {
    return Check(::rename(from.c_str(), to.c_str()), "rename " + from + " to " + to);
  }
  Status TruncateFile(const std::string& path, uint64_t size) override {
    return Check(RetryEintr([&] { return ::truncate(path.c_str(), off_t(size)); }),
                 "truncate " + path);
  }

  Status SyncDir(const std::string& dir) override {
    const int fd =
        RetryEintr([&] { return ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); });
    if (fd < 0) return PosixError("open " + dir, errno);
    const int r = RetryEintr([&] { return ::fsync(fd); });
    const int err = errno;
    ::close(fd);
    return r == 0 ? Status::Ok() : PosixError("fsync " + dir, err);
  }

 private:
  static Status Check(int r, const std::string& context) {
    return r == 0 ? Status::Ok() : PosixError(context, errno);
  }

  static Result<std::unique_ptr<WritableFile>> OpenForAppend(const std::string& path,
                                                             int extra_flags) {
    const int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | extra_flags;
    const int fd = RetryEintr([&] { return ::open(path.c_str(), flags, 0600); });
    if (fd < 0) return PosixError("open " + path, errno);
    return std::unique_ptr<WritableFile>(new PosixWritableFile(path, fd));
  }
};

}  // namespace

Env* PosixEnvironment() {
  static Env* const env = new PosixEnv();
  return env;
}

}  // namespace dlog::log
