#include "wg/noise.h"

#include <cstring>

#include "crypto/aead.h"
#include "crypto/blake2s.h"
#include "wg/constants.h"

namespace dlog::wg {
namespace {

using crypto::X25519Private;
using crypto::X25519Public;

struct InitialState {
  NoiseKey chaining_key;  // HASH(CONSTRUCTION)
  NoiseKey hash;          // HASH(C || IDENTIFIER)
  InitialState() {
    crypto::Hash(chaining_key.data(), {AsBytes(kConstruction)});
    crypto::Hash(hash.data(), {chaining_key.span(), AsBytes(kIdentifier)});
  }
};

const InitialState& Initial() {
  static const InitialState state;
  return state;
}

void MixHash(NoiseKey& h, ByteSpan data) { crypto::Hash(h.data(), {h.span(), data}); }

// C := KDF1(C, data)
void MixKey(NoiseKey& ck, ByteSpan data) { crypto::Kdf(ck.span(), data, ck.data()); }

// (C, k) := KDF2(C, DH(priv, pub)), or C := KDF1(C, DH(priv, pub)) when key is null.
bool MixDh(NoiseKey& ck, NoiseKey* key, const X25519Private& priv, const X25519Public& pub) {
  crypto::SharedSecret dh;
  if (!crypto::X25519(priv, pub, dh)) return false;
  crypto::Kdf(ck.span(), dh.span(), ck.data(), key ? key->data() : nullptr);
  return true;
}

// (C, tau, k) := KDF3(C, Q); H := HASH(H || tau)
void MixPsk(NoiseKey& ck, NoiseKey& hash, NoiseKey& key, const NoiseKey& psk) {
  NoiseKey tau;
  crypto::Kdf(ck.span(), psk.span(), ck.data(), tau.data(), key.data());
  MixHash(hash, tau.span());
}

}  // namespace

void Handshake::Clear() {
  local_ephemeral.Wipe();
  remote_ephemeral.fill(0);
  hash.Wipe();
  chaining_key.Wipe();
  local_index = 0;
  state = HandshakeState::kZeroed;
}

bool CreateInitiation(const StaticIdentity& self, Handshake& hs, uint32_t sender_index,
                      WallTime wall, Rng& rng, MessageInitiation& msg) {
  if (hs.precomputed_static_static.IsZero()) return false;
  NoiseKey ck = Initial().chaining_key;
  NoiseKey hash = Initial().hash;
  NoiseKey key;
  MixHash(hash, hs.remote_static);

  /* e */
  X25519Private ephemeral = crypto::GeneratePrivateKey(rng);
  X25519Public ephemeral_pub = crypto::PublicKeyOf(ephemeral);
  std::memcpy(msg.ephemeral, ephemeral_pub.data(), kKeySize);
  MixKey(ck, ephemeral_pub);
  MixHash(hash, ephemeral_pub);

  /* es */
  if (!MixDh(ck, &key, ephemeral, hs.remote_static)) return false;

  /* s */
  crypto::ChaChaPolySeal(key.data(), 0, self.public_key, hash.span(), msg.encrypted_static);
  MixHash(hash, msg.encrypted_static);

  /* ss */
  crypto::Kdf(ck.span(), hs.precomputed_static_static.span(), ck.data(), key.data());

  /* {t} */
  Tai64n timestamp = MakeTai64n(wall);
  crypto::ChaChaPolySeal(key.data(), 0, timestamp, hash.span(), msg.encrypted_timestamp);
  MixHash(hash, msg.encrypted_timestamp);

  StoreLE32(msg.type, kMessageInitiation);
  StoreLE32(msg.sender, sender_index);
  std::memset(msg.mac1, 0, kMacSize);
  std::memset(msg.mac2, 0, kMacSize);
  hs.hash = hash;
  hs.chaining_key = ck;
  hs.local_ephemeral = ephemeral;
  hs.local_index = sender_index;
  hs.state = HandshakeState::kInitiationCreated;
  return true;
}

bool OpenInitiation(const StaticIdentity& self, const MessageInitiation& msg,
                    InitiationOpening& out) {
  out.chaining_key = Initial().chaining_key;
  out.hash = Initial().hash;
  NoiseKey key;
  X25519Public ephemeral;
  std::memcpy(ephemeral.data(), msg.ephemeral, kKeySize);
  MixHash(out.hash, self.public_key);

  /* e */
  MixKey(out.chaining_key, ephemeral);
  MixHash(out.hash, ephemeral);

  /* es */
  if (!MixDh(out.chaining_key, &key, self.private_key, ephemeral)) return false;

  /* s */
  if (!crypto::ChaChaPolyOpen(key.data(), 0, msg.encrypted_static, out.hash.span(),
                              out.initiator_static.data())) {
    return false;
  }
  MixHash(out.hash, msg.encrypted_static);
  return true;
}

ConsumeStatus ConsumeInitiation(const InitiationOpening& opening, const MessageInitiation& msg,
                                Handshake& hs, TimePoint now) {
  if (hs.precomputed_static_static.IsZero()) return ConsumeStatus::kFailed;
  NoiseKey ck = opening.chaining_key;
  NoiseKey hash = opening.hash;
  NoiseKey key;

  /* ss */
  crypto::Kdf(ck.span(), hs.precomputed_static_static.span(), ck.data(), key.data());

  /* {t} */
  Tai64n timestamp;
  if (!crypto::ChaChaPolyOpen(key.data(), 0, msg.encrypted_timestamp, hash.span(),
                              timestamp.data())) {
    return ConsumeStatus::kFailed;
  }
  MixHash(hash, msg.encrypted_timestamp);

  if (!Tai64nAfter(timestamp, hs.last_timestamp)) return ConsumeStatus::kReplay;
  if (hs.last_initiation_consumed && now - *hs.last_initiation_consumed <= kHandshakeInitiationRate)
    return ConsumeStatus::kFlood;

  hs.hash = hash;
  hs.chaining_key = ck;
  hs.remote_index = LoadLE32(msg.sender);
  std::memcpy(hs.remote_ephemeral.data(), msg.ephemeral, kKeySize);
  hs.last_timestamp = timestamp;
  hs.last_initiation_consumed = now;
  hs.state = HandshakeState::kInitiationConsumed;
  return ConsumeStatus::kOk;
}

bool CreateResponse(Handshake& hs, uint32_t sender_index, Rng& rng, MessageResponse& msg) {
  if (hs.state != HandshakeState::kInitiationConsumed) return false;
  NoiseKey ck = hs.chaining_key;
  NoiseKey hash = hs.hash;
  NoiseKey key;

  /* e */
  X25519Private ephemeral = crypto::GeneratePrivateKey(rng);
  X25519Public ephemeral_pub = crypto::PublicKeyOf(ephemeral);
  std::memcpy(msg.ephemeral, ephemeral_pub.data(), kKeySize);
  MixHash(hash, ephemeral_pub);
  MixKey(ck, ephemeral_pub);

  /* ee */
  if (!MixDh(ck, nullptr, ephemeral, hs.remote_ephemeral)) return false;
  /* se */
  if (!MixDh(ck, nullptr, ephemeral, hs.remote_static)) return false;

  /* psk */
  MixPsk(ck, hash, key, hs.preshared_key);

  /* {} */
  crypto::ChaChaPolySeal(key.data(), 0, {}, hash.span(), msg.encrypted_nothing);
  MixHash(hash, msg.encrypted_nothing);

  StoreLE32(msg.type, kMessageResponse);
  StoreLE32(msg.sender, sender_index);
  StoreLE32(msg.receiver, hs.remote_index);
  std::memset(msg.mac1, 0, kMacSize);
  std::memset(msg.mac2, 0, kMacSize);
  hs.hash = hash;
  hs.chaining_key = ck;
  hs.local_ephemeral = ephemeral;
  hs.local_index = sender_index;
  hs.state = HandshakeState::kResponseCreated;
  return true;
}

bool ConsumeResponse(const StaticIdentity& self, Handshake& hs, const MessageResponse& msg) {
  if (hs.state != HandshakeState::kInitiationCreated) return false;
  NoiseKey ck = hs.chaining_key;
  NoiseKey hash = hs.hash;
  NoiseKey key;
  X25519Public ephemeral;
  std::memcpy(ephemeral.data(), msg.ephemeral, kKeySize);

  /* e */
  MixHash(hash, ephemeral);
  MixKey(ck, ephemeral);

  /* ee */
  if (!MixDh(ck, nullptr, hs.local_ephemeral, ephemeral)) return false;
  /* se */
  if (!MixDh(ck, nullptr, self.private_key, ephemeral)) return false;

  /* psk */
  MixPsk(ck, hash, key, hs.preshared_key);

  /* {} */
  uint8_t nothing[1];
  if (!crypto::ChaChaPolyOpen(key.data(), 0, msg.encrypted_nothing, hash.span(), nothing))
    return false;
  MixHash(hash, msg.encrypted_nothing);

  hs.hash = hash;
  hs.chaining_key = ck;
  hs.remote_index = LoadLE32(msg.sender);
  hs.state = HandshakeState::kResponseConsumed;
  return true;
}

bool DeriveSessionKeys(Handshake& hs, SessionKeys& out) {
  if (hs.state == HandshakeState::kResponseConsumed) {
    crypto::Kdf(hs.chaining_key.span(), {}, out.send.data(), out.receive.data());
    out.initiator = true;
  } else if (hs.state == HandshakeState::kResponseCreated) {
    crypto::Kdf(hs.chaining_key.span(), {}, out.receive.data(), out.send.data());
    out.initiator = false;
  } else {
    return false;
  }
  out.local_index = hs.local_index;
  out.remote_index = hs.remote_index;
  hs.Clear();
  return true;
}

}  // namespace dlog::wg
