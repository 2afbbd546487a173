// Constants of the DPI disguise, in one place (docs/DPI.md has the reasoning).
//
// WIRE FORMAT of every disguised datagram (WireGuard types 1–4, PQ messages, decoys and
// cover packets alike):
//
//   0            L           L+1              L+9
//   +------------+-----------+----------------+---------------------------------+---------+
//   | prefix     | separator | tag            | masked region                   | padding |
//   | L bytes,   | 1 byte,   | 8 bytes,       | kind 1 | length 2 | [time 4] |  | random  |
//   | printable  | not       | SipHash-2-4    |   inner datagram (length bytes) |         |
//   | 8 ≤ L ≤ 16 | printable |                |                                 |         |
//   +------------+-----------+----------------+---------------------------------+---------+
//
//   prefix     random characters from a 64-symbol printable alphabet: the first bytes of
//              every datagram are printable ASCII, the exemption "Ex2" of the Great
//              Firewall's fully-encrypted-traffic filter (Wu et al., USENIX Security 2023).
//   separator  a random byte outside 0x20..0x7e; it ends the prefix.
//   tag        SipHash-2-4 keyed with k_tag over prefix ‖ separator ‖ LE16(datagram size)
//              ‖ plaintext of the masked region: a synthetic IV (SIV) that authenticates
//              the header and, with the prefix, seeds the mask.
//   masked     XORed with a keystream under nonce = tag ‖ prefix[0..4): bytes 0..15 are
//              SipHash-2-4-128(k_head, nonce) (libsodium's siphashx24), bytes 16..23
//              the same state squeezed once more (v1 ^= 0xdd, 4 rounds); bytes 24.. are
//              ChaCha20(k_mask, nonce) from its first byte (RFC 8439, counter 0):
//                kind     kTransport: a WireGuard transport message (type 4). Only its
//                                     first 16 bytes (type, reserved, receiver index,
//                                     counter) are masked; the rest is AEAD ciphertext.
//                         kMessage:   any other message (handshake, cookie, PQ); carries
//                                     the sender's wall time; masked whole.
//                         kChaff:     a decoy or cover packet; discarded after unmasking.
//                                     Masked like kTransport.
//                length   LE16 length of the inner datagram.
//                time     kMessage only: LE32 Unix seconds (mod 2^32) at sealing.
//   padding    random bytes, any length; the receiver skips them.
//
// Integers are little-endian. Sizes: overhead 20–28 bytes (transport, chaff), 24–32
// (messages), plus padding.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace dlog::obfs {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

// --- Wire ----------------------------------------------------------------------------
inline constexpr size_t kMinPrefix = 8;  // ≥ 6: Ex2 looks at the first six bytes
inline constexpr size_t kMaxPrefix = 16;
inline constexpr size_t kSeparatorSize = 1;
inline constexpr size_t kTagSize = 8;
inline constexpr size_t kKindSize = 1;
inline constexpr size_t kLengthSize = 2;
inline constexpr size_t kTimeSize = 4;
inline constexpr size_t kHeaderSize = kKindSize + kLengthSize;  // kind ‖ length
inline constexpr size_t kMaskedInnerHeader = 16;  // WireGuard type ‖ reserved ‖ index ‖ counter
inline constexpr size_t kMaxInner = 0xffff;
inline constexpr size_t kNonceSize = 12;  // ChaCha20 (RFC 8439): tag ‖ prefix[0..4)
inline constexpr size_t kHeadMask = 24;   // masked by SipHash blocks; beyond, by ChaCha20
// The smallest possible datagram: shortest prefix, separator, tag, header, empty inner.
inline constexpr size_t kMinDatagram = kMinPrefix + kSeparatorSize + kTagSize + kHeaderSize;
// Bytes added to an inner datagram, padding aside.
inline constexpr size_t kMaxOverheadTransport =
    kMaxPrefix + kSeparatorSize + kTagSize + kHeaderSize;                         // 28
inline constexpr size_t kMaxOverheadMessage = kMaxOverheadTransport + kTimeSize;  // 32
static_assert(kMinDatagram == 20 && kMaxOverheadTransport == 28);

enum class Kind : uint8_t { kTransport = 0, kMessage = 1, kChaff = 2 };

// The 64 prefix symbols (6 bits each): letters, digits, '-' and '_'.
inline constexpr char kPrefixAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static_assert(sizeof(kPrefixAlphabet) == 65);

// --- Receiving -------------------------------------------------------------------------
// A kMessage whose time differs from ours by more than this is dropped (clocks of
// members must agree to within it; port hopping needs far less).
inline constexpr seconds kMessageTimeWindow{120};
// Tags of kMessage datagrams remembered to refuse replays (oldest evicted first).
inline constexpr size_t kReplayFilterCapacity = 16384;

// --- Sending ---------------------------------------------------------------------------
// Padding never grows a datagram past this (UDP payload of a 1500-byte IPv4 path).
inline constexpr size_t kDefaultMaxDatagram = 1472;
// At most this many consecutive transport datagrams to one peer share a wire size (one
// UDP GSO send carries at most 64 segments on older kernels).
inline constexpr size_t kMaxRun = 64;
// Sizes of recent real datagrams before padding, from which decoys and cover packets draw
// theirs (then padded afresh).
inline constexpr size_t kSizeHistory = 64;

// --- Options (defaults of [network.wireguard.dpi_evasion]) ----------------------------
inline constexpr uint32_t kDefaultPaddingMin = 0;
inline constexpr uint32_t kDefaultPaddingMax = 256;
inline constexpr uint64_t kDefaultTargetRateBps = 10'000'000;  // "10mbit"
inline constexpr uint16_t kDefaultPortMin = 10000;
inline constexpr uint16_t kDefaultPortMax = 60000;
inline constexpr auto kDefaultHopInterval = minutes{5};
inline constexpr double kDefaultDecoyRatio = 0.2;
inline constexpr double kMaxDecoyRatio = 10.0;
// Stock WireGuard's port: never a hop port (classifiers guess WireGuard from it alone).
inline constexpr uint16_t kWireGuardPort = 51820;

// --- Port hopping ----------------------------------------------------------------------
// Around each hop, the receiver also listens on the neighbouring epoch's port for
// min(hop_interval / 4, kMaxHopGrace): clock skew plus a round trip must fit.
inline constexpr seconds kMaxHopGrace{30};

// --- Shaping and decoys ---------------------------------------------------------------
// A shaped peer keeps receiving cover traffic this long after its last real datagram.
inline constexpr seconds kDefaultShapingIdle{120};
// The shaping queue holds at most this much sending time at the target rate...
inline constexpr milliseconds kShapingQueueTime{200};
// ...and never less than this many bytes.
inline constexpr size_t kMinShapingQueueBytes = 64 * 1024;
// A pacer that fell behind (a late wake-up) may catch up at most this much at once.
inline constexpr milliseconds kMaxPacerLag{5};
inline constexpr size_t kMaxPacers = 1024;
// Decoys leave at a uniformly random delay in [0, kDefaultDecoyMaxDelay] after the real
// datagram that triggered them; at most kMaxDelayedDecoys wait at once.
inline constexpr milliseconds kDefaultDecoyMaxDelay{20};
inline constexpr size_t kMaxDelayedDecoys = 4096;

// --- Peer table --------------------------------------------------------------------------
// Endpoints learnt to be stock WireGuard (stock_roaming) or not hopping (behind NAT).
inline constexpr size_t kMaxLearnedEndpoints = 4096;
inline constexpr minutes kLearnedEndpointTtl{10};

}  // namespace dlog::obfs
