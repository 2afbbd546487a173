// Message bodies of the PQ exchange (what the fragment envelope carries; docs/PQ.md).
//
//   InitHello  (initiator → responder)          ML-KEM-1024   ML-KEM-768
//     sidi    4    initiator session id
//     epki    ek   ephemeral public key          1568          1184
//     sctr    ct   encapsulation to spkr         1568          1088
//     pidiC   48   AEAD(pidi), 32 + tag
//     auth    16   AEAD(""), tag only
//                                        total   3204          2340
//   RespHello  (responder → initiator)
//     sidr    4 | sidi 4 | ecti ct | scti ct | biscuit 112 | auth 16
//                                        total   3272          2312
//   InitConf   (initiator → responder)
//     sidi    4 | sidr 4 | biscuit 112 | auth 16                136
//   EmptyData  (responder → initiator, acknowledges InitConf)
//     sid     4 (= sidi) | ctr 8 | auth 16                      28
//   biscuit = nonce 24 | XAEAD(pidi 32 | biscuit_no 8 | ck 32) 72 + 16 = 112
//
// Views point into a caller-owned buffer of exactly MessageSize() bytes; they check
// nothing but the size.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/bytes.h"
#include "pq/constants.h"
#include "pq/kem.h"

namespace dlog::pq {

// Exact body size of an enveloped message type, 0 for kCookieReply (not enveloped).
size_t MessageSize(MsgType type, Algorithm a);

// True for a datagram that belongs to the PQ exchange rather than to WireGuard.
inline bool IsPqDatagram(ByteSpan d) {
  return !d.empty() && d[0] >= uint8_t(MsgType::kInitHello) &&
         d[0] <= uint8_t(MsgType::kCookieReply);
}

template <typename P>  // uint8_t or const uint8_t
struct InitHelloView {
  P* sidi;
  P* epki;
  P* sctr;
  P* pidic;  // kPeerIdSize + kTagSize
  P* auth;   // kTagSize
};

template <typename P>
struct RespHelloView {
  P* sidr;
  P* sidi;
  P* ecti;
  P* scti;
  P* biscuit;  // kBiscuitSize
  P* auth;
};

template <typename P>
struct InitConfView {
  P* sidi;
  P* sidr;
  P* biscuit;
  P* auth;
};

template <typename P>
struct EmptyDataView {
  P* sid;
  P* ctr;  // 8 bytes
  P* auth;
};

template <typename P>
InitHelloView<P> ViewInitHello(P* m, Algorithm a) {
  const KemSizes z = SizesOf(a);
  return {m, m + 4, m + 4 + z.ek, m + 4 + z.ek + z.ct, m + 4 + z.ek + z.ct + 48};
}

template <typename P>
RespHelloView<P> ViewRespHello(P* m, Algorithm a) {
  const KemSizes z = SizesOf(a);
  P* b = m + 8 + 2 * z.ct;
  return {m, m + 4, m + 8, m + 8 + z.ct, b, b + kBiscuitSize};
}

template <typename P>
InitConfView<P> ViewInitConf(P* m) {
  return {m, m + 4, m + 8, m + 8 + kBiscuitSize};
}

template <typename P>
EmptyDataView<P> ViewEmptyData(P* m) {
  return {m, m + 4, m + 12};
}

}  // namespace dlog::pq
