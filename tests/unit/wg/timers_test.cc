#include "wg/timers.h"

#include <gtest/gtest.h>

#include "wg/constants.h"

namespace dlog::wg {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class PeerTimersTest : public ::testing::Test {
 protected:
  PeerTimers t;
  SeededRng rng{9};
  TimePoint t0{seconds(100)};
};

TEST_F(PeerTimersTest, DataSentArmsNewHandshakeOnce) {
  t.DataSent(t0, rng);
  auto d = t.Deadline(PeerTimers::kNewHandshake);
  ASSERT_TRUE(d);
  EXPECT_GE(*d - t0, kNewHandshakeTime);
  EXPECT_LT(*d - t0, kNewHandshakeTime + milliseconds(kRekeyTimeoutJitterMaxMs));
  t.DataSent(t0 + seconds(3), rng);
  EXPECT_EQ(t.Deadline(PeerTimers::kNewHandshake), d) << "not pushed back";
  t.AnyAuthenticatedPacketReceived();
  EXPECT_FALSE(t.Pending(PeerTimers::kNewHandshake));
}

TEST_F(PeerTimersTest, DataReceivedArmsKeepaliveOrAsksForAnother) {
  t.DataReceived(t0);
  EXPECT_EQ(t.Deadline(PeerTimers::kSendKeepalive), t0 + kKeepaliveTimeout);
  EXPECT_FALSE(t.need_another_keepalive);
  t.DataReceived(t0 + seconds(1));
  EXPECT_TRUE(t.need_another_keepalive);
  EXPECT_EQ(t.Deadline(PeerTimers::kSendKeepalive), t0 + kKeepaliveTimeout);
  t.AnyAuthenticatedPacketSent();
  EXPECT_FALSE(t.Pending(PeerTimers::kSendKeepalive));
}

TEST_F(PeerTimersTest, HandshakeHooks) {
  t.HandshakeInitiated(t0, rng);
  auto d = t.Deadline(PeerTimers::kRetransmitHandshake);
  ASSERT_TRUE(d);
  EXPECT_GE(*d - t0, kRekeyTimeout);
  EXPECT_LT(*d - t0, kRekeyTimeout + milliseconds(kRekeyTimeoutJitterMaxMs));
  t.handshake_attempts = 7;
  t.sent_last_minute_handshake = true;
  t.HandshakeComplete();
  EXPECT_FALSE(t.Pending(PeerTimers::kRetransmitHandshake));
  EXPECT_EQ(t.handshake_attempts, 0u);
  EXPECT_FALSE(t.sent_last_minute_handshake);
  t.SessionDerived(t0);
  EXPECT_EQ(t.Deadline(PeerTimers::kZeroKeyMaterial), t0 + seconds(540));
  t.AnyAuthenticatedPacketTraversal(t0, 0);
  EXPECT_FALSE(t.Pending(PeerTimers::kPersistentKeepalive));
  t.AnyAuthenticatedPacketTraversal(t0, 25);
  EXPECT_EQ(t.Deadline(PeerTimers::kPersistentKeepalive), t0 + seconds(25));
}

TEST_F(PeerTimersTest, PopExpiredInDeadlineOrderAndNextDeadline) {
  EXPECT_EQ(t.NextDeadline(), TimePoint::max());
  t.Mod(PeerTimers::kZeroKeyMaterial, t0 + seconds(3));
  t.Mod(PeerTimers::kSendKeepalive, t0 + seconds(1));
  t.Mod(PeerTimers::kPersistentKeepalive, t0 + seconds(9));
  EXPECT_EQ(t.NextDeadline(), t0 + seconds(1));
  EXPECT_FALSE(t.PopExpired(t0));
  EXPECT_EQ(t.PopExpired(t0 + seconds(5)), PeerTimers::kSendKeepalive);
  EXPECT_EQ(t.PopExpired(t0 + seconds(5)), PeerTimers::kZeroKeyMaterial);
  EXPECT_FALSE(t.PopExpired(t0 + seconds(5)));
  EXPECT_EQ(t.NextDeadline(), t0 + seconds(9));
  t.DelAll();
  EXPECT_EQ(t.NextDeadline(), TimePoint::max());
}

}  // namespace
}  // namespace dlog::wg
