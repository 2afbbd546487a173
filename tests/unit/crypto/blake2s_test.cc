#include "crypto/blake2s.h"

#include <gtest/gtest.h>

#include "base/hex.h"

namespace dlog::crypto {
namespace {

TEST(Blake2s, Rfc7693AppendixB) {
  uint8_t out[32];
  Hash(out, {AsBytes("abc")});
  EXPECT_EQ(ToHex({out, 32}),
            "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
}

}  // namespace
}  // namespace dlog::crypto
