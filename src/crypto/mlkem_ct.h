// Constant-time building blocks for ML-KEM (internal), and the declassification hook of
// the ctgrind check in tests/ct/.
//
// Masks are 0x00 or 0xFF; no function here branches on or indexes by its data.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/secret.h"

#if defined(DLOG_CT_VALGRIND)
#include <valgrind/memcheck.h>
#endif

namespace dlog::crypto::mlkem {

// Hides `v` from the optimiser so that mask arithmetic is not turned back into a branch.
inline uint8_t ValueBarrier(uint8_t v) {
  __asm__("" : "+r"(v));
  return v;
}

// 0xFF when a[0..n) == b[0..n), else 0x00.
inline uint8_t CtEqualMask(const uint8_t* a, const uint8_t* b, size_t n) {
  uint8_t diff = 0;
  for (size_t i = 0; i < n; ++i) diff |= a[i] ^ b[i];
  // diff == 0 -> (0 - 1) >> 8 == 0xFF...; diff in 1..255 -> top bits clear.
  return ValueBarrier(uint8_t((uint32_t(diff) - 1) >> 8));
}

// out[i] = mask ? a[i] : b[i] for i < n.
inline void CtSelect(uint8_t* out, const uint8_t* a, const uint8_t* b, uint8_t mask, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = b[i] ^ (mask & (a[i] ^ b[i]));
}

// Zeroes `t` when the scope ends, on every path.
template <typename T>
class WipeOnExit {
 public:
  explicit WipeOnExit(T& t) : t_(t) {}
  ~WipeOnExit() { SecureZero(&t_, sizeof(T)); }
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;

 private:
  T& t_;
};

// Marks bytes derived from secrets as public for the ctgrind check (for example ρ, which
// is half of G(d ‖ k) and is published in ek). A no-op in normal builds.
inline void Declassify(const void* p, size_t n) {
#if defined(DLOG_CT_VALGRIND)
  VALGRIND_MAKE_MEM_DEFINED(p, n);
#else
  (void)p;
  (void)n;
#endif
}

}  // namespace dlog::crypto::mlkem
