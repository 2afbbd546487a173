// The Noise_IKpsk2 handshake, checked two ways: the noise.h steps against each other,
// and wg::Device against a straight-line reference of the paper's formulas (§5.4)
// written here from the primitives, acting as the other, stock peer.
#include "wg/noise.h"

#include <gtest/gtest.h>

#include <cstring>

#include "base/hex.h"
#include "crypto/aead.h"
#include "crypto/blake2s.h"
#include "wg/device.h"
#include "wg/transport.h"
#include "wire_harness.h"

namespace dlog::wg {
namespace {

using crypto::X25519Private;
using crypto::X25519Public;
using wgtest::Ipv4Packet;
using wgtest::Prefix;
using K = ByteArray<32>;

// --- A reference of the paper's formulas, deliberately naive ---

K HashOf(std::initializer_list<ByteSpan> parts) {
  K out;
  crypto::Hash(out.data(), parts);
  return out;
}
K Kdf1(const K& key, ByteSpan input) {
  K out;
  crypto::Kdf(key, input, out.data());
  return out;
}
std::pair<K, K> Kdf2(const K& key, ByteSpan input) {
  K a, b;
  crypto::Kdf(key, input, a.data(), b.data());
  return {a, b};
}
K Dh(const X25519Private& priv, const X25519Public& pub) {
  crypto::SharedSecret s;
  EXPECT_TRUE(crypto::X25519(priv, pub, s));
  K out;
  std::memcpy(out.data(), s.data(), 32);
  return out;
}
X25519Private PrivFromByte(uint8_t b) {
  X25519Private k;
  std::memset(k.data(), b, 32);
  crypto::ClampPrivateKey(k);
  return k;
}
X25519Public Pub(ByteSpan bytes) {
  X25519Public p;
  std::memcpy(p.data(), bytes.data(), 32);
  return p;
}

// Published values (boringtun, the kernel's selftest): HASH(CONSTRUCTION) and
// HASH(C || IDENTIFIER).
constexpr char kInitialChainKeyHex[] =
    "60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36";
constexpr char kInitialHashHex[] =
    "2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3";

TEST(NoiseReferenceTest, InitialChainKeyAndHashMatchPublishedValues) {
  K c = HashOf({AsBytes("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s")});
  EXPECT_EQ(ToHex(c), kInitialChainKeyHex);
  K h = HashOf({c, AsBytes("WireGuard v1 zx2c4 Jason@zx2c4.com")});
  EXPECT_EQ(ToHex(h), kInitialHashHex);
  // And our constants are the same strings.
  EXPECT_EQ(ToHex(HashOf({AsBytes(kConstruction)})), kInitialChainKeyHex);
}

// The reference peer's side of a handshake with a Device.
struct RefState {
  K c, h;
};

RefState RefStart(const X25519Public& responder_static) {
  RefState s;
  s.c = HashOf({AsBytes("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s")});
  s.h = HashOf({s.c, AsBytes("WireGuard v1 zx2c4 Jason@zx2c4.com")});
  s.h = HashOf({s.h, responder_static});
  return s;
}

void PutMac1(uint8_t* msg, size_t mac1_offset, const X25519Public& receiver) {
  K key = HashOf({AsBytes("mac1----"), receiver});
  crypto::Mac16(msg + mac1_offset, ByteSpan(key), {msg, mac1_offset});
}
bool Mac1Ok(const uint8_t* msg, size_t mac1_offset, const X25519Public& receiver) {
  K key = HashOf({AsBytes("mac1----"), receiver});
  uint8_t mac[16];
  crypto::Mac16(mac, ByteSpan(key), {msg, mac1_offset});
  return std::memcmp(mac, msg + mac1_offset, 16) == 0;
}

class NoiseInteropTest : public ::testing::TestWithParam<bool> {
 protected:
  FakeClock clock;
  SeededRng rng{77};
  Device dev{rng};
  Output out;
  X25519Private dev_priv = PrivFromByte(0x21);
  X25519Public dev_pub = crypto::PublicKeyOf(dev_priv);
  X25519Private ref_priv = PrivFromByte(0x42);
  X25519Public ref_pub = crypto::PublicKeyOf(ref_priv);
  Endpoint dev_ep = wgtest::Ep("192.0.2.1:51820");
  Endpoint ref_ep = wgtest::Ep("192.0.2.2:51820");
  K psk{};

