#include "api/wire.h"

namespace dlog::api {

void WireWriter::U16(uint16_t v) {
  out_->push_back(uint8_t(v >> 8));
  out_->push_back(uint8_t(v));
}

void WireWriter::U32(uint32_t v) {
  uint8_t b[4];
  StoreBE32(b, v);
  out_->insert(out_->end(), b, b + 4);
}

void WireWriter::U64(uint64_t v) {
  uint8_t b[8];
  StoreBE64(b, v);
  out_->insert(out_->end(), b, b + 8);
}

void WireWriter::String16(std::string_view s) {
  if (s.size() > UINT16_MAX) {
    failed_ = true;
    return;
  }
  U16(static_cast<uint16_t>(s.size()));
  out_->insert(out_->end(), s.begin(), s.end());
}

void WireWriter::Bytes32(ByteSpan b) {
  if (b.size() > UINT32_MAX) {
    failed_ = true;
    return;
  }
  U32(static_cast<uint32_t>(b.size()));
  out_->insert(out_->end(), b.begin(), b.end());
}

const uint8_t* WireReader::Take(size_t n) {
  if (failed_ || in_.size() - pos_ < n) {
    failed_ = true;
    return nullptr;
  }
  const uint8_t* p = in_.data() + pos_;
  pos_ += n;
  return p;
}

uint8_t WireReader::U8() {
  const uint8_t* p = Take(1);
  return p ? p[0] : 0;
}

uint16_t WireReader::U16() {
  const uint8_t* p = Take(2);
  return p ? uint16_t(p[0] << 8 | p[1]) : 0;
}

uint32_t WireReader::U32() {
  const uint8_t* p = Take(4);
  return p ? LoadBE32(p) : 0;
}

uint64_t WireReader::U64() {
  const uint8_t* p = Take(8);
  return p ? LoadBE64(p) : 0;
}

bool WireReader::Bool() {
  uint8_t v = U8();
  Require(v <= 1);
  return v == 1;
}

std::string WireReader::String16(size_t max) {
  size_t n = U16();
  Require(n <= max);
  const uint8_t* p = Take(n);
  return p ? std::string(reinterpret_cast<const char*>(p), n) : std::string();
}

Bytes WireReader::Bytes32(size_t max) {
  size_t n = U32();
  Require(n <= max);
  const uint8_t* p = Take(n);
  return p ? Bytes(p, p + n) : Bytes();
}

std::string WireReader::String32(size_t max) {
  size_t n = U32();
  Require(n <= max);
  const uint8_t* p = Take(n);
  return p ? std::string(reinterpret_cast<const char*>(p), n) : std::string();
}

}  // namespace dlog::api
