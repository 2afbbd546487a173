// DataServer: the client API (port 9092, docs/PROTOCOL.md) served on a stack::Listener,
// over either network stack (docs/SERVICE.md, "Threads and bounds").
//
// Threads: one accept thread, and one thread per connection that reads bytes, feeds an
// api::ServerConnection, runs every decoded request through the DataHandler in order and
// writes the responses back. Bounds:
//  - at most `max_connections` connections; a connection beyond it is accepted and
//    closed at once (counted in rejected_connections);
//  - at most `max_in_flight` requests per connection awaiting a response
//    (api::ServerConnection stops taking input beyond it);
//  - frames up to `max_frame_bytes`; a connection whose framing breaks gets an Error
//    frame and is closed, and no other connection notices;
//  - a connection idle (nothing read) for `idle_timeout` is closed.
//
// Thread-safety: Start and Stop from one owner thread; counters() from any thread.
// Lifetime: the listener's Stack and the handler must outlive the server; Stop (or the
// destructor) closes the listener and every connection and joins every thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <thread>

#include "api/connection.h"
#include "service/data_handler.h"
#include "stack/stack.h"

namespace dlog::service {

struct ServerOptions {
  size_t max_connections = 64;
  size_t max_in_flight = api::kDefaultMaxInFlight;
  size_t max_frame_bytes = api::kDefaultMaxFrameBytes;
  stack::Timeout idle_timeout = std::chrono::minutes(10);
  stack::Timeout write_timeout = std::chrono::seconds(30);
  size_t read_chunk = 64 * 1024;
};

struct ServerCounters {
  uint64_t accepted = 0;
  uint64_t rejected_connections = 0;  // over max_connections
  uint64_t closed_bad_frames = 0;     // connections closed because framing broke
  uint64_t invalid_requests = 0;      // bodies that did not decode (connection kept)
  uint64_t idle_closed = 0;
};

class DataServer {
 public:
  DataServer(DataHandler* handler, ServerOptions options = {});
  ~DataServer();
  DataServer(const DataServer&) = delete;
  DataServer& operator=(const DataServer&) = delete;

  // Starts serving on `listener` (taken over; e.g. stack.Listen(api::kClientApiPort)).
  Status Start(std::unique_ptr<stack::Listener> listener);
  uint16_t port() const { return port_; }
  void Stop();

  ServerCounters counters() const;
  size_t connections() const;

 private:
  struct Conn {
    std::unique_ptr<stack::Stream> stream;
    std::thread thread;
    std::atomic<bool> done{false};
  };

  void AcceptLoop();
  void Serve(Conn* conn);
  void ReapLocked();  // joins finished connection threads; mu_ held

  DataHandler* const handler_;
  const ServerOptions options_;
  std::unique_ptr<stack::Listener> listener_;
  uint16_t port_ = 0;
  std::thread accept_thread_;
  std::atomic<bool> stopping_{false};

  mutable std::mutex mu_;
  std::list<std::unique_ptr<Conn>> conns_;  // bounded by max_connections
  ServerCounters counters_;
};

}  // namespace dlog::service
