// lwIP's process-wide pieces: its tcpip thread, started once, and its core lock.
// Internal to the stack layer (lwIP headers stay out of other layers).
//
// Debian's build sets LWIP_TCPIP_CORE_LOCKING=1: any thread may call lwIP's raw API
// while it holds the core lock, and lwIP's own callbacks run in the tcpip thread with
// the lock already held (so they must never take it again). The lock is not recursive.
//
// Lock order: the core lock before any mutex of ours; never the other way round.
#pragma once

namespace dlog::stack {

// Starts lwIP's tcpip thread on first call; later calls return at once. Thread-safe.
void EnsureLwipStarted();

// RAII holder of lwIP's core lock.
class CoreLock {
 public:
  CoreLock();
  ~CoreLock();
  CoreLock(const CoreLock&) = delete;
  CoreLock& operator=(const CoreLock&) = delete;
};

}  // namespace dlog::stack
