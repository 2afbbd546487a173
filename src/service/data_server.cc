#include "service/data_server.h"

#include <vector>

namespace dlog::service {

DataServer::DataServer(DataHandler* handler, ServerOptions options)
    : handler_(handler), options_(options) {}

DataServer::~DataServer() { Stop(); }

Status DataServer::Start(std::unique_ptr<stack::Listener> listener) {
  if (listener_ != nullptr) return Status::Error("the data server is already started");
  if (listener == nullptr) return Status::Error("no listener");
  listener_ = std::move(listener);
  port_ = listener_->port();
  accept_thread_ = std::thread([this] { AcceptLoop(); });
  return Status::Ok();
}

void DataServer::Stop() {
  if (stopping_.exchange(true)) return;
  if (listener_ != nullptr) listener_->Close();
  if (accept_thread_.joinable()) accept_thread_.join();
  std::list<std::unique_ptr<Conn>> conns;
  {
    std::lock_guard lock(mu_);
    for (auto& c : conns_) c->stream->Close();
    conns.swap(conns_);
  }
  for (auto& c : conns) {
    if (c->thread.joinable()) c->thread.join();
  }
}

ServerCounters DataServer::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

size_t DataServer::connections() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& c : conns_) n += c->done ? 0 : 1;
  return n;
}

void DataServer::ReapLocked() {
  for (auto it = conns_.begin(); it != conns_.end();) {
    if ((*it)->done) {
      (*it)->thread.join();
      it = conns_.erase(it);
    } else {
      ++it;
    }
  }
}

void DataServer::AcceptLoop() {
  while (!stopping_) {
    Result<stack::Accepted> accepted = listener_->Accept(std::chrono::milliseconds(500));
    {
      std::lock_guard lock(mu_);
      ReapLocked();
    }
    if (!accepted.ok()) {
      if (stack::IsTimedOut(accepted.status())) continue;
      return;  // listener closed (Stop) or failed
    }
    std::lock_guard lock(mu_);
    if (stopping_ || conns_.size() >= options_.max_connections) {
      ++counters_.rejected_connections;
      accepted->stream->Close();
      continue;
    }
    ++counters_.accepted;
    auto conn = std::make_unique<Conn>();
    conn->stream = std::move(accepted->stream);
    Conn* raw = conn.get();
    conns_.push_back(std::move(conn));
    raw->thread = std::thread([this, raw] { Serve(raw); });
  }
}

void DataServer::Serve(Conn* conn) {
  api::ServerConnection session(options_.max_frame_bytes, options_.max_in_flight);
  std::vector<uint8_t> buffer(options_.read_chunk);
  std::vector<api::IncomingRequest> requests;
  bool bad_frame = false;
  bool idle = false;
  while (!stopping_) {
    Result<size_t> n = conn->stream->Read(MutableByteSpan(buffer), options_.idle_timeout);
    if (!n.ok()) {
      idle = stack::IsTimedOut(n.status());
      break;
    }
    if (*n == 0) break;  // the client closed
    requests.clear();
    session.OnBytes(ByteSpan(buffer.data(), *n), &requests);
    // Requests are answered in order; answering frees in-flight room, so frames held
    // back by the in-flight bound are taken (OnBytes with no bytes) until none remain.
    while (!requests.empty()) {
      for (const api::IncomingRequest& in : requests) {
        session.Respond(in.correlation_id, handler_->Handle(in.request));
      }
      requests.clear();
      session.OnBytes({}, &requests);
    }
    Bytes out = session.TakeOutput();
    if (!out.empty() && !conn->stream->Write(out, options_.write_timeout).ok()) break;
    if (session.closing()) {
      bad_frame = true;
      break;
    }
  }
  conn->stream->Close();
  {
    std::lock_guard lock(mu_);
    counters_.invalid_requests += session.invalid_requests();
    if (bad_frame) ++counters_.closed_bad_frames;
    if (idle) ++counters_.idle_closed;
  }
  conn->done = true;
}

}  // namespace dlog::service