  void SetUp() override {
    if (GetParam()) psk.fill(0x99);
    ConfigUpdate u;
    u.private_key = dev_priv;
    PeerUpdate p;
    p.public_key = ref_pub;
    p.endpoint = ref_ep;
    PresharedKey q;
    std::memcpy(q.data(), psk.data(), 32);
    p.preshared_key = q;
    p.allowed_ips = {{Prefix("10.0.0.2/32")}};
    u.peers = {p};
    ASSERT_TRUE(dev.ApplyConfig(u, clock.Now(), clock.WallNow(), out).ok());
  }
  Bytes Take(size_t i = 0) {
    ByteSpan d = out.datagram(i);
    return Bytes(d.begin(), d.end());
  }
};

TEST_P(NoiseInteropTest, DeviceInitiatorAgainstReferenceResponder) {
  Bytes packet = Ipv4Packet("10.0.0.1", "10.0.0.2", 37);
  dev.HandleTunPacket(packet, clock.Now(), clock.WallNow(), out);
  ASSERT_EQ(out.datagram_count(), 1u);
  Bytes init = Take();
  out.Clear();
  ASSERT_EQ(init.size(), 148u);
  ASSERT_EQ(LoadLE32(init.data()), 1u);
  ASSERT_TRUE(Mac1Ok(init.data(), 116, ref_pub));
  EXPECT_EQ(Bytes(init.begin() + 132, init.end()), Bytes(16, 0)) << "no cookie: mac2 zero";
  uint32_t dev_index = LoadLE32(init.data() + 4);

  // Responder: consume the initiation.
  RefState s = RefStart(ref_pub);
  X25519Public ei = Pub({init.data() + 8, 32});
  s.c = Kdf1(s.c, ei);
  s.h = HashOf({s.h, ei});
  auto [c1, k1] = Kdf2(s.c, Dh(ref_priv, ei));
  s.c = c1;
  uint8_t si_bytes[32];
  ASSERT_TRUE(crypto::ChaChaPolyOpen(k1.data(), 0, {init.data() + 40, 48}, s.h, si_bytes));
  X25519Public si = Pub(si_bytes);
  EXPECT_EQ(si, dev_pub);
  s.h = HashOf({s.h, {init.data() + 40, 48}});
  auto [c2, k2] = Kdf2(s.c, Dh(ref_priv, si));
  s.c = c2;
  uint8_t ts[12];
  ASSERT_TRUE(crypto::ChaChaPolyOpen(k2.data(), 0, {init.data() + 88, 28}, s.h, ts));
  Tai64n expected_ts = MakeTai64n(clock.WallNow());
  EXPECT_EQ(0, std::memcmp(ts, expected_ts.data(), 12));
  s.h = HashOf({s.h, {init.data() + 88, 28}});

  // Responder: create the response.
  X25519Private er = PrivFromByte(0x43);
  X25519Public er_pub = crypto::PublicKeyOf(er);
  uint8_t resp[92] = {};
  resp[0] = 2;
  StoreLE32(resp + 4, 0x11223344);
  StoreLE32(resp + 8, dev_index);
  std::memcpy(resp + 12, er_pub.data(), 32);
  s.h = HashOf({s.h, er_pub});
  s.c = Kdf1(s.c, er_pub);
  s.c = Kdf1(s.c, Dh(er, ei));
  s.c = Kdf1(s.c, Dh(er, si));
  K tau, k3;
  crypto::Kdf(s.c, psk, s.c.data(), tau.data(), k3.data());
  s.h = HashOf({s.h, tau});
  crypto::ChaChaPolySeal(k3.data(), 0, {}, s.h, resp + 44);
  s.h = HashOf({s.h, {resp + 44, 16}});
  PutMac1(resp, 60, dev_pub);
  auto [t_init_send, t_init_recv] = Kdf2(s.c, {});

  dev.HandleDatagram(ref_ep, {resp, 92}, clock.Now(), clock.WallNow(), out);
  ASSERT_EQ(out.datagram_count(), 1u) << "the staged packet, sealed at once";
  Bytes data = Take();
  out.Clear();
  ASSERT_EQ(LoadLE32(data.data()), 4u);
  EXPECT_EQ(LoadLE32(data.data() + 4), 0x11223344u);
  EXPECT_EQ(LoadLE64(data.data() + 8), 0u);
  Bytes plain(data.size() - 32);
  ASSERT_TRUE(crypto::ChaChaPolyOpen(t_init_send.data(), 0, {data.data() + 16, data.size() - 16},
                                     {}, plain.data()));
  Bytes padded = packet;
  padded.resize((packet.size() + 15) / 16 * 16, 0);
  EXPECT_EQ(plain, padded);

  // Responder → device, counter 0 under T_init_recv.
  Bytes reply = Ipv4Packet("10.0.0.2", "10.0.0.1", 20);
  Bytes msg(16 + reply.size() + 16);
  StoreLE32(msg.data(), 4);
  StoreLE32(msg.data() + 4, dev_index);
  StoreLE64(msg.data() + 8, 0);
  crypto::ChaChaPolySeal(t_init_recv.data(), 0, reply, {}, msg.data() + 16);
  dev.HandleDatagram(ref_ep, msg, clock.Now(), clock.WallNow(), out);
  ASSERT_EQ(out.tun_packet_count(), 1u);
  EXPECT_EQ(Bytes(out.tun_packet(0).begin(), out.tun_packet(0).end()), reply);
}

TEST_P(NoiseInteropTest, ReferenceInitiatorAgainstDeviceResponder) {
  // Initiator (reference) → device.
  X25519Private ei = PrivFromByte(0x44);
  X25519Public ei_pub = crypto::PublicKeyOf(ei);
  uint8_t init[148] = {};
  init[0] = 1;
  StoreLE32(init + 4, 0x55667788);
  std::memcpy(init + 8, ei_pub.data(), 32);
  RefState s = RefStart(dev_pub);
  s.c = Kdf1(s.c, ei_pub);
  s.h = HashOf({s.h, ei_pub});
  auto [c1, k1] = Kdf2(s.c, Dh(ei, dev_pub));
  s.c = c1;
  crypto::ChaChaPolySeal(k1.data(), 0, ref_pub, s.h, init + 40);
  s.h = HashOf({s.h, {init + 40, 48}});
  auto [c2, k2] = Kdf2(s.c, Dh(ref_priv, dev_pub));
  s.c = c2;
  Tai64n ts = MakeTai64n(clock.WallNow());
  crypto::ChaChaPolySeal(k2.data(), 0, ts, s.h, init + 88);
  s.h = HashOf({s.h, {init + 88, 28}});
  PutMac1(init, 116, dev_pub);

  dev.HandleDatagram(ref_ep, {init, 148}, clock.Now(), clock.WallNow(), out);
  ASSERT_EQ(out.datagram_count(), 1u);
  Bytes resp = Take();
  out.Clear();
  ASSERT_EQ(resp.size(), 92u);
  ASSERT_EQ(LoadLE32(resp.data()), 2u);
  EXPECT_EQ(LoadLE32(resp.data() + 8), 0x55667788u);
  ASSERT_TRUE(Mac1Ok(resp.data(), 60, ref_pub));
  uint32_t dev_index = LoadLE32(resp.data() + 4);

  // Initiator consumes the response.
  X25519Public er = Pub({resp.data() + 12, 32});
  s.h = HashOf({s.h, er});
  s.c = Kdf1(s.c, er);
  s.c = Kdf1(s.c, Dh(ei, er));
  s.c = Kdf1(s.c, Dh(ref_priv, er));
  K tau, k3;
  crypto::Kdf(s.c, psk, s.c.data(), tau.data(), k3.data());
  s.h = HashOf({s.h, tau});
  uint8_t nothing[1];
  ASSERT_TRUE(crypto::ChaChaPolyOpen(k3.data(), 0, {resp.data() + 44, 16}, s.h, nothing));
  auto [t_send, t_recv] = Kdf2(s.c, {});

  // First transport message confirms the session at the device.
  Bytes packet = Ipv4Packet("10.0.0.2", "10.0.0.1", 48);
  Bytes msg(16 + packet.size() + 16);
  StoreLE32(msg.data(), 4);
  StoreLE32(msg.data() + 4, dev_index);
  StoreLE64(msg.data() + 8, 0);
  crypto::ChaChaPolySeal(t_send.data(), 0, packet, {}, msg.data() + 16);
  dev.HandleDatagram(ref_ep, msg, clock.Now(), clock.WallNow(), out);
  ASSERT_EQ(out.tun_packet_count(), 1u);
  EXPECT_EQ(Bytes(out.tun_packet(0).begin(), out.tun_packet(0).end()), packet);
  out.Clear();

  // And the device answers under T_recv.
  Bytes back = Ipv4Packet("10.0.0.1", "10.0.0.2", 5);
  dev.HandleTunPacket(back, clock.Now(), clock.WallNow(), out);
  ASSERT_EQ(out.datagram_count(), 1u);
  Bytes data = Take();
  EXPECT_EQ(LoadLE32(data.data() + 4), 0x55667788u);
  Bytes plain(data.size() - 32);
  ASSERT_TRUE(crypto::ChaChaPolyOpen(t_recv.data(), LoadLE64(data.data() + 8),
                                     {data.data() + 16, data.size() - 16}, {}, plain.data()));
  EXPECT_EQ(Bytes(plain.begin(), plain.begin() + back.size()), back);
}

INSTANTIATE_TEST_SUITE_P(WithAndWithoutPsk, NoiseInteropTest, ::testing::Bool());

// --- The noise.h steps against each other ---

class NoiseStepsTest : public ::testing::Test {
 protected:
  SeededRng rng{5};
  StaticIdentity init_id{PrivFromByte(1), {}};
  StaticIdentity resp_id{PrivFromByte(2), {}};
  Handshake ih, rh;  // initiator's view of the responder, responder's of the initiator
  TimePoint now{std::chrono::seconds(100)};
  WallTime wall{1'700'000'000'000'000'000};

