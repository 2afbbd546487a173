#include "net/uapi_server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <list>

#include "base/log.h"
#include "base/secret.h"

namespace dlog::net {
namespace {

std::string Errno(const std::string& what) { return what + ": " + strerror(errno); }

Status MakeDirs(const std::string& dir) {
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    std::string part = dir.substr(0, pos);
    if (mkdir(part.c_str(), 0755) != 0 && errno != EEXIST)
      return Status::Error(Errno("mkdir " + part));
  }
  return Status::Ok();
}

Result<sockaddr_un> UnixAddress(const std::string& path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof sa.sun_path) return Status::Error("socket path too long: " + path);
  memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  return sa;
}

bool SomeoneListens(const sockaddr_un& sa) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  bool live = connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) == 0;
  close(fd);
  return live;
}

struct Connection {
  int fd;
  uapi::UapiSession session;
  std::string out;
  bool eof = false;

  Connection(int f, uapi::UapiHandler& h) : fd(f), session(h) {}
  ~Connection() {
    SecureZero(out.data(), out.size());  // a get answer carries the private key
    close(fd);
  }
  bool done() const { return (session.closed() || eof) && out.empty(); }
};

// Reads what is available and feeds the session. false: the connection failed.
bool ReadFrom(Connection& c) {
  char buf[16384];
  while (!c.session.closed()) {
    ssize_t n = read(c.fd, buf, sizeof buf);
    if (n > 0) {
      c.out += c.session.Feed(std::string_view(buf, size_t(n)));
      continue;
    }
    SecureZero(buf, sizeof buf);
    if (n == 0) {
      c.out += c.session.Finish();
      c.eof = true;
      return true;
    }
    if (errno == EINTR) continue;
    return errno == EAGAIN;
  }
  SecureZero(buf, sizeof buf);
  return true;
}

bool WriteTo(Connection& c) {
  while (!c.out.empty()) {
    ssize_t n = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n > 0) {
      SecureZero(c.out.data(), size_t(n));
      c.out.erase(0, size_t(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && errno == EAGAIN;
  }
  return true;
}

}  // namespace

std::string UapiSocketPath(const std::string& ifname, const std::string& dir) {
  return dir + "/" + ifname + ".sock";
}

Result<int> UapiServer::Listen(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    Status s = MakeDirs(path.substr(0, slash));
    if (!s.ok()) return s;
  }
  auto sa = UnixAddress(path);
  if (!sa.ok()) return sa.status();
  if (SomeoneListens(*sa)) return Status::Error("unix socket in use: " + path);
  // The socket is bound under a temporary name and renamed into place only once it
  // listens: `wg` deletes a socket file that refuses its connection, which a socket
  // does between bind() and listen(), so the final name must never refuse.
  std::string temp = path + ".tmp-" + std::to_string(getpid());
  auto temp_sa = UnixAddress(temp);
  if (!temp_sa.ok()) return temp_sa.status();
  unlink(temp.c_str());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Error(Errno("socket"));
  auto fail = [&](const std::string& what) {
    Status s = Status::Error(Errno(what));
    close(fd);
    unlink(temp.c_str());
    return s;
  };
  if (bind(fd, reinterpret_cast<const sockaddr*>(&*temp_sa), sizeof *temp_sa) != 0) {
    return fail("bind " + temp);
  }
  if (chmod(temp.c_str(), 0700) != 0) return fail("chmod " + temp);
  if (listen(fd, 128) != 0) return fail("listen " + temp);
  if (rename(temp.c_str(), path.c_str()) != 0)
    return fail("rename to " + path);  // replaces a stale file
  return fd;
}

UapiServer::UapiServer(int listen_fd, std::string path, uapi::UapiHandler& handler,
                       std::function<void()> on_removed)
    : listen_fd_(listen_fd),
      path_(std::move(path)),
      handler_(handler),
      on_removed_(std::move(on_removed)) {}

UapiServer::~UapiServer() {
  Stop();
  close(listen_fd_);
}

Status UapiServer::Start() {
  struct stat st {};
  if (lstat(path_.c_str(), &st) != 0) return Status::Error(Errno("lstat " + path_));
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  int flags = fcntl(listen_fd_, F_GETFL);
  fcntl(listen_fd_, F_SETFL, flags | O_NONBLOCK);
  fcntl(listen_fd_, F_SETFD, FD_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  inotify_fd_ = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (wake_fd_ < 0 || inotify_fd_ < 0) return Status::Error(Errno("eventfd/inotify"));
  // Unlinking a socket file changes its link count (IN_ATTRIB); the inode itself lives on.
  if (inotify_add_watch(inotify_fd_, path_.c_str(), IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF) < 0)
    return Status::Error(Errno("inotify_add_watch " + path_));
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "wg-uapi");
    Run();
  });
  return Status::Ok();
}

void UapiServer::Stop() {
  if (stopped_.exchange(true)) return;
  if (wake_fd_ >= 0) {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t r = write(wake_fd_, &one, sizeof one);
  }
  if (thread_.joinable()) thread_.join();
  if (StillOurs()) unlink(path_.c_str());
  if (wake_fd_ >= 0) close(wake_fd_);
  if (inotify_fd_ >= 0) close(inotify_fd_);
  wake_fd_ = inotify_fd_ = -1;
}

bool UapiServer::StillOurs() const {
  struct stat st {};
  return ino_ != 0 && lstat(path_.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_;
}

void UapiServer::Run() {
  std::list<Connection> conns;
  std::vector<pollfd> fds;
  bool removed_reported = false;
  while (true) {
    fds.clear();
    fds.push_back({wake_fd_, POLLIN, 0});
    fds.push_back({inotify_fd_, POLLIN, 0});
    fds.push_back({listen_fd_, short(conns.size() < kMaxUapiConnections ? POLLIN : 0), 0});
    for (Connection& c : conns)
      fds.push_back(
          {c.fd, short((c.session.closed() || c.eof ? 0 : POLLIN) | (c.out.empty() ? 0 : POLLOUT)),
           0});
    if (poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) {
      DLOG_ERROR("uapi: poll: %s", strerror(errno));
      return;
    }
    if (fds[0].revents) return;
    if (fds[1].revents) {
      char buf[4096];
      while (read(inotify_fd_, buf, sizeof buf) > 0) {
      }
      if (!removed_reported && !StillOurs()) {
        removed_reported = true;
        DLOG_INFO("uapi: %s was removed", path_.c_str());
        if (on_removed_) on_removed_();
      }
    }
    if (fds[2].revents & POLLIN) {
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) conns.emplace_back(fd, handler_);
    }
    for (auto it = conns.begin(); it != conns.end();) {
      // Non-blocking: a read that finds nothing costs one EAGAIN.
      bool ok = it->session.closed() || it->eof || ReadFrom(*it);
      if (ok) ok = WriteTo(*it);
      if (!ok || it->done()) {
        it = conns.erase(it);
      } else {
        ++it;
      }
    }
  }
}

}  // namespace dlog::net
