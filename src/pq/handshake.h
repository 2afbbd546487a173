// The cryptographic steps of the exchange, one function per message and side, labelled
// with the Rosenpass whitepaper's step names (Fig. "Message Handling Code": IHI = InitHello
// at the initiator, IHR = at the responder, RH*, IC*). No timers, no peers table, no
// retransmission: pq/exchange.h drives these.
//
//   initiator                                   responder (stateless until InitConf)
//   CreateInitHello  ── InitHello ──────────▶   ConsumeInitHello → CreateRespHello
//   ConsumeRespHello ◀───────── RespHello ──    (its state leaves in the biscuit)
//   CreateInitConf   ── InitConf ───────────▶   ConsumeInitConf → EnterLive
//   ConsumeEmptyData ◀───────── EmptyData ──    CreateEmptyData
//
// A Consume* that fails leaves every state it was given unchanged; the caller drops the
// message and counts the failure. Not thread-safe.
#pragma once

#include <functional>
#include <optional>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/rng.h"
#include "pq/key_schedule.h"
#include "pq/messages.h"

namespace dlog::pq {

// Our static identity, with the values derived from it once.
struct Identity {
  Algorithm algorithm;
  Bytes spk;  // ML-KEM encapsulation key
  crypto::MlKemDecapsKey ssk;
  Label pid;               // lhash("peer id", spk)
  Label mac_key;           // checks the mac of fragments sent to us
  Label cookie_reply_key;  // lhash("cookie-key", spk): seals our CookieReplies
};

// What we know of a peer, with the values derived from it once.
struct PeerKeys {
  Bytes spk;
  Label pid;
  Label mac_key;           // macs fragments we send to the peer
  Label cookie_reply_key;  // opens the peer's CookieReplies
  Key psk;                 // optional extra symmetric secret (zeros when none)
};

Identity MakeIdentity(const Labels& labels, Algorithm a, Bytes spk, crypto::MlKemDecapsKey ssk);
PeerKeys MakePeerKeys(const Labels& labels, Bytes spk, const Key& psk);

// Keys of a completed exchange (enter_live).
struct SessionKeys {
  Key osk;   // the WireGuard PSK: extract_key("user", "dlog", "wireguard psk")
  Key txki;  // extract_key("initiator session encryption"), unused on the wire
  Key txkr;  // extract_key("responder session encryption"): authenticates EmptyData
};

// The responder's biscuit keys: a random XChaCha20-Poly1305 key rotated every
// kBiscuitKeyLifetime (the previous one still opens), and the biscuit counter.
class BiscuitKeys {
 public:
  BiscuitKeys(Rng& rng, TimePoint now);
  void MaybeRotate(Rng& rng, TimePoint now);
  TimePoint NextRotation() const { return rotated_ + kBiscuitKeyLifetime; }
  uint64_t NextNumber() { return ++counter_; }
  uint64_t counter() const { return counter_; }  // the last number issued
  const Key& current() const { return current_; }
  const std::optional<Key>& previous() const { return previous_; }

 private:
  Key current_;
  std::optional<Key> previous_;
  TimePoint rotated_;
  uint64_t counter_ = 0;
};

struct Context {
  Algorithm algorithm;
  const Labels& labels;
  const Identity& me;
  Rng& rng;
};

// --- Initiator ---------------------------------------------------------------------

struct InitiatorHandshake {
  uint32_t sidi = 0;
  uint32_t sidr = 0;
  ChainingKey ck;
  KemKeyPair eph;  // eski / epki
};

// IHI1..IHI8. Writes the InitHello body (MessageSize(kInitHello)) to `msg`.
Result<InitiatorHandshake> CreateInitHello(const Context& c, const PeerKeys& peer, Bytes& msg);
// RHI2..RHI7 for the handshake whose sidi the message names. Commits to `hs` on success.
[[nodiscard]] bool ConsumeRespHello(const Context& c, ByteSpan msg, InitiatorHandshake& hs);
// ICI3..ICI7. Writes the InitConf body, echoing the biscuit of `resp_hello`.
SessionKeys CreateInitConf(const Context& c, InitiatorHandshake& hs, ByteSpan resp_hello,
                           Bytes& msg);
[[nodiscard]] bool ConsumeEmptyData(ByteSpan msg, uint32_t sidi, const SessionKeys& keys);

// --- Responder ---------------------------------------------------------------------

using PeerLookup = std::function<const PeerKeys*(const Label& pid)>;

// IHR1..IHR8. nullopt-style failures are reported in `failure`.
enum class Failure { kNone, kBadKey, kAuth, kUnknownPeer, kReplay };

struct ResponderHello {
  const PeerKeys* peer = nullptr;
  ChainingKey ck;
  uint32_t sidi = 0;
};
std::optional<ResponderHello> ConsumeInitHello(const Context& c, ByteSpan msg,
                                               const PeerLookup& lookup, Failure& failure);
// RHR1..RHR7: writes the RespHello body.
Status CreateRespHello(const Context& c, ResponderHello& h, ByteSpan init_hello,
                       BiscuitKeys& biscuits, Bytes& msg);

struct ResponderConf {
  const PeerKeys* peer = nullptr;
  uint64_t biscuit_no = 0;
  uint32_t sidi = 0;
  uint32_t sidr = 0;
  SessionKeys keys;
};
// ICR1..ICR4 and enter_live (ICR7); the biscuit number check (ICR5/6) is the caller's.
std::optional<ResponderConf> ConsumeInitConf(const Context& c, ByteSpan msg,
                                             const BiscuitKeys& biscuits, const PeerLookup& lookup,
                                             Failure& failure);
// EmptyData: sid = sidi, ctr = 0, auth = AEAD(txkr, 0, "", "").
Bytes CreateEmptyData(uint32_t sidi, const SessionKeys& keys);

}  // namespace dlog::pq
