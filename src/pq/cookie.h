// The cookie defence against denial of service (Rosenpass whitepaper "Denial of Service
// Mitigation and Cookies", after WireGuard's MAC2).
//
// While under load, a responder processes an InitHello fragment only if its cookie field
// verifies; otherwise it drops the fragment and, for fragment 0, answers with a
// CookieReply sent to the fragment's source address:
//
//    0        1        2        3
//   +--------+--------+--------+--------+
//   |  0x86  |version |   0    |   0    |
//   +--------+--------+--------+--------+
//   |     msg_id (LE32) of the fragment |
//   +-----------------------------------+
//   |  nonce (24)                       |
//   +-----------------------------------+
//   |  XAEAD(lhash("cookie-key", spkm), nonce, cookie_value, ad = fragment's mac) (32)
//   +-----------------------------------+                                     64 bytes
//
//   cookie_value = hash(hash(lhash("cookie-value"), cookie_secret), address ‖ port)[0..16]
//
// The reply is smaller than the fragment it answers (no amplification), names the
// sender's address (so a spoofed source never learns the cookie), and only a holder of
// the responder's public key can open it. cookie_secret is random and rotates every
// kCookieSecretLifetime; cookies of the previous secret are still accepted.
//
// Not thread-safe.
#pragma once

#include <optional>

#include "base/clock.h"
#include "base/rng.h"
#include "pq/fragment.h"
#include "pq/key_schedule.h"
#include "wg/endpoint.h"

namespace dlog::pq {

class CookieChecker {
 public:
  CookieChecker(const Labels& labels, const Label& cookie_reply_key, Rng& rng, TimePoint now);
  void MaybeRotate(Rng& rng, TimePoint now);
  TimePoint NextRotation() const { return rotated_ + kCookieSecretLifetime; }

  // True when the enveloped datagram's cookie field is valid for `from`.
  bool Check(ByteSpan datagram, const wg::Endpoint& from) const;
  // A CookieReply (kCookieReplySize bytes) to the enveloped datagram from `from`.
  Bytes MakeReply(ByteSpan datagram, const wg::Endpoint& from, Rng& rng) const;

 private:
  CookieValue ValueFor(const Key& secret, const wg::Endpoint& from) const;

  const Labels& labels_;
  Label reply_key_;
  Key current_;
  std::optional<Key> previous_;
  TimePoint rotated_;
};

// The msg_id a CookieReply names; nullopt unless the datagram is a well-formed reply.
std::optional<uint32_t> CookieReplyMsgId(ByteSpan reply);
// Opens a CookieReply to a fragment we sent with mac `mac` to the peer whose
// lhash("cookie-key", spk) is `reply_key`.
std::optional<CookieValue> OpenCookieReply(ByteSpan reply, ByteSpan mac, const Label& reply_key);

}  // namespace dlog::pq
