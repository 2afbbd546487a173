// Tests that need a network of their own run their body in a forked child that unshares
// CLONE_NEWNET: every interface, address, socket and packet lives and dies with the
// child, so nothing reaches the host's network. Root is required (the README's test
// command runs as root); without it the test fails, it never skips.
#pragma once

#include <gtest/gtest.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <string>

namespace dlog::net::testing {

// lo up and multicast-capable (a fresh namespace's lo is neither); "" on success.
inline std::string LoopbackUp() {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  ifreq ifr{};
  strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  bool ok = fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
  ifr.ifr_flags |= IFF_MULTICAST;  // before up, so that IPv6 adds its ff00::/8 route
  ok = ok && ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
  ifr.ifr_flags |= IFF_UP;
  ok = ok && ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
  std::string err = ok ? "" : std::string("lo flags: ") + strerror(errno);
  if (fd >= 0) close(fd);
  return err;
}

// Runs `body` in a forked child inside a fresh network namespace with lo up; returns
// what it reports ("" for success). A child that hangs is killed after 60 s and
// reported as having died.
inline std::string RunInNetns(const std::function<std::string()>& body) {
  int pipefd[2];
  if (pipe(pipefd) != 0) return "pipe failed";
  pid_t pid = fork();
  if (pid == 0) {
    close(pipefd[0]);
    alarm(60);
    std::string msg;
    if (unshare(CLONE_NEWNET) != 0) {
      msg = std::string("unshare(CLONE_NEWNET): ") + strerror(errno);
    } else {
      msg = LoopbackUp();
      if (msg.empty()) msg = body();
    }
    if (msg.empty()) msg = "ok";
    [[maybe_unused]] ssize_t w = write(pipefd[1], msg.data(), msg.size());
    _exit(0);
  }
  close(pipefd[1]);
  std::string out;
  char buf[512];
  ssize_t n;
  while ((n = read(pipefd[0], buf, sizeof buf)) > 0) out.append(buf, size_t(n));
  close(pipefd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (out.empty()) return "child died without a report";
  return out == "ok" ? "" : out;
}

}  // namespace dlog::net::testing

// In a TEST body: fails the test (never skips) unless it runs as root.
#define REQUIRE_ROOT() \
  ASSERT_EQ(geteuid(), 0u) << "this test needs root (a throwaway network namespace)"
