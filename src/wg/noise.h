// The Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s handshake of WireGuard (paper §5.4.2-5.4.5):
//
//   Initiator                                      Responder
//   CreateInitiation   -- e, es, s, ss, {t} -->    OpenInitiation + ConsumeInitiation
//   ConsumeResponse    <-- e, ee, se, psk, {} --   CreateResponse
//   DeriveSessionKeys                              DeriveSessionKeys
//
// These functions compute; they do not send, allocate indices or touch timers. Every
// intermediate secret lives in a self-wiping Secret<N>, so each exit path erases it.
// A low-order public key (an all-zero X25519 result) makes the step fail.
#pragma once

#include <cstdint>
#include <optional>

#include "base/clock.h"
#include "base/rng.h"
#include "base/secret.h"
#include "crypto/x25519.h"
#include "wg/messages.h"
#include "wg/tai64n.h"

namespace dlog::wg {

using NoiseKey = Secret<32>;

struct StaticIdentity {
  crypto::X25519Private private_key;
  crypto::X25519Public public_key{};
};

enum class HandshakeState {
  kZeroed,
  kInitiationCreated,
  kInitiationConsumed,
  kResponseCreated,
  kResponseConsumed,
};

// One peer's handshake. Not thread-safe: the owning peer's mutex guards it.
struct Handshake {
  HandshakeState state = HandshakeState::kZeroed;
  NoiseKey hash;
  NoiseKey chaining_key;
  crypto::X25519Private local_ephemeral;
  crypto::X25519Public remote_static{};
  crypto::X25519Public remote_ephemeral{};
  NoiseKey precomputed_static_static;  // DH(our static, remote static); zero: unusable
  NoiseKey preshared_key;              // zero when none is configured
  uint32_t local_index = 0;            // 0: none
  uint32_t remote_index = 0;
  Tai64n last_timestamp{};                            // greatest TAI64N consumed
  std::optional<TimePoint> last_initiation_consumed;  // flood limit
  std::optional<TimePoint> last_sent_handshake;       // REKEY_TIMEOUT limit

  // Erases the ephemeral, hash and chaining key and returns to kZeroed. The caller
  // releases local_index from the index table first.
  void Clear();
};

// Initiator: fills every field of `msg` but mac1/mac2, and moves `hs` to
// kInitiationCreated with local_index = sender_index. False when the peer's static
// key is low order (no usable static-static DH).
[[nodiscard]] bool CreateInitiation(const StaticIdentity& self, Handshake& hs,
                                    uint32_t sender_index, WallTime wall, Rng& rng,
                                    MessageInitiation& msg);

// Responder, first half: no peer is known yet. Decrypts the initiator's static key.
struct InitiationOpening {
  NoiseKey hash;
  NoiseKey chaining_key;
  crypto::X25519Public initiator_static{};
};
[[nodiscard]] bool OpenInitiation(const StaticIdentity& self, const MessageInitiation& msg,
                                  InitiationOpening& out);

enum class ConsumeStatus { kOk, kFailed, kReplay, kFlood };

// Responder, second half, with the handshake of the peer the static key names:
// decrypts the timestamp, rejects replays (TAI64N not strictly after the last one) and
// floods (less than kHandshakeInitiationRate since the last consumed initiation), then
// moves `hs` to kInitiationConsumed.
ConsumeStatus ConsumeInitiation(const InitiationOpening& opening, const MessageInitiation& msg,
                                Handshake& hs, TimePoint now);

// Responder: requires kInitiationConsumed; fills all but the MACs; kResponseCreated.
[[nodiscard]] bool CreateResponse(Handshake& hs, uint32_t sender_index, Rng& rng,
                                  MessageResponse& msg);

// Initiator: requires kInitiationCreated; on success kResponseConsumed. `hs` is left
// unchanged on failure, so a forged response cannot spoil a pending handshake.
[[nodiscard]] bool ConsumeResponse(const StaticIdentity& self, Handshake& hs,
                                   const MessageResponse& msg);

struct SessionKeys {
  NoiseKey send;
  NoiseKey receive;
  bool initiator = false;
  uint32_t local_index = 0;
  uint32_t remote_index = 0;
};

// Splits the chaining key into transport keys (initiator: send = T1, receive = T2;
// responder the reverse) and clears the handshake. Requires kResponseConsumed or
// kResponseCreated. The local index passes to the session; hs.local_index becomes 0.
[[nodiscard]] bool DeriveSessionKeys(Handshake& hs, SessionKeys& out);

}  // namespace dlog::wg
