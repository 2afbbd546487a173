// Little helpers to write and read the cluster's binary layouts (little-endian).
// Reader: every read checks the remaining length and latches failure, so a parser
// reads straight through and checks ok() once.
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"

namespace dlog::cluster {

class Writer {
 public:
  explicit Writer(Bytes& out) : out_(out) {}
  void U8(uint8_t v) { out_.push_back(v); }
  void U16(uint16_t v) {
    U8(uint8_t(v));
    U8(uint8_t(v >> 8));
  }
  void U32(uint32_t v) {
    uint8_t b[4];
    StoreLE32(b, v);
    Raw({b, 4});
  }
  void U64(uint64_t v) {
    uint8_t b[8];
    StoreLE64(b, v);
    Raw({b, 8});
  }
  void Raw(ByteSpan b) { out_.insert(out_.end(), b.begin(), b.end()); }
  // u8 length then bytes (≤ 255).
  void Str8(std::string_view s) {
    U8(uint8_t(s.size()));
    Raw(AsBytes(s));
  }
  // LE16 length then bytes (≤ 65535).
  void Bytes16(ByteSpan b) {
    U16(uint16_t(b.size()));
    Raw(b);
  }

 private:
  Bytes& out_;
};

class Reader {
 public:
  explicit Reader(ByteSpan in) : in_(in) {}
  bool ok() const { return ok_; }
  size_t remaining() const { return in_.size(); }
  ByteSpan rest() const { return in_; }
  void Fail() { ok_ = false; }
  uint8_t U8() {
    const uint8_t* p = Take(1);
    return p ? p[0] : 0;
  }
  uint16_t U16() {
    const uint8_t* p = Take(2);
    return p ? uint16_t(p[0] | p[1] << 8) : 0;
  }
  uint32_t U32() {
    const uint8_t* p = Take(4);
    return p ? LoadLE32(p) : 0;
  }
  uint64_t U64() {
    const uint8_t* p = Take(8);
    return p ? LoadLE64(p) : 0;
  }
  template <size_t N>
  void Fixed(uint8_t (&out)[N]) {
    Copy(out, N);
  }
  template <size_t N>
  void Fixed(std::array<uint8_t, N>& out) {
    Copy(out.data(), N);
  }
  void Copy(uint8_t* out, size_t n) {
    const uint8_t* p = Take(n);
    if (p) std::memcpy(out, p, n);
  }
  ByteSpan Span(size_t n) {
    const uint8_t* p = Take(n);
    return p ? ByteSpan(p, n) : ByteSpan();
  }
  std::string Str8() {
    ByteSpan s = Span(U8());
    return std::string(s.begin(), s.end());
  }
  ByteSpan Bytes16() { return Span(U16()); }

 private:
  const uint8_t* Take(size_t n) {
    if (!ok_ || in_.size() < n) {
      ok_ = false;
      return nullptr;
    }
    const uint8_t* p = in_.data();
    in_ = in_.subspan(n);
    return p;
  }
  ByteSpan in_;
  bool ok_ = true;
};

}  // namespace dlog::cluster
