#include "crypto/x25519.h"

#include <sodium.h>

#include <cstdlib>

namespace dlog::crypto {
namespace {

// sodium_init() picks the fastest scalar multiplication for this CPU; it is
// idempotent and thread-safe.
void EnsureSodium() {
  static const bool ready = sodium_init() >= 0;
  if (!ready) std::abort();
}

}  // namespace

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
  EnsureSodium();
  X25519Public pub;
  crypto_scalarmult_curve25519_base(pub.data(), key.data());
  return pub;
}

bool X25519(const X25519Private& priv, const X25519Public& pub, SharedSecret& out) {
  EnsureSodium();
  // libsodium clamps the scalar, ignores the top bit of `pub` (RFC 7748 §5), and
  // returns -1 exactly when the result is all zeros (a low-order `pub`), having
  // possibly left `out` unwritten.
  if (crypto_scalarmult_curve25519(out.data(), priv.data(), pub.data()) != 0) {
    out.Wipe();
    return false;
  }
  return true;
}

}  // namespace dlog::crypto
