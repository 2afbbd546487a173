// X25519 (RFC 7748) over libsodium.
#pragma once

#include "base/bytes.h"
#include "base/rng.h"
#include "base/secret.h"

namespace dlog::crypto {

constexpr size_t kX25519KeySize = 32;
using X25519Public = ByteArray<kX25519KeySize>;
using X25519Private = Secret<kX25519KeySize>;
using SharedSecret = Secret<32>;

// A fresh private key, clamped as in RFC 7748 §5 (and as `wg genkey` prints it).
X25519Private GeneratePrivateKey(Rng& rng);
// Clamps in place (idempotent).
void ClampPrivateKey(X25519Private& key);
X25519Public PublicKeyOf(const X25519Private& key);
// DH(private, public). Returns false when the result is all zeros, i.e. the peer's
// public key has low order; callers must then reject the message.
[[nodiscard]] bool X25519(const X25519Private& priv, const X25519Public& pub, SharedSecret& out);

}  // namespace dlog::crypto
