#include "node/admin_socket.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace dlog::node {
namespace {

Result<sockaddr_un> UnixAddress(const std::string& path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof sa.sun_path) return Status::Error("socket path too long: " + path);
  std::memcpy(sa.sun_path, path.c_str(), path.size());
  return sa;
}

void SetTimeouts(int fd) {
  timeval tv{};
  tv.tv_sec = std::chrono::duration_cast<std::chrono::seconds>(kIoTimeout).count();
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

bool WriteAll(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = send(fd, s.data(), s.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    s.remove_prefix(size_t(n));
  }
  return true;
}

}  // namespace

Status AdminSocket::Start() {
  auto sa = UnixAddress(path_);
  if (!sa.ok()) return sa.status();
  fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return Status::Error(std::string("socket: ") + strerror(errno));
  unlink(path_.c_str());  // a stale socket of a previous run (one process per data dir)
  mode_t old = umask(0177);
  int r = bind(fd_, reinterpret_cast<const sockaddr*>(&*sa), sizeof *sa);
  umask(old);
  if (r != 0) return Status::Error("bind " + path_ + ": " + strerror(errno));
  chmod(path_.c_str(), 0600);
  if (listen(fd_, 8) != 0) return Status::Error(std::string("listen: ") + strerror(errno));
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) return Status::Error("eventfd failed");
  thread_ = std::thread([this] { Serve(); });
  return Status::Ok();
}

void AdminSocket::Stop() {
  if (stopping_.exchange(true)) return;
  if (wake_fd_ >= 0) {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t w = write(wake_fd_, &one, sizeof one);
  }
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) {
    close(fd_);
    unlink(path_.c_str());
  }
  if (wake_fd_ >= 0) close(wake_fd_);
  fd_ = wake_fd_ = -1;
}

void AdminSocket::Serve() {
  while (!stopping_) {
    pollfd p[2] = {{fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (p[1].revents) return;
    int conn = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) continue;
    Answer(conn);
    close(conn);
  }
}

void AdminSocket::Answer(int conn) {
  SetTimeouts(conn);
  std::string req;
  char buf[512];
  while (req.size() < kMaxRequest && req.find('\n') == std::string::npos) {
    ssize_t n = recv(conn, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    req.append(buf, size_t(n));
  }
  if (size_t nl = req.find('\n'); nl != std::string::npos) req.resize(nl);
  if (req.size() > kMaxRequest) return;
  WriteAll(conn, handler_(req));
}

Result<std::string> AdminRequest(const std::string& path, std::string_view command) {
  auto sa = UnixAddress(path);
  if (!sa.ok()) return sa.status();
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Error(std::string("socket: ") + strerror(errno));
  SetTimeouts(fd);
  std::string answer;
  Status st = Status::Ok();
  if (connect(fd, reinterpret_cast<const sockaddr*>(&*sa), sizeof *sa) != 0) {
    st = Status::Error("connect " + path + ": " + strerror(errno));
  } else if (!WriteAll(fd, std::string(command) + "\n")) {
    st = Status::Error("sending the request failed");
  } else {
    shutdown(fd, SHUT_WR);
    char buf[4096];
    for (;;) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) st = Status::Error(std::string("reading the answer: ") + strerror(errno));
      if (n <= 0) break;
      answer.append(buf, size_t(n));
    }
  }
  close(fd);
  if (!st.ok()) return st;
  return answer;
}

}  // namespace dlog::node
