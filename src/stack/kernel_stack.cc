#include "stack/kernel_stack.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "stack/deadline.h"

namespace dlog::stack {
namespace {

Status Errno(const std::string& what, int err) {
  return Status::Error(what + ": " + std::strerror(err));
}

socklen_t ToSockaddr(const SocketAddress& a, sockaddr_storage& ss) {
  std::memset(&ss, 0, sizeof ss);
  if (a.ip.v6) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(a.port);
    std::memcpy(&s6->sin6_addr, a.ip.bytes.data(), 16);
    return sizeof *s6;
  }
  auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
  s4->sin_family = AF_INET;
  s4->sin_port = htons(a.port);
  std::memcpy(&s4->sin_addr, a.ip.bytes.data(), 4);
  return sizeof *s4;
}

SocketAddress FromSockaddr(const sockaddr_storage& ss) {
  SocketAddress a;
  if (ss.ss_family == AF_INET6) {
    auto* s6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    a.ip.v6 = true;
    std::memcpy(a.ip.bytes.data(), &s6->sin6_addr, 16);
    a.port = ntohs(s6->sin6_port);
  } else {
    auto* s4 = reinterpret_cast<const sockaddr_in*>(&ss);
    std::memcpy(a.ip.bytes.data(), &s4->sin_addr, 4);
    a.port = ntohs(s4->sin_port);
  }
  return a;
}

SocketAddress NameOf(int fd, bool peer) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (peer)
    getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  else
    getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  return FromSockaddr(ss);
}

// Waits for `events` on fd until the deadline. Ok: ready (or hung up: the next
// system call tells). Timeout: kTimedOut.
Status WaitFor(int fd, short events, const Deadline& deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int n = poll(&p, 1, deadline.PollMs());
    if (n > 0) return Status::Ok();
    if (n == 0) return Status::Error(std::string(kTimedOut));
    if (errno != EINTR) return Errno("poll", errno);
  }
}

class KernelStream final : public Stream {
 public:
  explicit KernelStream(int fd) : fd_(fd), peer_(NameOf(fd, true)), local_(NameOf(fd, false)) {
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~KernelStream() override {
    Close();
    close(fd_);
  }

  Result<size_t> Read(MutableByteSpan buf, Timeout timeout) override {
    if (buf.empty()) return size_t{0};
    Deadline deadline(timeout);
    for (;;) {
      if (closed_) return Status::Error("closed");
      ssize_t n = recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT);
      if (n >= 0) {
        if (closed_) return Status::Error("closed");
        return size_t(n);
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN) return Errno("read", errno);
      if (Status s = WaitFor(fd_, POLLIN, deadline); !s) return s;
    }
  }

  Status Write(ByteSpan data, Timeout timeout) override {
    std::lock_guard lock(write_mu_);
    Deadline deadline(timeout);
    while (!data.empty()) {
      if (closed_) return Status::Error("closed");
      ssize_t n = send(fd_, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0) {
        data = data.subspan(size_t(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno != EAGAIN) return Errno("write", errno);
      if (Status s = WaitFor(fd_, POLLOUT, deadline); !s) return s;
    }
    return Status::Ok();
  }

  Status Shutdown() override {
    if (shutdown(fd_, SHUT_WR) != 0) return Errno("shutdown", errno);
    return Status::Ok();
  }

  void Close() override {
    if (!closed_.exchange(true)) shutdown(fd_, SHUT_RDWR);  // wakes every poll()
  }

  SocketAddress Peer() const override { return peer_; }
  SocketAddress Local() const override { return local_; }

 private:
  const int fd_;
  const SocketAddress peer_;
  const SocketAddress local_;
  std::atomic<bool> closed_{false};
  std::mutex write_mu_;  // keeps each Write's bytes contiguous
};

class KernelListener final : public Listener {
 public:
  KernelListener(int fd, uint16_t port) : fd_(fd), port_(port) {}
  ~KernelListener() override {
    Close();
    close(fd_);
  }

  Result<Accepted> Accept(Timeout timeout) override {
    Deadline deadline(timeout);
    for (;;) {
      if (closed_) return Status::Error("closed");
      int fd = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) {
        auto stream = std::make_unique<KernelStream>(fd);
        SocketAddress remote = stream->Peer();
        return Accepted{std::move(stream), remote};
      }
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno != EAGAIN) return Errno("accept", errno);
      if (Status s = WaitFor(fd_, POLLIN, deadline); !s) return s;
    }
  }

