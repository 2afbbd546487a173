// UserspacePath: lwIP inside the process (stack::UserspaceStack) as a node's InnerPath;
// no TUN, no privileges.
//
// The stack needs the overlay address, which a joining node learns only once admitted,
// so it is attached later (Attach); until then decrypted packets are dropped (counted)
// and nothing is sent. The stack's Outbound callback is this path's "reader": it runs
// with lwIP's core lock held and hands the packet straight to the sink, which encrypts
// and sends it without calling back into the stack.
//
// Thread-safety: every method from any thread; `mu_` guards stack_ (Deliver holds it
// shared only while injecting, which copies the packet and never blocks).
#pragma once

#include <atomic>
#include <memory>
#include <shared_mutex>

#include "node/inner_path.h"
#include "stack/userspace_stack.h"

namespace dlog::node {

class UserspacePath : public InnerPath {
 public:
  UserspacePath() = default;
  ~UserspacePath() override;

  Status Start(InnerSink& sink) override;
  void Deliver(std::span<const ByteSpan> packets) override;
  void Shutdown() override;
  Result<size_t> Mtu() const override { return stack::kUserspaceMtu; }
  Result<bool> IsUp() const override { return true; }

  // Creates the stack with `config` (after Start). Replaces a stack attached before
  // (an address change): Listeners and Streams of the old one must be gone.
  Status Attach(const stack::UserspaceConfig& config);
  // The stack, or null before Attach. Valid until the next Attach or Shutdown.
  stack::UserspaceStack* stack() const;
  uint64_t dropped_detached() const { return dropped_detached_; }

 private:
  InnerSink* sink_ = nullptr;
  mutable std::shared_mutex mu_;  // guards stack_
  std::unique_ptr<stack::UserspaceStack> stack_;
  std::atomic<bool> stopped_{false};
  std::atomic<uint64_t> dropped_detached_{0};  // packets before Attach or after Shutdown
};

}  // namespace dlog::node
