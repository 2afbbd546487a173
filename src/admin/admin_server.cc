#include "admin/admin_server.h"

#include <array>

#include "admin/admin_routes.h"
#include "admin/http.h"
#include "base/log.h"

namespace dlog::admin {
namespace {

void Reply(stack::Stream& stream, const HttpResponse& r) {
  std::string bytes = EncodeResponse(r);
  (void)stream.Write(ByteSpan(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()),
                     kRequestTimeout);
  (void)stream.Shutdown();
}

}  // namespace

void ServeOneRequest(stack::Stream& stream, const std::optional<Caller>& caller,
                     AdminBackend& backend, stack::Timeout timeout) {
  HttpRequestParser parser;
  std::array<uint8_t, 4096> buf;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!parser.done() && !parser.error()) {
    auto left =
        std::chrono::duration_cast<stack::Timeout>(deadline - std::chrono::steady_clock::now());
    if (left <= stack::Timeout::zero())
      return Reply(stream, ErrorResponse(408, "request timed out"));
    auto n = stream.Read(MutableByteSpan(buf.data(), buf.size()), left);
    if (!n.ok()) {
      if (stack::IsTimedOut(n.status())) Reply(stream, ErrorResponse(408, "request timed out"));
      return;
    }
    if (*n == 0) return;  // the client went away before a whole request
    parser.Feed(ByteSpan(buf.data(), *n));
  }
  if (parser.error())
    return Reply(stream, ErrorResponse(parser.error()->status, parser.error()->message));
  if (!caller) return Reply(stream, ErrorResponse(403, "not a member of this cluster"));
  Reply(stream, HandleAdminRequest(parser.request(), *caller, backend));
}

void AdminServer::ServeMesh(std::unique_ptr<stack::Listener> listener) {
  Serve(std::move(listener), false);
}
void AdminServer::ServeLocal(std::unique_ptr<stack::Listener> listener) {
  Serve(std::move(listener), true);
}

void AdminServer::Serve(std::unique_ptr<stack::Listener> listener, bool local) {
  std::lock_guard lock(mu_);
  if (stopping_) return;
  stack::Listener* l = listener.get();
  listeners_.push_back(std::move(listener));
  acceptors_.emplace_back([this, l, local] { AcceptLoop(l, local); });
}

void AdminServer::AcceptLoop(stack::Listener* listener, bool local) {
  while (!stopping_) {
    auto conn = listener->Accept(stack::Timeout{250});
    if (!conn.ok()) {
      if (stack::IsTimedOut(conn.status())) continue;
      if (!stopping_) DLOG_ERROR("admin: accept failed: %s", conn.status().message().c_str());
      return;
    }
    std::lock_guard lock(mu_);
    ReapFinished();
    if (stopping_) return;
    if (workers_.size() >= size_t(kMaxConnections)) {
      counters_.refused_busy++;
      Reply(*conn->stream, ErrorResponse(503, "too many admin connections"));
      continue;
    }
    Worker& w = workers_.emplace_back();
    w.thread = std::thread([this, &w, c = std::move(*conn), local]() mutable {
      Handle(std::move(c), local);
      w.done = true;
    });
  }
}

void AdminServer::Handle(stack::Accepted conn, bool local) {
  counters_.requests++;
  std::optional<Caller> caller;
  if (local) {
    caller = Caller{true, "local", cluster::Role::kAdmin};
  } else {
    caller = backend_.Identify(conn.remote.ip);
    if (!caller) counters_.forbidden++;
  }
  ServeOneRequest(*conn.stream, caller, backend_, kRequestTimeout);
  conn.stream->Close();
}

void AdminServer::ReapFinished() {
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (it->done) {
      it->thread.join();
      it = workers_.erase(it);
    } else {
      ++it;
    }
  }
}

void AdminServer::Stop() {
  std::vector<std::thread> acceptors;
  {
    std::lock_guard lock(mu_);
    if (stopping_.exchange(true)) return;
    for (auto& l : listeners_) l->Close();
    acceptors.swap(acceptors_);
  }
  for (auto& t : acceptors) t.join();
  std::lock_guard lock(mu_);
  for (auto& w : workers_) w.thread.join();  // each ends within kRequestTimeout
  workers_.clear();
  listeners_.clear();
}

}  // namespace dlog::admin
