// Secret<N>: a fixed-size secret that zeroes itself on destruction and compares in
// constant time. Never print or log its contents.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace dlog {

// Zeroes memory in a way the compiler may not elide.
void SecureZero(void* p, size_t n);
// Constant-time equality of two equal-length buffers.
bool ConstantTimeEqual(const uint8_t* a, const uint8_t* b, size_t n);

template <size_t N>
class Secret {
 public:
  static constexpr size_t kSize = N;
  Secret() { bytes_.fill(0); }
  explicit Secret(std::span<const uint8_t, N> src) {
    std::copy(src.begin(), src.end(), bytes_.begin());
  }
  Secret(const Secret&) = default;
  Secret& operator=(const Secret&) = default;
  ~Secret() { Wipe(); }

  uint8_t* data() { return bytes_.data(); }
  const uint8_t* data() const { return bytes_.data(); }
  static constexpr size_t size() { return N; }
  std::span<uint8_t, N> span() { return bytes_; }
  std::span<const uint8_t, N> span() const { return bytes_; }
  void Wipe() { SecureZero(bytes_.data(), N); }
  bool IsZero() const {
    uint8_t acc = 0;
    for (uint8_t b : bytes_) acc |= b;
    return acc == 0;
  }
  friend bool operator==(const Secret& a, const Secret& b) {
    return ConstantTimeEqual(a.bytes_.data(), b.bytes_.data(), N);
  }

 private:
  std::array<uint8_t, N> bytes_;
};

}  // namespace dlog
