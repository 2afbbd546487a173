// AdminSocket: the node's local admin/status socket, a unix stream socket in the data
// directory (mode 0600: only the node's user may ask). One request per connection: a
// command line (at most kMaxRequest bytes, ended by '\n' or by the client's shutdown),
// answered by the handler's text, then the connection is closed. `dlog status` sends
// "status" and reads JSON.
//
// Threads: one serving thread, one connection at a time, each bounded by kIoTimeout.
// Stop from any thread wakes and joins it and removes the socket file.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

#include "base/result.h"

namespace dlog::node {

inline constexpr size_t kMaxRequest = 4096;
inline constexpr auto kIoTimeout = std::chrono::seconds(2);

class AdminSocket {
 public:
  // Runs on the serving thread: the answer to one command (without its '\n').
  using Handler = std::function<std::string(std::string_view command)>;

  AdminSocket(std::string path, Handler handler)
      : path_(std::move(path)), handler_(std::move(handler)) {}
  ~AdminSocket() { Stop(); }
  AdminSocket(const AdminSocket&) = delete;
  AdminSocket& operator=(const AdminSocket&) = delete;

  // Binds (replacing a stale socket file), chmods 0600, starts the thread.
  Status Start();
  void Stop();
  const std::string& path() const { return path_; }

 private:
  void Serve();
  void Answer(int conn);

  std::string path_;
  Handler handler_;
  int fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// Sends `command` to the socket at `path` and returns the whole answer.
Result<std::string> AdminRequest(const std::string& path, std::string_view command);

}  // namespace dlog::node
