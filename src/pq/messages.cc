#include "pq/messages.h"

namespace dlog::pq {

size_t MessageSize(MsgType type, Algorithm a) {
  const KemSizes z = SizesOf(a);
  switch (type) {
    case MsgType::kInitHello:
      return kSessionIdSize + z.ek + z.ct + kPeerIdSize + kTagSize + kTagSize;
    case MsgType::kRespHello:
      return 2 * kSessionIdSize + 2 * z.ct + kBiscuitSize + kTagSize;
    case MsgType::kInitConf:
      return 2 * kSessionIdSize + kBiscuitSize + kTagSize;
    case MsgType::kEmptyData:
      return kSessionIdSize + 8 + kTagSize;
    case MsgType::kCookieReply:
      return 0;
  }
  return 0;
}

}  // namespace dlog::pq
