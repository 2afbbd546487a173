// Constants of the PQ exchange, in one place (docs/PQ.md has the diagrams and the why).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace dlog::pq {

using std::chrono::milliseconds;
using std::chrono::seconds;

// --- Wire ---------------------------------------------------------------------------
// Message types: the first byte of every PQ datagram. WireGuard's types are 1..4 with
// three zero bytes after them, so a receiver sharing the WireGuard port demultiplexes on
// the first byte alone: 0x81..0x86 is ours, anything else is WireGuard's (IsPqDatagram).
// The numbers are Rosenpass's; 0x85 (Data) is not used.
enum class MsgType : uint8_t {
  kInitHello = 0x81,
  kRespHello = 0x82,
  kInitConf = 0x83,
  kEmptyData = 0x84,
  kCookieReply = 0x86,
};
inline constexpr uint8_t kWireVersion = 1;

// Fragment envelope: header 8 | chunk | mac 16 | cookie 16. A datagram is at most
// 8 + 1176 + 32 = 1216 bytes, under the 1232 bytes of UDP payload that IPv6's minimum
// MTU (1280) guarantees, so no message relies on IP fragmentation.
inline constexpr size_t kFragmentHeaderSize = 8;
inline constexpr size_t kMacSize = 16;
inline constexpr size_t kCookieSize = 16;
inline constexpr size_t kFragmentTrailerSize = kMacSize + kCookieSize;
inline constexpr size_t kMaxChunkSize = 1176;
inline constexpr size_t kMaxDatagramSize =
    kFragmentHeaderSize + kMaxChunkSize + kFragmentTrailerSize;
inline constexpr size_t kMaxFragments = 4;  // a message is at most 4 · 1176 = 4704 bytes
static_assert(kMaxDatagramSize == 1216);

// Field sizes (all integers little-endian, as in Rosenpass).
inline constexpr size_t kSessionIdSize = 4;
inline constexpr size_t kTagSize = 16;
inline constexpr size_t kPeerIdSize = 32;
inline constexpr size_t kXNonceSize = 24;
inline constexpr size_t kBiscuitPlainSize = kPeerIdSize + 8 + 32;  // pidi | biscuit_no | ck
inline constexpr size_t kBiscuitSize = kXNonceSize + kBiscuitPlainSize + kTagSize;    // 112
inline constexpr size_t kCookieReplySize = 8 + kXNonceSize + kCookieSize + kTagSize;  // 64
static_assert(kBiscuitSize == 112 && kCookieReplySize == 64);

// --- Timers (defaults; ExchangeOptions may change the first two) ----------------------
inline constexpr seconds kDefaultRekeyInterval{120};  // one epoch
// A PSK is stale, and replaced by a random key, this many epochs after the last exchange.
inline constexpr int kDefaultStaleEpochs = 3;
// The responder of the last exchange waits an extra 1/12 epoch before it initiates, so in
// steady state the same side initiates every epoch and the two seldom collide (Rosenpass:
// 120 s vs 130 s).
inline constexpr int kResponderRekeyDelayDivisor = 12;
// Initiator retransmission: 1 s, doubling, capped at 5 s, plus up to 250 ms jitter.
inline constexpr milliseconds kRetransmitBegin{1000};
inline constexpr milliseconds kRetransmitMax{5000};
inline constexpr uint32_t kRetransmitJitterMaxMs = 250;
// An initiation not completed this long after it began is abandoned; a new one (fresh
// ephemeral key) starts at once.
inline constexpr seconds kHandshakeAbort{90};
// An InitConf unacknowledged this long is given up for a new initiation: the responder
// may have restarted and lost its biscuit key (a fresh InitHello always works).
inline constexpr seconds kInitConfAbort{15};
// The responder answers a byte-identical InitHello / InitConf again only within this
// window after it first answered it (a retransmission); later it is a replay.
inline constexpr seconds kRetransmitWindow = kHandshakeAbort;
// Partially received messages are discarded this long after their first fragment.
inline constexpr seconds kReassemblyTimeout{5};
inline constexpr size_t kMaxReassemblyPerSource = 4;
inline constexpr size_t kMaxReassemblyTotal = 256;
// Cookies (DoS defence): the secret rotates every 2 minutes; a received cookie is used
// for this long.
inline constexpr seconds kCookieSecretLifetime{120};
inline constexpr seconds kCookieValidTime{115};
// Biscuit keys rotate every 2 minutes; the previous key is still accepted.
inline constexpr seconds kBiscuitKeyLifetime{120};
// Under load for 1 s after more InitHellos than this arrived within one second.
inline constexpr uint32_t kDefaultUnderLoadInitHellosPerSecond = 32;
inline constexpr seconds kUnderLoadAfterTime{1};
// InitHellos remembered per peer (replay detection of completed or expired ones).
inline constexpr size_t kInitHelloMemory = 16;

}  // namespace dlog::pq
