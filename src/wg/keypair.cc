#include "wg/keypair.h"

namespace dlog::wg {

Keypair::Keypair(const SessionKeys& keys, TimePoint created)
    : send_key_(keys.send),
      receive_key_(keys.receive),
      initiator_(keys.initiator),
      local_index_(keys.local_index),
      remote_index_(keys.remote_index),
      created_(created) {}

std::optional<uint64_t> Keypair::NextSendCounter() {
  uint64_t counter = send_counter_.fetch_add(1, std::memory_order_relaxed);
  if (counter >= kRejectAfterMessages) {
    send_counter_.store(kRejectAfterMessages, std::memory_order_relaxed);
    return std::nullopt;
  }
  return counter;
}

bool Keypair::UsableForSending(TimePoint now) const {
  return send_counter() < kRejectAfterMessages && now - created_ < kRejectAfterTime;
}

bool Keypair::ExpiredForReceiving(TimePoint now) const { return now - created_ > kRejectAfterTime; }

bool Keypair::AcceptReceiveCounter(uint64_t counter) {
  std::lock_guard lock(replay_mu_);
  return replay_.Accept(counter, kRejectAfterMessages);
}

RetiredKeypairs KeypairSet::InstallAsInitiator(KeypairPtr kp) {
  RetiredKeypairs retired;
  retired[0] = std::move(previous_);
  if (next_) {
    previous_ = std::move(next_);
    retired[1] = std::move(current_);
  } else {
    previous_ = std::move(current_);
  }
  next_.reset();
  current_ = std::move(kp);
  return retired;
}

RetiredKeypairs KeypairSet::InstallAsResponder(KeypairPtr kp) {
  RetiredKeypairs retired;
  retired[0] = std::move(next_);
  retired[1] = std::move(previous_);
  previous_.reset();
  next_ = std::move(kp);
  return retired;
}

bool KeypairSet::ConfirmNext(const KeypairPtr& kp, KeypairPtr& retired) {
  if (!kp || next_ != kp) return false;
  retired = std::move(previous_);
  previous_ = std::move(current_);
  current_ = std::move(next_);
  next_.reset();
  return true;
}

RetiredKeypairs KeypairSet::Clear() {
  RetiredKeypairs retired{std::move(current_), std::move(previous_), std::move(next_)};
  current_.reset();
  previous_.reset();
  next_.reset();
  return retired;
}

}  // namespace dlog::wg
