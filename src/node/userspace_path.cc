#include "node/userspace_path.h"

#include <mutex>

namespace dlog::node {

UserspacePath::~UserspacePath() { Shutdown(); }

Status UserspacePath::Start(InnerSink& sink) {
  sink_ = &sink;
  return Status::Ok();
}

Status UserspacePath::Attach(const stack::UserspaceConfig& config) {
  if (!sink_) return Status::Error("userspace stack: attach before start");
  std::unique_lock lock(mu_);
  stack_.reset();  // lwIP allows one stack per process: the old one goes first
  InnerSink* sink = sink_;
  const std::atomic<bool>* stopped = &stopped_;
  auto s = stack::UserspaceStack::Create(config, [sink, stopped](ByteSpan packet) {
    if (stopped->load()) return;
    ByteSpan one[1] = {packet};
    sink->FromInner(one);
  });
  if (!s.ok()) return s.status();
  stack_ = std::move(*s);
  return Status::Ok();
}

stack::UserspaceStack* UserspacePath::stack() const {
  std::shared_lock lock(mu_);
  return stack_.get();
}

void UserspacePath::Deliver(std::span<const ByteSpan> packets) {
  if (packets.empty()) return;
  std::shared_lock lock(mu_);
  if (!stack_ || stopped_) {
    dropped_detached_ += packets.size();
    return;
  }
  for (ByteSpan p : packets) stack_->InjectInbound(p);
}

void UserspacePath::Shutdown() { stopped_ = true; }

}  // namespace dlog::node
