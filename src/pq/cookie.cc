#include "pq/cookie.h"

#include <algorithm>

#include "crypto/aead.h"

namespace dlog::pq {

CookieChecker::CookieChecker(const Labels& labels, const Label& cookie_reply_key, Rng& rng,
                             TimePoint now)
    : labels_(labels), reply_key_(cookie_reply_key), rotated_(now) {
  rng.Fill(current_.span());
}

void CookieChecker::MaybeRotate(Rng& rng, TimePoint now) {
  if (now < NextRotation()) return;
  previous_ = current_;
  rng.Fill(current_.span());
  rotated_ = now;
}

CookieValue CookieChecker::ValueFor(const Key& secret, const wg::Endpoint& from) const {
  const Label v = HashChain(labels_.cookie_value, {secret.span(), from.CookieBytes()});
  CookieValue out;
  std::copy(v.begin(), v.begin() + kCookieSize, out.begin());
  return out;
}

bool CookieChecker::Check(ByteSpan datagram, const wg::Endpoint& from) const {
  if (VerifyCookie(datagram, labels_, ValueFor(current_, from))) return true;
  return previous_ && VerifyCookie(datagram, labels_, ValueFor(*previous_, from));
}

Bytes CookieChecker::MakeReply(ByteSpan datagram, const wg::Endpoint& from, Rng& rng) const {
  Bytes r(kCookieReplySize, 0);
  r[0] = uint8_t(MsgType::kCookieReply);
  r[1] = kWireVersion;
  std::copy(datagram.begin() + 4, datagram.begin() + 8, r.begin() + 4);  // msg_id
  rng.Fill({r.data() + 8, kXNonceSize});
  const CookieValue value = ValueFor(current_, from);
  crypto::XChaChaPolySeal(reply_key_.data(), r.data() + 8, value, MacOf(datagram),
                          r.data() + 8 + kXNonceSize);
  return r;
}

std::optional<uint32_t> CookieReplyMsgId(ByteSpan reply) {
  if (reply.size() != kCookieReplySize || reply[0] != uint8_t(MsgType::kCookieReply) ||
      reply[1] != kWireVersion || reply[2] != 0 || reply[3] != 0)
    return std::nullopt;
  return LoadLE32(reply.data() + 4);
}

std::optional<CookieValue> OpenCookieReply(ByteSpan reply, ByteSpan mac, const Label& reply_key) {
  if (!CookieReplyMsgId(reply)) return std::nullopt;
  CookieValue value;
  if (!crypto::XChaChaPolyOpen(reply_key.data(), reply.data() + 8, reply.subspan(8 + kXNonceSize),
                               mac, value.data()))
    return std::nullopt;
  return value;
}

}  // namespace dlog::pq
