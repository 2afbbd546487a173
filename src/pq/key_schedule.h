// The key schedule of the PQ exchange: a keyed hash, a tree of labels for domain
// separation, and the chaining key `ck` with Rosenpass's mix / extract / encrypt-and-mix
// operations (Rosenpass whitepaper, "Hashes" and "Helper Functions"; docs/PQ.md).
//
//   hash(k, d)       = HMAC-BLAKE2s(k, d)                          32 bytes
//   hash(a, b, c…)   = hash(hash(a, b), c…)
//   lhash(a…)        = hash(hash(0³², PROTOCOL), a…)
//   extract_key(l…)  = hash(ck, lhash("chaining key extract", l…))
//   mix(d)           : ck ← hash(extract_key("mix"), d)
//   encrypt_and_mix(pt) = AEAD(extract_key("handshake encryption"), 0, pt, ""); mix(ct)
//
// PROTOCOL names every primitive and the parameter sets, so two configurations that
// differ in any of them share no key (the labels differ from the first hash on).
//
// Not thread-safe; each ChainingKey has one owner. Labels are immutable after Make().
#pragma once

#include <initializer_list>
#include <string>

#include "base/bytes.h"
#include "base/secret.h"
#include "pq/kem.h"

namespace dlog::pq {

using Key = Secret<32>;
using Label = ByteArray<32>;

// hash(k, d) above.
void KeyedHash(uint8_t out[32], ByteSpan key, ByteSpan data);

// The label values of one protocol configuration, computed once (the whitepaper's
// "pseudo-random labels").
struct Labels {
  std::string protocol;  // PROTOCOL
  Label mac;             // lhash("mac")
  Label cookie;          // lhash("cookie")
  Label cookie_value;    // lhash("cookie-value")
  Label cookie_key;      // lhash("cookie-key")
  Label peer_id;         // lhash("peer id")
  Label biscuit_ad;      // lhash("biscuit additional data")
  Label ck_init;         // lhash("chaining key init")
  Label mix;             // lhash("chaining key extract", "mix")
  Label hs_enc;          // lhash("chaining key extract", "handshake encryption")
  Label ini_enc;         // lhash("chaining key extract", "initiator session encryption")
  Label res_enc;         // lhash("chaining key extract", "responder session encryption")
  Label wireguard_psk;   // lhash("chaining key extract", "user", "dlog", "wireguard psk")

  static Labels Make(Algorithm a);
};

// hash(label, parts[0], parts[1], …): one branch of the label tree.
Label HashChain(const Label& label, std::initializer_list<ByteSpan> parts);

// The handshake state.
class ChainingKey {
 public:
  ChainingKey() = default;  // unusable until assigned
  // ck ← lhash("chaining key init", spkr)
  ChainingKey(const Labels& labels, ByteSpan spkr);
  // Restores a chaining key carried in a biscuit.
  ChainingKey(const Labels& labels, const Key& ck) : labels_(&labels), ck_(ck) {}

  void Mix(ByteSpan d);
  Key Extract(const Label& label) const;
  // Writes pt.size() + 16 bytes to `ct`, then mixes them.
  void EncryptAndMix(ByteSpan pt, uint8_t* ct);
  // Writes ct.size() - 16 bytes to `pt` (may be null when that is 0) and mixes `ct`;
  // false (state unchanged) when the tag does not verify.
  [[nodiscard]] bool DecryptAndMix(ByteSpan ct, uint8_t* pt);
  // encaps_and_mix: (ct, shk) ← Encaps(pk); mix(pk, ct, shk). Fails when pk is invalid.
  Status EncapsAndMix(Algorithm a, ByteSpan pk, Rng& rng, uint8_t* ct);
  // decaps_and_mix: shk ← Decaps(sk, ct); mix(pk, ct, shk).
  Status DecapsAndMix(Algorithm a, ByteSpan sk, ByteSpan pk, ByteSpan ct);

  const Key& value() const { return ck_; }

 private:
  const Labels* labels_ = nullptr;
  Key ck_;
};

}  // namespace dlog::pq