  void Close() override {
    if (!closed_.exchange(true)) shutdown(fd_, SHUT_RDWR);  // wakes poll() on Linux
  }
  uint16_t port() const override { return port_; }

 private:
  const int fd_;
  const uint16_t port_;
  std::atomic<bool> closed_{false};
};

}  // namespace

Result<std::unique_ptr<Listener>> KernelStack::Listen(uint16_t port) {
  sockaddr_storage ss;
  socklen_t len = ToSockaddr({address_, port}, ss);
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Errno("socket", errno);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(fd, kAcceptBacklog) != 0) {
    int err = errno;
    close(fd);
    return Errno("listen on " + SocketAddress{address_, port}.ToString(), err);
  }
  uint16_t bound = NameOf(fd, false).port;
  return std::unique_ptr<Listener>(new KernelListener(fd, bound));
}

Result<std::unique_ptr<Stream>> KernelStack::Connect(const SocketAddress& remote, Timeout timeout) {
  if (remote.ip.v6 != address_.v6)
    return Status::Error("connect to " + remote.ToString() + ": address family differs from " +
                         address_.ToString());
  sockaddr_storage local;
  socklen_t local_len = ToSockaddr({address_, 0}, local);
  int fd = socket(local.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Errno("socket", errno);
  auto fail = [&](const std::string& what, int err) {
    close(fd);
    std::string prefix = err == ECONNREFUSED ? "connection refused: " : "";
    return Status::Error(prefix + what + " " + remote.ToString() + ": " + std::strerror(err));
  };
  if (!address_.IsUnspecified() && bind(fd, reinterpret_cast<sockaddr*>(&local), local_len) != 0)
    return fail("bind for", errno);
  sockaddr_storage ss;
  socklen_t len = ToSockaddr(remote, ss);
  if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 && errno != EINPROGRESS)
    return fail("connect to", errno);
  Deadline deadline(timeout);
  if (Status s = WaitFor(fd, POLLOUT, deadline); !s) {
    close(fd);
    return s;
  }
  int err = 0;
  socklen_t err_len = sizeof err;
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len);
  if (err != 0) return fail("connect to", err);
  return std::unique_ptr<Stream>(new KernelStream(fd));
}

namespace {

Result<sockaddr_un> UnixAddress(const std::string& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof a.sun_path) {
    return Status::Error("socket path \"" + path + "\" is empty or longer than " +
                         std::to_string(sizeof a.sun_path - 1) + " bytes");
  }
  std::memcpy(a.sun_path, path.data(), path.size());
  return a;
}

}  // namespace

Result<std::unique_ptr<Stream>> ConnectUnix(const std::string& path, Timeout timeout) {
  auto a = UnixAddress(path);
  if (!a.ok()) return a.status();
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Errno("socket", errno);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a.value()), sizeof(sockaddr_un)) != 0 &&
      errno != EINPROGRESS && errno != EAGAIN) {
    int err = errno;
    close(fd);
    std::string prefix = err == ECONNREFUSED ? "connection refused: " : "";
    return Status::Error(prefix + "connect to " + path + ": " + std::strerror(err));
  }
  if (Status s = WaitFor(fd, POLLOUT, Deadline(timeout)); !s) {
    close(fd);
    return s;
  }
  return std::unique_ptr<Stream>(new KernelStream(fd));
}

Result<std::unique_ptr<Listener>> ListenUnix(const std::string& path) {
  auto a = UnixAddress(path);
  if (!a.ok()) return a.status();
  if (ConnectUnix(path, Timeout{200}).ok()) {
    return Status::Error(path + ": another process is listening there");
  }
  unlink(path.c_str());  // stale, from a process that died
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Errno("socket", errno);
  // Bound but not yet listening, the socket refuses connections; it turns 0600 first.
  if (bind(fd, reinterpret_cast<sockaddr*>(&a.value()), sizeof(sockaddr_un)) != 0 ||
      chmod(path.c_str(), 0600) != 0 || listen(fd, kAcceptBacklog) != 0) {
    int err = errno;
    close(fd);
    return Errno("listen on " + path, err);
  }
  return std::unique_ptr<Listener>(new KernelListener(fd, 0));
}

}  // namespace dlog::stack
