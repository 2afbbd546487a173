#include "obfs/random_pool.h"

#include <sodium.h>

#include <algorithm>
#include <cassert>
#include <cstring>

#include "base/bytes.h"

namespace dlog::obfs {

RandomPool::~RandomPool() { SecureZero(buf_, sizeof buf_); }

void RandomPool::Seed(Rng& parent) {
  parent.Fill(key_.span());
  block_ = 0;
  pos_ = kBufferSize;
  seeded_ = true;
}

void RandomPool::Refill() {
  uint8_t nonce[crypto_stream_chacha20_NONCEBYTES] = {};
  StoreLE64(nonce, block_++);
  crypto_stream_chacha20(buf_, kBufferSize, nonce, key_.data());
  pos_ = 0;
}

void RandomPool::Fill(std::span<uint8_t> out) {
  assert(seeded_);
  size_t done = 0;
  while (done < out.size()) {
    if (pos_ == kBufferSize) Refill();
    const size_t n = std::min(out.size() - done, kBufferSize - pos_);
    std::memcpy(out.data() + done, buf_ + pos_, n);
    pos_ += n;
    done += n;
  }
}

double RandomPool::UnitInterval() { return double(U64() >> 11) * 0x1.0p-53; }

}  // namespace dlog::obfs
