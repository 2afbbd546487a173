// Big-endian field writer and bounds-checked reader for the client protocol's bodies
// (docs/PROTOCOL.md). Strings carry a u16 length, byte strings a u32 length.
//
// WireReader never reads outside its span: the first short read or failed check makes
// it sticky-failed, every later read returns zero values, and ok() reports it. The
// decoders read every field, then check ok() and AtEnd() once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"

namespace dlog::api {

class WireWriter {
 public:
  explicit WireWriter(Bytes* out) : out_(out) {}
  void U8(uint8_t v) { out_->push_back(v); }
  void U16(uint16_t v);
  void U32(uint32_t v);
  void U64(uint64_t v);
  void I64(int64_t v) { U64(static_cast<uint64_t>(v)); }
  // A string longer than UINT16_MAX (a byte string longer than UINT32_MAX) is not
  // written and fails the writer: ok() turns false.
  void String16(std::string_view s);
  void Bytes32(ByteSpan b);
  void String32(std::string_view s) { Bytes32(AsBytes(s)); }
  bool ok() const { return !failed_; }

 private:
  Bytes* out_;
  bool failed_ = false;
};

class WireReader {
 public:
  explicit WireReader(ByteSpan in) : in_(in) {}
  uint8_t U8();
  uint16_t U16();
  uint32_t U32();
  uint64_t U64();
  int64_t I64() { return static_cast<int64_t>(U64()); }
  bool Bool();  // 0 or 1; anything else fails the reader
  // A u16-length string of at most `max` bytes.
  std::string String16(size_t max);
  // A u32-length byte string of at most `max` bytes.
  Bytes Bytes32(size_t max);
  std::string String32(size_t max);
  // Fails the reader unless `condition` holds (for field-level checks).
  void Require(bool condition) {
    if (!condition) failed_ = true;
  }

  bool ok() const { return !failed_; }
  bool AtEnd() const { return pos_ == in_.size(); }
  size_t remaining() const { return in_.size() - pos_; }

 private:
  const uint8_t* Take(size_t n);
  ByteSpan in_;
  size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace dlog::api
