#include "stack/lwip_core.h"

#include <sys/random.h>

#include <cstdlib>
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
    // Debian's LWIP_RAND() is rand(): seed it, or every process starts its ephemeral
    // ports at the same place.
    unsigned seed = 0;
    if (getrandom(&seed, sizeof seed, 0) == sizeof seed) std::srand(seed);
    std::promise<void> ready;
    tcpip_init([](void* arg) { static_cast<std::promise<void>*>(arg)->set_value(); }, &ready);
    ready.get_future().wait();
  });
}

CoreLock::CoreLock() { LOCK_TCPIP_CORE(); }
CoreLock::~CoreLock() { UNLOCK_TCPIP_CORE(); }

}  // namespace dlog::stack
