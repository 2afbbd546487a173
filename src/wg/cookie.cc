#include "wg/cookie.h"

#include <cstring>

#include "crypto/aead.h"
#include "crypto/blake2s.h"
#include "wg/constants.h"

namespace dlog::wg {
namespace {

Secret<32> LabelledKey(const char* label, const crypto::X25519Public& pub) {
  Secret<32> key;
  crypto::Hash(key.data(), {AsBytes(label), pub});
  return key;
}

}  // namespace

CookieChecker::CookieChecker(const crypto::X25519Public& our_public)
    : mac1_key_(LabelledKey(kLabelMac1, our_public)),
      cookie_key_(LabelledKey(kLabelCookie, our_public)) {}

bool CookieChecker::CheckMac1(ByteSpan covered, const uint8_t mac1[kMacSize]) const {
  uint8_t expected[kMacSize];
  crypto::Mac16(expected, mac1_key_.span(), covered);
  return ConstantTimeEqual(expected, mac1, kMacSize);
}

void CookieChecker::MakeCookie(const Endpoint& source, uint8_t cookie[kMacSize]) const {
  Bytes address = source.CookieBytes();
  crypto::Mac16(cookie, secret_.span(), address);
}

bool CookieChecker::CheckMac2(ByteSpan covered, const uint8_t mac2[kMacSize],
                              const Endpoint& source, TimePoint now) const {
  Secret<kMacSize> cookie;
  {
    std::lock_guard lock(mu_);
    if (!secret_born_ || now - *secret_born_ > kCookieRefreshTime) return false;
    MakeCookie(source, cookie.data());
  }
  uint8_t expected[kMacSize];
  crypto::Mac16(expected, cookie.span(), covered);
  return ConstantTimeEqual(expected, mac2, kMacSize);
}

MessageCookieReply CookieChecker::CreateReply(uint32_t receiver, const uint8_t mac1[kMacSize],
                                              const Endpoint& source, TimePoint now, Rng& rng) {
  Secret<kMacSize> cookie;
  {
    std::lock_guard lock(mu_);
    if (!secret_born_ || now - *secret_born_ > kCookieRefreshTime) {
      rng.Fill(secret_.span());
      secret_born_ = now;
    }
    MakeCookie(source, cookie.data());
  }
  MessageCookieReply reply;
  StoreLE32(reply.type, kMessageCookieReply);
  StoreLE32(reply.receiver, receiver);
  rng.Fill(reply.nonce);
  crypto::XChaChaPolySeal(cookie_key_.data(), reply.nonce, cookie.span(), {mac1, kMacSize},
                          reply.encrypted_cookie);
  return reply;
}

CookieGenerator::CookieGenerator(const crypto::X25519Public& peer_public)
    : mac1_key_(LabelledKey(kLabelMac1, peer_public)),
      cookie_key_(LabelledKey(kLabelCookie, peer_public)) {}

bool CookieGenerator::HasFreshCookie(TimePoint now) const {
  return cookie_born_ && now - *cookie_born_ <= kCookieValidTime;
}

void CookieGenerator::AddMacs(uint8_t* msg, size_t mac1_offset, TimePoint now) {
  uint8_t* mac1 = msg + mac1_offset;
  uint8_t* mac2 = mac1 + kMacSize;
  crypto::Mac16(mac1, mac1_key_.span(), {msg, mac1_offset});
  std::memcpy(last_mac1_, mac1, kMacSize);
  have_sent_mac1_ = true;
  if (HasFreshCookie(now)) {
    crypto::Mac16(mac2, cookie_.span(), {msg, mac1_offset + kMacSize});
  } else {
    std::memset(mac2, 0, kMacSize);
  }
}

bool CookieGenerator::ConsumeReply(const MessageCookieReply& reply, TimePoint now) {
  if (!have_sent_mac1_) return false;
  Secret<kMacSize> cookie;
  if (!crypto::XChaChaPolyOpen(cookie_key_.data(), reply.nonce, reply.encrypted_cookie,
                               {last_mac1_, kMacSize}, cookie.data())) {
    return false;
  }
  cookie_ = cookie;
  cookie_born_ = now;
  have_sent_mac1_ = false;
  return true;
}

}  // namespace dlog::wg
