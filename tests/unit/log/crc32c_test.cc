#include "log/crc32c.h"

#include <gtest/gtest.h>

#include <numeric>

#include "base/rng.h"

namespace dlog::log {
namespace {

// RFC 3720 appendix B.4 (and RFC 7143 appendix A.4): CRC-32C examples.
struct Vector {
  const char* name;
  Bytes data;
  uint32_t crc;
};

std::vector<Vector> Rfc3720Vectors() {
  Bytes ascending(32), descending(32);
  std::iota(ascending.begin(), ascending.end(), 0);
  for (int i = 0; i < 32; ++i) descending[size_t(i)] = uint8_t(31 - i);
  const Bytes iscsi_read = {0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                            0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
                            0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
                            0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  return {
      {"32 zeros", Bytes(32, 0x00), 0x8A9136AA},
      {"32 ones", Bytes(32, 0xFF), 0x62A8AB43},
      {"32 ascending", ascending, 0x46DD794E},
      {"32 descending", descending, 0x113FDB5C},
      {"iSCSI read PDU", iscsi_read, 0xD9963A56},
      {"123456789 (check value)", Bytes{'1', '2', '3', '4', '5', '6', '7', '8', '9'}, 0xE3069283},
      {"empty", Bytes{}, 0x00000000},
  };
}

TEST(Crc32c, Rfc3720VectorsPortable) {
  for (const Vector& v : Rfc3720Vectors()) {
    EXPECT_EQ(Crc32cExtendPortable(0, v.data), v.crc) << v.name;
  }
}

TEST(Crc32c, Rfc3720VectorsDefault) {
  for (const Vector& v : Rfc3720Vectors()) EXPECT_EQ(Crc32c(v.data), v.crc) << v.name;
}

TEST(Crc32c, Rfc3720VectorsHardware) {
  if (!HasHardwareCrc32c()) {
    // No SSE4.2 here: the default path must then be the portable one, tested above.
    EXPECT_EQ(Crc32c(Bytes(32, 0)), Crc32cExtendPortable(0, Bytes(32, 0)));
    return;
  }
  for (const Vector& v : Rfc3720Vectors()) {
    EXPECT_EQ(Crc32cExtendHardware(0, v.data), v.crc) << v.name;
  }
}

TEST(Crc32c, ImplementationsAgreeOnEveryLengthAndAlignment) {
  SeededRng rng(7);
  Bytes buf(300);
  rng.Fill(buf);
  for (size_t start = 0; start < 9; ++start) {
    for (size_t len = 0; start + len <= buf.size(); len += 1 + len / 8) {
      ByteSpan s = ByteSpan(buf).subspan(start, len);
      const uint32_t portable = Crc32cExtendPortable(0, s);
      EXPECT_EQ(Crc32c(s), portable) << start << "+" << len;
      if (HasHardwareCrc32c()) {
        EXPECT_EQ(Crc32cExtendHardware(0, s), portable) << start << "+" << len;
      }
    }
  }
}

TEST(Crc32c, ExtendEqualsWhole) {
  const ByteSpan all = AsBytes("hello, segmented world");
  for (size_t cut = 0; cut <= all.size(); ++cut) {
    EXPECT_EQ(Crc32cExtend(Crc32c(all.first(cut)), all.subspan(cut)), Crc32c(all)) << cut;
  }
}

TEST(Crc32c, DetectsEverySingleBitFlip) {
  Bytes data(64, 0x5A);
  const uint32_t good = Crc32c(data);
  for (size_t bit = 0; bit < data.size() * 8; ++bit) {
    data[bit / 8] ^= uint8_t(1 << (bit % 8));
    EXPECT_NE(Crc32c(data), good) << bit;
    data[bit / 8] ^= uint8_t(1 << (bit % 8));
  }
}

}  // namespace
}  // namespace dlog::log