  void SetUp() override {
    init_id.public_key = crypto::PublicKeyOf(init_id.private_key);
    resp_id.public_key = crypto::PublicKeyOf(resp_id.private_key);
    ih.remote_static = resp_id.public_key;
    rh.remote_static = init_id.public_key;
    crypto::SharedSecret ss;
    ASSERT_TRUE(crypto::X25519(init_id.private_key, resp_id.public_key, ss));
    ih.precomputed_static_static = ss;
    rh.precomputed_static_static = ss;
  }
};

TEST_F(NoiseStepsTest, FullHandshakeDerivesMatchingKeys) {
  MessageInitiation init;
  ASSERT_TRUE(CreateInitiation(init_id, ih, 7, wall, rng, init));
  EXPECT_EQ(ih.state, HandshakeState::kInitiationCreated);
  InitiationOpening opening;
  ASSERT_TRUE(OpenInitiation(resp_id, init, opening));
  EXPECT_EQ(opening.initiator_static, init_id.public_key);
  ASSERT_EQ(ConsumeInitiation(opening, init, rh, now), ConsumeStatus::kOk);
  EXPECT_EQ(rh.remote_index, 7u);
  MessageResponse resp;
  ASSERT_TRUE(CreateResponse(rh, 9, rng, resp));
  ASSERT_TRUE(ConsumeResponse(init_id, ih, resp));
  EXPECT_EQ(ih.remote_index, 9u);
  SessionKeys ik, rk;
  ASSERT_TRUE(DeriveSessionKeys(ih, ik));
  ASSERT_TRUE(DeriveSessionKeys(rh, rk));
  EXPECT_TRUE(ik.send == rk.receive);
  EXPECT_TRUE(ik.receive == rk.send);
  EXPECT_FALSE(ik.send == ik.receive);
  EXPECT_TRUE(ik.initiator);
  EXPECT_FALSE(rk.initiator);
  EXPECT_EQ(ik.local_index, 7u);
  EXPECT_EQ(rk.local_index, 9u);
  // The handshake secrets are gone.
  EXPECT_EQ(ih.state, HandshakeState::kZeroed);
  EXPECT_TRUE(ih.chaining_key.IsZero());
  EXPECT_TRUE(ih.local_ephemeral.IsZero());
  EXPECT_TRUE(rh.chaining_key.IsZero());
  EXPECT_FALSE(DeriveSessionKeys(ih, ik)) << "only once";
}

TEST_F(NoiseStepsTest, PskMismatchFailsResponseAndLeavesStateUntouched) {
  std::memset(rh.preshared_key.data(), 3, 32);
  MessageInitiation init;
  ASSERT_TRUE(CreateInitiation(init_id, ih, 7, wall, rng, init));
  InitiationOpening opening;
  ASSERT_TRUE(OpenInitiation(resp_id, init, opening));
  ASSERT_EQ(ConsumeInitiation(opening, init, rh, now), ConsumeStatus::kOk);
  MessageResponse resp;
  ASSERT_TRUE(CreateResponse(rh, 9, rng, resp));
  NoiseKey ck_before = ih.chaining_key;
  EXPECT_FALSE(ConsumeResponse(init_id, ih, resp));
  EXPECT_EQ(ih.state, HandshakeState::kInitiationCreated);
  EXPECT_TRUE(ih.chaining_key == ck_before);
}

TEST_F(NoiseStepsTest, EveryTamperedByteOfInitiationFails) {
  MessageInitiation init;
  ASSERT_TRUE(CreateInitiation(init_id, ih, 7, wall, rng, init));
  for (size_t i = 8; i < offsetof(MessageInitiation, mac1); ++i) {
    MessageInitiation bad = init;
    reinterpret_cast<uint8_t*>(&bad)[i] ^= 0x04;
    InitiationOpening opening;
    Handshake h = Handshake();
    h.remote_static = init_id.public_key;
    h.precomputed_static_static = rh.precomputed_static_static;
    bool ok = OpenInitiation(resp_id, bad, opening) &&
              ConsumeInitiation(opening, bad, h, now) == ConsumeStatus::kOk;
    EXPECT_FALSE(ok) << "byte " << i;
  }
}

TEST_F(NoiseStepsTest, ReplayAndFloodAreReported) {
  MessageInitiation first, second;
  ASSERT_TRUE(CreateInitiation(init_id, ih, 7, wall, rng, first));
  InitiationOpening opening;
  ASSERT_TRUE(OpenInitiation(resp_id, first, opening));
  ASSERT_EQ(ConsumeInitiation(opening, first, rh, now), ConsumeStatus::kOk);
  EXPECT_EQ(ConsumeInitiation(opening, first, rh, now + std::chrono::seconds(1)),
            ConsumeStatus::kReplay);
  WallTime later{wall.unix_nanos + 50'000'000};
  ASSERT_TRUE(CreateInitiation(init_id, ih, 8, later, rng, second));
  ASSERT_TRUE(OpenInitiation(resp_id, second, opening));
  EXPECT_EQ(ConsumeInitiation(opening, second, rh, now + std::chrono::milliseconds(20)),
            ConsumeStatus::kFlood);
  EXPECT_EQ(ConsumeInitiation(opening, second, rh, now + std::chrono::milliseconds(21)),
            ConsumeStatus::kOk);
}

TEST_F(NoiseStepsTest, LowOrderKeysFail) {
  Handshake bad;
  bad.remote_static = X25519Public{};  // zero: static-static DH is unusable
  MessageInitiation init;
  EXPECT_FALSE(CreateInitiation(init_id, bad, 1, wall, rng, init));
  ASSERT_TRUE(CreateInitiation(init_id, ih, 7, wall, rng, init));
  std::memset(init.ephemeral, 0, 32);
  InitiationOpening opening;
  EXPECT_FALSE(OpenInitiation(resp_id, init, opening));
  // A response carrying a low-order ephemeral.
  MessageResponse resp{};
  EXPECT_FALSE(ConsumeResponse(init_id, ih, resp));
}

TEST_F(NoiseStepsTest, ResponseRequiresConsumedInitiation) {
  MessageResponse resp;
  EXPECT_FALSE(CreateResponse(rh, 9, rng, resp));
  EXPECT_FALSE(ConsumeResponse(init_id, ih, resp));
}

}  // namespace
}  // namespace dlog::wg
