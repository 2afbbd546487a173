#include "stack/lwip_core.h"

#include <future>
#include <mutex>

// Debian's lwipopts.h declares sys_lock_tcpip_core & co. outside lwIP's own
// extern "C" blocks.
extern "C" {
#include "lwip/tcpip.h"
}

namespace dlog::stack {

void EnsureLwipStarted() {
  static std::once_flag once;
  std::call_once(once, [] {
    std::promise<void> ready;
    tcpip_init([](void* arg) { static_cast<std::promise<void>*>(arg)->set_value(); }, &ready);
    ready.get_future().wait();
  });
}

CoreLock::CoreLock() { LOCK_TCPIP_CORE(); }
CoreLock::~CoreLock() { UNLOCK_TCPIP_CORE(); }

}  // namespace dlog::stack
