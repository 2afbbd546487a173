#include "crypto/aead.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <cstring>
#include <memory>

namespace dlog::crypto {
namespace {

// The data path uses OpenSSL's stitched ChaCha20-Poly1305 (AVX2/AVX-512 where the CPU
// has them). One cipher context per thread, keyed per call.
struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

EVP_CIPHER_CTX* ThreadCtx(bool encrypt) {
  thread_local std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter> enc, dec;
  auto& slot = encrypt ? enc : dec;
  if (!slot) {
    static EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
    slot.reset(EVP_CIPHER_CTX_new());
    EVP_CipherInit_ex2(slot.get(), cipher, nullptr, nullptr, encrypt ? 1 : 0, nullptr);
  }
  return slot.get();
}

void MakeNonce(uint8_t nonce[12], uint64_t counter) {
  std::memset(nonce, 0, 4);
  for (int i = 0; i < 8; ++i) nonce[4 + i] = uint8_t(counter >> (8 * i));
}

}  // namespace

void ChaChaPolySealNonce(const uint8_t key[kAeadKeySize], const uint8_t nonce[12],
                         ByteSpan plaintext, ByteSpan ad, uint8_t* out) {
  EVP_CIPHER_CTX* ctx = ThreadCtx(true);
  int len = 0;
  EVP_CipherInit_ex2(ctx, nullptr, key, nonce, 1, nullptr);
  if (!ad.empty()) EVP_CipherUpdate(ctx, nullptr, &len, ad.data(), int(ad.size()));
  if (!plaintext.empty())
    EVP_CipherUpdate(ctx, out, &len, plaintext.data(), int(plaintext.size()));
  EVP_CipherFinal_ex(ctx, out + plaintext.size(), &len);
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, kAeadTagSize, out + plaintext.size());
}

bool ChaChaPolyOpenNonce(const uint8_t key[kAeadKeySize], const uint8_t nonce[12],
                         ByteSpan ciphertext, ByteSpan ad, uint8_t* out) {
  if (ciphertext.size() < kAeadTagSize) return false;
  const size_t n = ciphertext.size() - kAeadTagSize;
  uint8_t tag[kAeadTagSize];
  std::memcpy(tag, ciphertext.data() + n, kAeadTagSize);
  EVP_CIPHER_CTX* ctx = ThreadCtx(false);
  int len = 0;
  EVP_CipherInit_ex2(ctx, nullptr, key, nonce, 0, nullptr);
  if (!ad.empty()) EVP_CipherUpdate(ctx, nullptr, &len, ad.data(), int(ad.size()));
  if (n) EVP_CipherUpdate(ctx, out, &len, ciphertext.data(), int(n));
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, kAeadTagSize, tag);
  return EVP_CipherFinal_ex(ctx, out + n, &len) == 1;
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
  crypto_aead_xchacha20poly1305_ietf_encrypt(out, nullptr, plaintext.data(), plaintext.size(),
                                             ad.data(), ad.size(), nullptr, nonce, key);
}

bool XChaChaPolyOpen(const uint8_t key[kAeadKeySize], const uint8_t nonce[kXNonceSize],
                     ByteSpan ciphertext, ByteSpan ad, uint8_t* out) {
  if (ciphertext.size() < kAeadTagSize) return false;
  return crypto_aead_xchacha20poly1305_ietf_decrypt(out, nullptr, nullptr, ciphertext.data(),
                                                    ciphertext.size(), ad.data(), ad.size(),
                                                    nonce, key) == 0;
}

}  // namespace dlog::crypto
