// UapiServer: the UAPI unix socket /var/run/wireguard/<ifname>.sock and its serving
// thread, as wireguard-go's ipc package lays it out:
//   - the directory is created 0755; the socket is created 0700 (root only);
//   - a stale socket (nobody accepting) is replaced; a live one is an error;
//   - every connection gets a UapiSession (any number of sequential requests);
//   - the socket file is watched (inotify): when it is deleted — `wg-quick down` does
//     exactly that for userspace implementations — on_removed runs;
//   - on Stop the socket file is unlinked if it is still ours.
//
// One thread serves all connections with poll(); at most kMaxConnections at once
// (further clients wait in the listen backlog). Handler calls run on that thread.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "base/result.h"
#include "net/uapi_session.h"

namespace dlog::net {

inline constexpr char kUapiSocketDir[] = "/var/run/wireguard";
inline constexpr size_t kMaxUapiConnections = 32;

std::string UapiSocketPath(const std::string& ifname, const std::string& dir = kUapiSocketDir);

class UapiServer {
 public:
  // Creates the directory and the listening socket (before daemonising, so clients can
  // connect as soon as the parent exits). Returns the listening fd.
  static Result<int> Listen(const std::string& path);

  // Serves `listen_fd` (from Listen or inherited via WG_UAPI_FD) at `path`.
  UapiServer(int listen_fd, std::string path, uapi::UapiHandler& handler,
             std::function<void()> on_removed);
  ~UapiServer();  // Stop()
  UapiServer(const UapiServer&) = delete;
  UapiServer& operator=(const UapiServer&) = delete;

  Status Start();  // starts the serving thread
  // Stops the thread, closes every connection and unlinks the socket file if it still
  // is the one we created. Idempotent.
  void Stop();

 private:
  void Run();
  bool StillOurs() const;

  int listen_fd_;
  std::string path_;
  uapi::UapiHandler& handler_;
  std::function<void()> on_removed_;
  int wake_fd_ = -1;
  int inotify_fd_ = -1;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  std::thread thread_;
  std::atomic<bool> stopped_{false};
};

}  // namespace dlog::net
