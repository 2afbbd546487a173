#include "crypto/aead.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "base/secret.h"

namespace dlog::crypto {
namespace {

// An EVP call that fails here means a broken OpenSSL (no ChaCha20-Poly1305 provider),
// not bad input: stop rather than emit garbage.
void Check(int ok) {
  if (ok != 1) std::abort();
}

void EnsureSodium() {
  static const bool ready = sodium_init() >= 0;
  if (!ready) std::abort();
}

// The data path uses OpenSSL's stitched ChaCha20-Poly1305 (AVX2/AVX-512 where the CPU
// has them). One cipher context per thread and direction, keyed per call.
struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

EVP_CIPHER_CTX* ThreadCtx(bool encrypt) {
  thread_local std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter> enc, dec;
  auto& slot = encrypt ? enc : dec;
  if (!slot) {
    static EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
    if (cipher == nullptr) std::abort();
    slot.reset(EVP_CIPHER_CTX_new());
    if (!slot) std::abort();
    Check(EVP_CipherInit_ex2(slot.get(), cipher, nullptr, nullptr, encrypt ? 1 : 0, nullptr));
  }
  return slot.get();
}

// WireGuard's nonce: 32 zero bits, then the counter as 64-bit little endian.
void MakeNonce(uint8_t nonce[12], uint64_t counter) {
  std::memset(nonce, 0, 4);
  StoreLE64(nonce + 4, counter);
}

int Len(size_t n) {
  if (n > size_t(INT_MAX)) std::abort();  // EVP takes int lengths
  return int(n);
}

}  // namespace

void ChaChaPolySealNonce(const uint8_t key[kAeadKeySize], const uint8_t nonce[12],
                         ByteSpan plaintext, ByteSpan ad, uint8_t* out) {
  EVP_CIPHER_CTX* ctx = ThreadCtx(true);
  const size_t n = plaintext.size();
  int len = 0;
  Check(EVP_CipherInit_ex2(ctx, nullptr, key, nonce, 1, nullptr));
  if (!ad.empty()) Check(EVP_CipherUpdate(ctx, nullptr, &len, ad.data(), Len(ad.size())));
  if (n != 0) Check(EVP_CipherUpdate(ctx, out, &len, plaintext.data(), Len(n)));
  Check(EVP_CipherFinal_ex(ctx, out + n, &len));
  Check(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, kAeadTagSize, out + n));
}

bool ChaChaPolyOpenNonce(const uint8_t key[kAeadKeySize], const uint8_t nonce[12],
                         ByteSpan ciphertext, ByteSpan ad, uint8_t* out) {
  if (ciphertext.size() < kAeadTagSize) return false;
  const size_t n = ciphertext.size() - kAeadTagSize;
  uint8_t tag[kAeadTagSize];
  std::memcpy(tag, ciphertext.data() + n, kAeadTagSize);  // before `out` may overwrite it
  EVP_CIPHER_CTX* ctx = ThreadCtx(false);
  int len = 0;
  Check(EVP_CipherInit_ex2(ctx, nullptr, key, nonce, 0, nullptr));
  if (!ad.empty()) Check(EVP_CipherUpdate(ctx, nullptr, &len, ad.data(), Len(ad.size())));
  if (n != 0) Check(EVP_CipherUpdate(ctx, out, &len, ciphertext.data(), Len(n)));
  Check(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, kAeadTagSize, tag));
  if (EVP_CipherFinal_ex(ctx, out + n, &len) != 1) {
    if (n != 0) SecureZero(out, n);  // OpenSSL decrypts before it verifies: withdraw it
    return false;
  }
  return true;
}

void ChaChaPolySeal(const uint8_t key[kAeadKeySize], uint64_t counter, ByteSpan plaintext,
                    ByteSpan ad, uint8_t* out) {
  uint8_t nonce[12];
  MakeNonce(nonce, counter);
  ChaChaPolySealNonce(key, nonce, plaintext, ad, out);
}

bool ChaChaPolyOpen(const uint8_t key[kAeadKeySize], uint64_t counter, ByteSpan ciphertext,
                    ByteSpan ad, uint8_t* out) {
  uint8_t nonce[12];
  MakeNonce(nonce, counter);
  return ChaChaPolyOpenNonce(key, nonce, ciphertext, ad, out);
}

void XChaChaPolySeal(const uint8_t key[kAeadKeySize], const uint8_t nonce[kXNonceSize],
                     ByteSpan plaintext, ByteSpan ad, uint8_t* out) {
  EnsureSodium();
  crypto_aead_xchacha20poly1305_ietf_encrypt(out, nullptr, plaintext.data(), plaintext.size(),
                                             ad.data(), ad.size(), nullptr, nonce, key);
}

bool XChaChaPolyOpen(const uint8_t key[kAeadKeySize], const uint8_t nonce[kXNonceSize],
                     ByteSpan ciphertext, ByteSpan ad, uint8_t* out) {
  if (ciphertext.size() < kAeadTagSize) return false;
  EnsureSodium();
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, nullptr, nullptr, ciphertext.data(),
                                                 ciphertext.size(), ad.data(), ad.size(), nonce,
                                                 key) != 0) {
    if (ciphertext.size() != kAeadTagSize) SecureZero(out, ciphertext.size() - kAeadTagSize);
    return false;
  }
  return true;
}

}  // namespace dlog::crypto
