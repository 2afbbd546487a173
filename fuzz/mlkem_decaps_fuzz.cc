// libFuzzer target: ML-KEM Decaps and Encaps on attacker-chosen bytes.
//
// Input layout:
//   byte 0        parameter set (mod 3)
//   bytes 1..64   KeyGen_internal seed d ‖ z (zero-padded when short)
//   the rest      payload, used as ciphertext, as encapsulation key and as decapsulation key
//
// Invariants (a violation aborts):
//   - Decaps of the payload fitted to the ciphertext length always succeeds (accepting or
//     implicitly rejecting), and gives the same key twice.
//   - Encaps to the derived ek, then Decaps, agree.
//   - Encaps with the payload as ek succeeds exactly when MlKemCheckEncapsKey accepts it.
//   - Nothing crashes on wrong lengths, unreduced keys or corrupt decapsulation keys.
#include <cstdint>
#include <cstdlib>

#include "base/rng.h"
#include "crypto/mlkem.h"

using namespace dlog;
using namespace dlog::crypto;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

// The payload truncated or zero-padded to n bytes.
Bytes Fitted(ByteSpan payload, size_t n) {
  Bytes out(payload.begin(), payload.begin() + std::min(n, payload.size()));
  out.resize(n, 0);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const MlKemParams params = static_cast<MlKemParams>(data[0] % 3);
  ByteSpan rest(data + 1, size - 1);
  const Bytes seed = Fitted(rest, kMlKemSeedSize);
  const ByteSpan payload = rest.subspan(std::min(rest.size(), kMlKemSeedSize));

  Result<MlKemKeyPair> kp = MlKemKeyGenInternal(params, seed);
  Check(kp.ok());
  const ByteSpan dk = kp->dk.span();

  // Decaps of arbitrary ciphertexts.
  (void)MlKemDecaps(params, dk, payload);
  const Bytes c = Fitted(payload, MlKemCiphertextSize(params));
  Result<MlKemSharedKey> k1 = MlKemDecaps(params, dk, c);
  Result<MlKemSharedKey> k2 = MlKemDecaps(params, dk, c);
  Check(k1.ok() && k2.ok() && *k1 == *k2);

  // Encaps to the honest key round-trips.
  SeededRng rng(size);
  Result<MlKemEncapsulation> enc = MlKemEncaps(params, kp->ek, rng);
  Check(enc.ok());
  Result<MlKemSharedKey> k3 = MlKemDecaps(params, dk, enc->ciphertext);
  Check(k3.ok() && *k3 == enc->shared_key);

  // Encaps with arbitrary encapsulation keys.
  (void)MlKemEncaps(params, payload, rng);
  const Bytes ek = Fitted(payload, MlKemEncapsKeySize(params));
  Check(MlKemEncaps(params, ek, rng).ok() == MlKemCheckEncapsKey(params, ek).ok());

  // Decaps with arbitrary decapsulation keys (mostly caught by the §7.3 hash check).
  (void)MlKemDecaps(params, payload, c);
  (void)MlKemDecaps(params, Fitted(payload, MlKemDecapsKeySize(params)), c);
  return 0;
}
