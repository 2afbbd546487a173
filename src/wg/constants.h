// WireGuard protocol constants, named as in the paper (§6.1 "Timers & Stateless UX")
// and wireguard-go's device/constants.go. One place for the whole protocol.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace dlog::wg {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Specification constants (paper §6.1).
inline constexpr uint64_t kRekeyAfterMessages = uint64_t{1} << 60;
// 2^64 - 2^13 - 1: the last counter a keypair may carry (wireguard-go).
inline constexpr uint64_t kRejectAfterMessages = ~uint64_t{0} - (uint64_t{1} << 13);
inline constexpr seconds kRekeyAfterTime{120};
inline constexpr seconds kRekeyAttemptTime{90};
inline constexpr seconds kRekeyTimeout{5};
inline constexpr seconds kRejectAfterTime{180};
inline constexpr seconds kKeepaliveTimeout{10};
inline constexpr seconds kCookieRefreshTime{120};

// Derived and implementation constants (wireguard-go / Linux kernel).
inline constexpr int kMaxTimerHandshakes = 90 / 5;  // kRekeyAttemptTime / kRekeyTimeout
// Retransmission jitter is uniform in [0, kRekeyTimeoutJitterMaxMs) milliseconds.
inline constexpr uint32_t kRekeyTimeoutJitterMaxMs = 334;
// Receiving side rekey age: REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT.
inline constexpr seconds kRekeyAfterTimeReceiving =
    kRejectAfterTime - kKeepaliveTimeout - kRekeyTimeout;  // 165 s
// Data sent but nothing heard: KEEPALIVE_TIMEOUT + REKEY_TIMEOUT (+ jitter).
inline constexpr seconds kNewHandshakeTime = kKeepaliveTimeout + kRekeyTimeout;  // 15 s
// All key material is erased this long after the last session was derived.
inline constexpr seconds kZeroKeyMaterialTime = kRejectAfterTime * 3;  // 540 s
// At most 50 initiations per second per peer are consumed (1 s / 50).
inline constexpr milliseconds kHandshakeInitiationRate{20};
// A received cookie is used for MAC2 this long (kernel: COOKIE_SECRET_MAX_AGE -
// COOKIE_SECRET_LATENCY).
inline constexpr seconds kCookieValidTime = kCookieRefreshTime - seconds{5};
// The device stays under load this long after load was last detected.
inline constexpr seconds kUnderLoadAfterTime{1};
inline constexpr size_t kPaddingMultiple = 16;
inline constexpr size_t kMaxPeers = size_t{1} << 16;
inline constexpr size_t kMaxStagedPackets = 128;  // per peer (wireguard-go QueueStagedSize)

// Noise construction and identifiers (paper §5.4).
inline constexpr char kConstruction[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
inline constexpr char kIdentifier[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";
inline constexpr char kLabelMac1[] = "mac1----";
inline constexpr char kLabelCookie[] = "cookie--";

}  // namespace dlog::wg
