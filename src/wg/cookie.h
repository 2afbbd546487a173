// MAC1/MAC2 and cookie replies: WireGuard's DoS mitigation (paper §5.3, §5.4.4, §5.4.7).
//
//   mac1   = MAC(HASH("mac1----" || S_pub_receiver), msg[0:mac1 offset])
//   cookie = MAC(R, source address || source port)        R: random, renewed every 120 s
//   mac2   = MAC(cookie, msg[0:mac2 offset])               zero when no fresh cookie
//   reply  = XAEAD(HASH("cookie--" || S_pub_receiver), random 24-byte nonce, cookie, mac1)
//
// MAC is keyed BLAKE2s with a 16-byte output.
#pragma once

#include <mutex>
#include <optional>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/rng.h"
#include "base/secret.h"
#include "crypto/x25519.h"
#include "wg/endpoint.h"
#include "wg/messages.h"

namespace dlog::wg {

// The receiving side: verifies MACs of handshake messages addressed to us and makes
// cookie replies. Keyed by our own static public key. Thread-safe (the rotating
// secret is guarded by an internal leaf mutex; the MAC keys are immutable).
class CookieChecker {
 public:
  explicit CookieChecker(const crypto::X25519Public& our_public);

  // `msg` is a whole initiation or response message.
  template <typename Msg>
  bool CheckMac1(const Msg& msg) const {
    return CheckMac1(BeforeMac1(msg), msg.mac1);
  }
  // False also when the secret is older than kCookieRefreshTime (no valid cookie can
  // exist then).
  template <typename Msg>
  bool CheckMac2(const Msg& msg, const Endpoint& source, TimePoint now) const {
    return CheckMac2(BeforeMac2(msg), msg.mac2, source, now);
  }
  // A cookie reply to the handshake message `msg` (whose sender index the reply
  // names), binding the cookie to `source`. Renews the secret when stale.
  template <typename Msg>
  MessageCookieReply CreateReply(const Msg& msg, const Endpoint& source, TimePoint now, Rng& rng) {
    return CreateReply(LoadLE32(msg.sender), msg.mac1, source, now, rng);
  }

 private:
  bool CheckMac1(ByteSpan covered, const uint8_t mac1[kMacSize]) const;
  bool CheckMac2(ByteSpan covered, const uint8_t mac2[kMacSize], const Endpoint& source,
                 TimePoint now) const;
  MessageCookieReply CreateReply(uint32_t receiver, const uint8_t mac1[kMacSize],
                                 const Endpoint& source, TimePoint now, Rng& rng);
  void MakeCookie(const Endpoint& source, uint8_t cookie[kMacSize]) const;  // mu_ held

  Secret<32> mac1_key_;
  Secret<32> cookie_key_;
  mutable std::mutex mu_;
  Secret<32> secret_;                     // guarded by mu_
  std::optional<TimePoint> secret_born_;  // guarded by mu_
};

// The sending side, one per peer: adds MAC1/MAC2 to the handshake messages we send to
// that peer and consumes the cookie replies it sends us. Keyed by the peer's public
// key. Not thread-safe: guarded by the peer's mutex.
class CookieGenerator {
 public:
  explicit CookieGenerator(const crypto::X25519Public& peer_public);

  template <typename Msg>
  void AddMacs(Msg& msg, TimePoint now) {
    AddMacs(reinterpret_cast<uint8_t*>(&msg), offsetof(Msg, mac1), now);
  }
  // Stores the cookie when `reply` decrypts under the MAC1 we sent last; false else.
  bool ConsumeReply(const MessageCookieReply& reply, TimePoint now);
  bool HasFreshCookie(TimePoint now) const;

 private:
  void AddMacs(uint8_t* msg, size_t mac1_offset, TimePoint now);

  Secret<32> mac1_key_;
  Secret<32> cookie_key_;
  uint8_t last_mac1_[kMacSize] = {};
  bool have_sent_mac1_ = false;
  Secret<kMacSize> cookie_;
  std::optional<TimePoint> cookie_born_;
};

}  // namespace dlog::wg
