#include "base/secret.h"

#include <sodium.h>

namespace dlog {

void SecureZero(void* p, size_t n) { sodium_memzero(p, n); }

bool ConstantTimeEqual(const uint8_t* a, const uint8_t* b, size_t n) {
  return sodium_memcmp(a, b, n) == 0;
}

}  // namespace dlog
