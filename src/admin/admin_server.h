// AdminServer: serves the admin API (admin_routes.h) on listeners of either network
// stack (overlay port 8080, callers identified by overlay address) and on the local
// Unix socket in the data directory (the operator: full rights).
//
// Each listener gets an accept thread; each connection a worker thread, at most
// kMaxConnections at once per server (more are answered 503 and closed). A request
// must arrive within kRequestTimeout. Stop() (or the destructor) closes the
// listeners, wakes every thread and joins them.
//
// THREADS: Serve* and Stop may be called from any thread; the backend is called from
// worker threads concurrently.
#pragma once

#include <atomic>
#include <chrono>
#include <list>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "admin/admin_backend.h"
#include "stack/stack.h"

namespace dlog::admin {

inline constexpr int kMaxConnections = 8;
inline constexpr stack::Timeout kRequestTimeout{5000};

class AdminServer {
 public:
  explicit AdminServer(AdminBackend& backend) : backend_(backend) {}
  ~AdminServer() { Stop(); }
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Mesh callers: identified by their overlay address; strangers get 403.
  void ServeMesh(std::unique_ptr<stack::Listener> listener);
  // The local operator's socket: every caller is Caller{local = true}.
  void ServeLocal(std::unique_ptr<stack::Listener> listener);
  void Stop();

  struct Counters {
    std::atomic<uint64_t> requests{0}, refused_busy{0}, bad_requests{0}, forbidden{0};
  };
  const Counters& counters() const { return counters_; }

 private:
  struct Worker {
    std::thread thread;
    std::atomic<bool> done{false};
  };
  void Serve(std::unique_ptr<stack::Listener> listener, bool local);
  void AcceptLoop(stack::Listener* listener, bool local);
  void Handle(stack::Accepted conn, bool local);
  void ReapFinished();  // joins workers that are done; mu_ held

  AdminBackend& backend_;
  Counters counters_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;  // guards listeners_, acceptors_, workers_
  std::vector<std::unique_ptr<stack::Listener>> listeners_;
  std::vector<std::thread> acceptors_;
  std::list<Worker> workers_;
};

// Reads one request from `stream` (bounded by kMaxHead/kMaxBody and the timeout) and
// answers it for `caller`; used by AdminServer and by tests.
void ServeOneRequest(stack::Stream& stream, const std::optional<Caller>& caller,
                     AdminBackend& backend, stack::Timeout timeout);

}  // namespace dlog::admin
