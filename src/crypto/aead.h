// ChaCha20-Poly1305 (RFC 8439) and XChaCha20-Poly1305.
//
// WireGuard's AEAD nonce is 32 zero bits followed by a 64-bit little-endian counter.
// Seal writes plaintext.size() + kAeadTagSize bytes to `out`; Open writes
// ciphertext.size() - kAeadTagSize bytes, or returns false: when the tag does not
// authenticate, having zeroed those bytes of `out` (no unauthenticated plaintext is
// ever released), or when the input is shorter than a tag (`out` untouched). `out` may
// equal the input (in place; a failed Open then destroys the ciphertext); other
// overlaps are not allowed.
#pragma once

#include "base/bytes.h"

namespace dlog::crypto {

constexpr size_t kAeadKeySize = 32;
constexpr size_t kAeadTagSize = 16;
constexpr size_t kXNonceSize = 24;

void ChaChaPolySeal(const uint8_t key[kAeadKeySize], uint64_t counter, ByteSpan plaintext,
                    ByteSpan ad, uint8_t* out);
[[nodiscard]] bool ChaChaPolyOpen(const uint8_t key[kAeadKeySize], uint64_t counter,
                                  ByteSpan ciphertext, ByteSpan ad, uint8_t* out);

// RFC 8439 form with an explicit 12-byte nonce (for known-answer tests).
void ChaChaPolySealNonce(const uint8_t key[kAeadKeySize], const uint8_t nonce[12],
                         ByteSpan plaintext, ByteSpan ad, uint8_t* out);
[[nodiscard]] bool ChaChaPolyOpenNonce(const uint8_t key[kAeadKeySize], const uint8_t nonce[12],
                                       ByteSpan ciphertext, ByteSpan ad, uint8_t* out);

void XChaChaPolySeal(const uint8_t key[kAeadKeySize], const uint8_t nonce[kXNonceSize],
                     ByteSpan plaintext, ByteSpan ad, uint8_t* out);
[[nodiscard]] bool XChaChaPolyOpen(const uint8_t key[kAeadKeySize],
                                   const uint8_t nonce[kXNonceSize], ByteSpan ciphertext,
                                   ByteSpan ad, uint8_t* out);

}  // namespace dlog::crypto
