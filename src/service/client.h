// Client: a blocking client of the data service's client API (docs/PROTOCOL.md) over
// any stack::Stream — a KernelStack socket, a UserspaceStack connection inside the
// tunnel, or a test's loopback. One request at a time per Client, matched to its
// response by correlation id (api::ClientConnection).
//
// Errors are typed (ClientError): the server's own error (kServer, with the
// api::ErrorResponse: code, message, query column, NotLeader hint), a timeout, a
// transport failure or a protocol violation. After anything but kServer the connection
// is unusable (broken() turns true): a response may still be on its way, so the caller
// connects again (and, for NotLeader, to the hinted leader).
//
// Thread-safety: every call locks one mutex, so a Client may be shared, but calls run
// one at a time.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include "api/connection.h"
#include "api/messages.h"
#include "stack/stack.h"

namespace dlog::service {

struct ClientError {
  enum class Kind { kServer, kTimeout, kTransport, kProtocol };
  Kind kind = Kind::kTransport;
  std::string message;
  api::ErrorResponse server;  // kServer only

  bool is_server(api::ErrorCode code) const { return kind == Kind::kServer && server.code == code; }
  bool not_leader() const { return is_server(api::ErrorCode::kNotLeader); }
  // "leader_name at leader_address", empty when unknown or not a NotLeader error.
  std::string leader_hint() const;
  std::string ToString() const;
};

template <typename T>
class Outcome {
 public:
  Outcome(T value) : v_(std::move(value)) {}            // NOLINT: implicit by design
  Outcome(ClientError error) : v_(std::move(error)) {}  // NOLINT: implicit by design
  bool ok() const { return std::holds_alternative<T>(v_); }
  T& value() { return std::get<T>(v_); }
  const T& value() const { return std::get<T>(v_); }
  T& operator*() { return value(); }
  T* operator->() { return &value(); }
  const ClientError& error() const { return std::get<ClientError>(v_); }

 private:
  std::variant<T, ClientError> v_;
};

struct ClientOptions {
  stack::Timeout connect_timeout = std::chrono::seconds(5);
  stack::Timeout request_timeout = std::chrono::seconds(30);
  size_t max_frame_bytes = api::kDefaultMaxFrameBytes;
  size_t read_chunk = 64 * 1024;
};

class Client {
 public:
  // Connects through `stack` (which must outlive the client) to `server`.
  static Outcome<std::unique_ptr<Client>> Connect(stack::Stack* stack,
                                                  const stack::SocketAddress& server,
                                                  ClientOptions options = {});
  Client(std::unique_ptr<stack::Stream> stream, ClientOptions options);
  ~Client();

  Outcome<api::LogDescription> CreateLog(const std::string& log, uint32_t partitions = 1,
                                         uint8_t replication_factor = 0);
  Outcome<api::DeleteLogResponse> DeleteLog(const std::string& log);
  Outcome<std::vector<api::LogDescription>> ListLogs(const std::string& ns = "");
  // To one partition; acks=none returns at once with a zeroed response.
  Outcome<api::ProduceResponse> Produce(const std::string& log, uint32_t partition,
                                        std::vector<log::Record> records,
                                        api::Acks acks = api::Acks::kAll);
  Outcome<api::ProduceResponse> Produce(api::ProduceRequest request);
  Outcome<api::ConsumeResponse> Consume(const std::string& log, uint32_t partition,
                                        uint64_t from_offset, uint32_t max_records = 1000,
                                        uint32_t max_bytes = 1024 * 1024);
  Outcome<api::QueryResponse> Query(const std::string& text);
  Outcome<api::StatusResponse> NodeStatus();

  // Any request; the raw response (an api::ErrorResponse is still a kServer error).
  Outcome<api::Response> Call(const api::Request& request);

  bool broken() const;
  void Close();

 private:
  Outcome<api::Response> CallLocked(const api::Request& request);
  ClientError Break(ClientError::Kind kind, std::string message);

  const ClientOptions options_;
  mutable std::mutex mu_;
  std::unique_ptr<stack::Stream> stream_;
  api::ClientConnection conn_;
  std::vector<uint8_t> buffer_;
  bool broken_ = false;
};

}  // namespace dlog::service
