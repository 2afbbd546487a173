// Keypair: one transport session (the keys from one handshake), and KeypairSet: a
// peer's current/previous/next slots with WireGuard's rotation rules (wireguard-go
// BeginSymmetricSession / ReceivedWithKeypair, kernel noise.c).
//
// Keypairs are shared (std::shared_ptr) by the peer's slots, the index table and
// packets being sealed or opened, so removing one never invalidates a packet in flight;
// the keys are erased when the last reference goes. Keys and metadata are immutable;
// the send counter is atomic and the replay window has its own leaf mutex, so a
// Keypair is thread-safe. KeypairSet is not: the peer's mutex guards it.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>

#include "base/clock.h"
#include "wg/constants.h"
#include "wg/noise.h"
#include "wg/replay.h"

namespace dlog::wg {

class Keypair {
 public:
  Keypair(const SessionKeys& keys, TimePoint created);

  const uint8_t* send_key() const { return send_key_.data(); }
  const uint8_t* receive_key() const { return receive_key_.data(); }
  bool initiator() const { return initiator_; }
  uint32_t local_index() const { return local_index_; }
  uint32_t remote_index() const { return remote_index_; }
  TimePoint created() const { return created_; }

  // The next send counter, or nullopt once kRejectAfterMessages is reached.
  std::optional<uint64_t> NextSendCounter();
  uint64_t send_counter() const { return send_counter_.load(std::memory_order_relaxed); }
  // Forbids further sending (our static key changed); receiving still works.
  void ExhaustSendCounter() { send_counter_.store(kRejectAfterMessages); }
  // Sending needs counter < REJECT_AFTER_MESSAGES and age < REJECT_AFTER_TIME.
  bool UsableForSending(TimePoint now) const;
  // Received packets are dropped once the keypair is older than REJECT_AFTER_TIME.
  bool ExpiredForReceiving(TimePoint now) const;
  // Replay window; call only after the packet authenticated.
  bool AcceptReceiveCounter(uint64_t counter);

 private:
  Secret<32> send_key_;
  Secret<32> receive_key_;
  bool initiator_;
  uint32_t local_index_;
  uint32_t remote_index_;
  TimePoint created_;
  std::atomic<uint64_t> send_counter_{0};
  std::mutex replay_mu_;
  ReplayWindow replay_;  // guarded by replay_mu_
};

using KeypairPtr = std::shared_ptr<Keypair>;
// Keypairs pushed out of the slots; the caller releases their indices.
using RetiredKeypairs = std::array<KeypairPtr, 3>;

class KeypairSet {
 public:
  const KeypairPtr& current() const { return current_; }
  const KeypairPtr& previous() const { return previous_; }
  const KeypairPtr& next() const { return next_; }

  // A session this side initiated is used at once: it becomes current; the old
  // current (or an unconfirmed next) becomes previous.
  RetiredKeypairs InstallAsInitiator(KeypairPtr kp);
  // A session this side responded to waits in next until the initiator confirms it
  // with its first transport packet; previous is dropped.
  RetiredKeypairs InstallAsResponder(KeypairPtr kp);
  // Promotes `kp` when it is next (first packet received under it); true if it was.
  bool ConfirmNext(const KeypairPtr& kp, KeypairPtr& retired);
  RetiredKeypairs Clear();
  bool empty() const { return !current_ && !previous_ && !next_; }

 private:
  KeypairPtr current_;
  KeypairPtr previous_;
  KeypairPtr next_;
};

}  // namespace dlog::wg
