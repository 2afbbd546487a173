// wg::Device timers under a FakeClock: retransmission with jitter, giving up, rekey on
// send and on receive, reject-after-time, key erasure, passive and persistent
// keepalives, and the new-handshake timer (paper §6, wireguard-go timers.go).
#include <algorithm>
#include <chrono>

#include "wg/constants.h"
#include "wire_harness.h"

namespace dlog::wg {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using wgtest::Datagram;
using wgtest::Node;

class DeviceTimersTest : public wgtest::WirePair {
 protected:
  size_t Initiations(const Node& n) const { return CountType(n.sent, kMessageInitiation); }
  size_t Keepalives(const Node& n) const { return CountKeepalives(n.sent); }
  // Ticks `n` at exactly its next deadline (everything sent is lost).
  TimePoint TickAtDeadline(Node& n) {
    TimePoint deadline = n.dev.NextDeadline();
    EXPECT_NE(deadline, TimePoint::max());
    if (deadline > now()) clock.Advance(deadline - now());
    Tick(n);
    wire.clear();
    return deadline;
  }
};

TEST_F(DeviceTimersTest, RetransmitAfterRekeyTimeoutWithJitter) {
  ConfigureBoth();
  SendFrom(a, PacketFrom(a, b));
  wire.clear();  // lost
  std::vector<Duration> gaps;
  for (int i = 0; i < 8; ++i) {
    TimePoint sent = now();
    TimePoint deadline = a.dev.NextDeadline();
    EXPECT_GE(deadline - sent, kRekeyTimeout);
    EXPECT_LT(deadline - sent, kRekeyTimeout + milliseconds(kRekeyTimeoutJitterMaxMs));
    clock.Advance(deadline - sent - milliseconds(1));
    size_t before = Initiations(a);
    Tick(a);
    EXPECT_EQ(Initiations(a), before) << "not before the deadline";
    clock.Advance(milliseconds(1));
    Tick(a);
    EXPECT_EQ(Initiations(a), before + 1);
    wire.clear();
    gaps.push_back(deadline - sent);
  }
  std::sort(gaps.begin(), gaps.end());
  EXPECT_NE(gaps.front(), gaps.back()) << "jitter varies";
}

TEST_F(DeviceTimersTest, GivesUpAfterRekeyAttemptTime) {
  Configure(a, b, true);
  TimePoint start = now();
  SendFrom(a, PacketFrom(a, b));
  wire.clear();
  TimePoint last_initiation = now();
  for (int i = 0; i < 40 && PeerOf(a).staged_packets > 0; ++i) {
    size_t before = Initiations(a);
    TimePoint t = TickAtDeadline(a);
    if (Initiations(a) > before) last_initiation = t;
  }
  // 1 initiation + MAX_TIMER_HANDSHAKES + 1 retries, as wireguard-go and the kernel.
  EXPECT_EQ(Initiations(a), size_t(kMaxTimerHandshakes + 2));
  // The last retry leaves 19 REKEY_TIMEOUTs (plus jitter) after the first initiation.
  EXPECT_GE(last_initiation - start, 19 * kRekeyTimeout);
  EXPECT_LT(last_initiation - start, 19 * (kRekeyTimeout + milliseconds(kRekeyTimeoutJitterMaxMs)));
  EXPECT_EQ(PeerOf(a).staged_packets, 0u);
  EXPECT_EQ(a.dev.Counters().staged_expired, 1u);
  // Only the key-erasure timer is left; no further initiations on their own.
  clock.Advance(seconds(200));
  Tick(a);
  EXPECT_EQ(Initiations(a), size_t(kMaxTimerHandshakes + 2));
  // New traffic starts a fresh round.
  SendFrom(a, PacketFrom(a, b));
  EXPECT_EQ(Initiations(a), size_t(kMaxTimerHandshakes + 3));
}

TEST_F(DeviceTimersTest, RekeyOnSendAfterRekeyAfterTime) {
  ConfigureBoth();
  Establish();
  Run(seconds(110), seconds(10), /*deliver=*/true);
  clock.Advance(seconds(9));  // 119 s: still fresh
  SendFrom(a, PacketFrom(a, b));
  EXPECT_EQ(CountType(wire, kMessageInitiation), 0u);
  Pump();
  clock.Advance(seconds(2));  // 121 s
  SendFrom(a, PacketFrom(a, b));
  EXPECT_EQ(CountType(wire, kMessageTransport), 1u) << "the old session still carries data";
  EXPECT_EQ(CountType(wire, kMessageInitiation), 1u);
  Pump();
  PeerSnapshot pa = PeerOf(a), pb = PeerOf(b);
  EXPECT_TRUE(pa.has_current_keypair && pa.has_previous_keypair);
  EXPECT_TRUE(pb.has_current_keypair && pb.has_previous_keypair);
  EXPECT_FALSE(pb.has_next_keypair);
  EXPECT_EQ(b.delivered.size(), 2u);
}

TEST_F(DeviceTimersTest, ResponderDoesNotRekeyOnSend) {
  ConfigureBoth();
  Establish();
  Run(seconds(130), seconds(10), /*deliver=*/true);
  SendFrom(b, PacketFrom(b, a));
  EXPECT_EQ(CountType(wire, kMessageInitiation), 0u);
  EXPECT_EQ(CountType(wire, kMessageTransport), 1u);
}

TEST_F(DeviceTimersTest, InitiatorRekeysOnReceiveAfter165s) {
  ConfigureBoth();
  Establish();
  Run(seconds(160), seconds(10), /*deliver=*/true);
  SendFrom(b, PacketFrom(b, a));
  Datagram early = TakeWire().at(0);
  Deliver(early);
  EXPECT_EQ(CountType(wire, kMessageInitiation), 0u) << "160 s: not yet";
  wire.clear();
  clock.Advance(seconds(6));  // 166 s > REJECT_AFTER_TIME - KEEPALIVE - REKEY_TIMEOUT
  SendFrom(b, PacketFrom(b, a));
  Deliver(TakeWire().at(0));
  EXPECT_EQ(CountType(wire, kMessageInitiation), 1u);
  // Only once per session.
  wire.clear();
  clock.Advance(seconds(6));
  SendFrom(b, PacketFrom(b, a));
  Deliver(TakeWire().at(0));
  EXPECT_EQ(CountType(wire, kMessageInitiation), 0u);
}

TEST_F(DeviceTimersTest, RejectAfterTimeStopsReceivingOnOldSession) {
  ConfigureBoth();
  Establish();
  clock.Advance(seconds(1));
  SendFrom(b, PacketFrom(b, a));
  Datagram late = TakeWire().at(0);
  Run(seconds(180), seconds(10), /*deliver=*/true);
  Deliver(late);  // sealed at 1 s, arriving after 181 s
  EXPECT_TRUE(a.delivered.empty());
  EXPECT_EQ(a.dev.Counters().expired_keypair, 1u);
}

TEST_F(DeviceTimersTest, RejectAfterTimeStopsSendingOnOldSession) {
  ConfigureBoth();
  Establish();
  Run(seconds(170), seconds(10), /*deliver=*/true);
  SendFrom(b, PacketFrom(b, a));  // 170 s: the responder still sends on it
  EXPECT_EQ(CountType(wire, kMessageTransport), 1u);
  wire.clear();
  clock.Advance(seconds(11));  // 181 s
  SendFrom(b, PacketFrom(b, a));
  EXPECT_EQ(CountType(wire, kMessageTransport), 0u);
  EXPECT_EQ(CountType(wire, kMessageInitiation), 1u);
  EXPECT_EQ(PeerOf(b).staged_packets, 1u);
  Pump();
  EXPECT_EQ(a.delivered.size(), 1u);
}

TEST_F(DeviceTimersTest, KeysErasedAfterThreeRejectAfterTimes) {
  ConfigureBoth();
  Establish();
  Run(seconds(530), seconds(10), /*deliver=*/false);
  EXPECT_TRUE(PeerOf(a).has_current_keypair);
  EXPECT_TRUE(PeerOf(b).has_current_keypair);
  Run(seconds(11), seconds(1), /*deliver=*/false);
  PeerSnapshot pa = PeerOf(a), pb = PeerOf(b);
  EXPECT_FALSE(pa.has_current_keypair || pa.has_previous_keypair || pa.has_next_keypair);
  EXPECT_FALSE(pb.has_current_keypair || pb.has_previous_keypair || pb.has_next_keypair);
  EXPECT_FALSE(pa.handshake_in_progress);
}

TEST_F(DeviceTimersTest, PassiveKeepaliveTenSecondsAfterData) {
  ConfigureBoth();
  Establish();  // b received data at t0 and has sent nothing since
  size_t before = Keepalives(b);
  clock.Advance(kKeepaliveTimeout - milliseconds(1));
  Tick(b);
  EXPECT_EQ(Keepalives(b), before);
  clock.Advance(milliseconds(1));
  Tick(b);
  EXPECT_EQ(Keepalives(b), before + 1);
  Pump();
  // Nothing more while idle.
  Run(seconds(60), seconds(1), /*deliver=*/true);
  EXPECT_EQ(Keepalives(b), before + 1);
}

TEST_F(DeviceTimersTest, NoPassiveKeepaliveWhenDataWentBack) {
  ConfigureBoth();
  Establish();
  size_t before = Keepalives(b);
  clock.Advance(seconds(5));
  SendFrom(b, PacketFrom(b, a));
  Pump();
  clock.Advance(seconds(6));
  Tick(b);
  EXPECT_EQ(Keepalives(b), before);
}

TEST_F(DeviceTimersTest, NewHandshakeWhenDataGoesUnanswered) {
  ConfigureBoth();
  Establish();
  clock.Advance(seconds(1));
  TimePoint sent = now();
  SendFrom(a, PacketFrom(a, b));
  wire.clear();  // lost; b never answers
  size_t before = Initiations(a);
  Run(kNewHandshakeTime - seconds(1), milliseconds(100), /*deliver=*/false);
  EXPECT_EQ(Initiations(a), before) << "before KEEPALIVE + REKEY_TIMEOUT";
  Run(seconds(1) + milliseconds(kRekeyTimeoutJitterMaxMs), milliseconds(10), false);
  EXPECT_EQ(Initiations(a), before + 1);
  EXPECT_GE(now() - sent, kNewHandshakeTime);
}

TEST_F(DeviceTimersTest, PersistentKeepaliveEveryInterval) {
  Configure(b, a, false);
  Configure(a, b, true, std::nullopt, /*keepalive=*/25);
  Pump();
  ASSERT_TRUE(PeerOf(b).has_current_keypair);
  size_t before = Keepalives(a);
  Run(seconds(24), seconds(1), /*deliver=*/true);
  EXPECT_EQ(Keepalives(a), before);
  Run(seconds(76), seconds(1), /*deliver=*/true);  // 100 s: 25, 50, 75, 100
  EXPECT_EQ(Keepalives(a), before + 4);
  EXPECT_EQ(PeerOf(a).persistent_keepalive_interval, 25);
  // Switching it off stops them.
  ConfigUpdate u;
  PeerUpdate p;
  p.public_key = b.pub;
  p.persistent_keepalive_interval = 0;
  u.peers = {p};
  ASSERT_TRUE(a.dev.ApplyConfig(u, now(), wall(), a.out).ok());
  size_t off = Keepalives(a);
  Run(seconds(60), seconds(1), /*deliver=*/true);
  EXPECT_EQ(Keepalives(a), off);
}

TEST_F(DeviceTimersTest, LongRunningSessionKeepsRekeying) {
  ConfigureBoth();
  Establish();
  // Ten minutes of steady two-way traffic: sessions rotate and nothing is lost.
  size_t sent_ab = 1, sent_ba = 0;
  for (int s = 0; s < 600; ++s) {
    clock.Advance(seconds(1));
    Tick(a);
    Tick(b);
    SendFrom(a, PacketFrom(a, b, 50, uint8_t(s)));
    ++sent_ab;
    if (s % 3 == 0) {
      SendFrom(b, PacketFrom(b, a, 70, uint8_t(s)));
      ++sent_ba;
    }
    Pump();
  }
  EXPECT_EQ(b.delivered.size() + 1, sent_ab);
  EXPECT_EQ(a.delivered.size(), sent_ba);
  EXPECT_GE(a.dev.Counters().handshakes_completed, 4u);
  EXPECT_EQ(a.dev.Counters().decrypt_failed + b.dev.Counters().decrypt_failed, 0u);
  EXPECT_EQ(a.dev.Counters().expired_keypair + b.dev.Counters().expired_keypair, 0u);
}

}  // namespace
}  // namespace dlog::wg
