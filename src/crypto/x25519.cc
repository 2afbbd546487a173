#include "crypto/x25519.h"

#include <sodium.h>

namespace dlog::crypto {

X25519Private GeneratePrivateKey(Rng& rng) {
  X25519Private key;
  rng.Fill(key.span());
  ClampPrivateKey(key);
  return key;
}

void ClampPrivateKey(X25519Private& key) {
  key.data()[0] &= 248;
  key.data()[31] = (key.data()[31] & 127) | 64;
}

X25519Public PublicKeyOf(const X25519Private& key) {
  X25519Public pub;
  crypto_scalarmult_curve25519_base(pub.data(), key.data());
  return pub;
}

bool X25519(const X25519Private& priv, const X25519Public& pub, SharedSecret& out) {
  // libsodium returns -1 when the output is all zeros (low-order point).
  if (crypto_scalarmult_curve25519(out.data(), priv.data(), pub.data()) != 0) {
    out.Wipe();
    return false;
  }
  return true;
}

}  // namespace dlog::crypto
