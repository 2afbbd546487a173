// Two runtimes on loopback with in-memory inner paths: membership datagrams are taken out
// of the tunnel with the sender's WireGuard key, other packets reach the inner path, and
// underlay datagrams in the enrollment range reach the enrollment hook.
#include "node/runtime.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "crypto/x25519.h"
#include "node/overlay_udp.h"

namespace dlog::node {
namespace {

class FakeInner : public InnerPath {
 public:
  Status Start(InnerSink& sink) override {
    sink_ = &sink;
    return Status::Ok();
  }
  void Deliver(std::span<const ByteSpan> packets) override {
    std::lock_guard lock(mu);
    for (ByteSpan p : packets) delivered.emplace_back(p.begin(), p.end());
  }
  void Shutdown() override {}
  Result<size_t> Mtu() const override { return size_t(1420); }
  Result<bool> IsUp() const override { return true; }
  void Inject(ByteSpan packet) {
    ByteSpan one[1] = {packet};
    sink_->FromInner(one);
  }
  std::mutex mu;
  std::vector<Bytes> delivered;

 private:
  InnerSink* sink_ = nullptr;
};

struct Side {
  FakeInner* inner;
  std::unique_ptr<Runtime> rt;
  crypto::X25519Private key;
  wg::PublicKey pub;
  std::mutex mu;
  std::vector<std::pair<wg::PublicKey, Bytes>> got;
  std::vector<Bytes> enrollment;
};

void Make(Side& s, const Ipv4& overlay) {
  auto inner = std::make_unique<FakeInner>();
  s.inner = inner.get();
  RuntimeOptions o;
  o.udp.ipv6 = false;
  s.rt = std::make_unique<Runtime>(std::move(inner), o);
  s.rt->SetMembershipHandler([&s](const wg::PublicKey& k, const OverlayUdp& m) {
    std::lock_guard lock(s.mu);
    s.got.emplace_back(k, Bytes(m.payload.begin(), m.payload.end()));
  });
  s.rt->SetEnrollmentHandler([&s](const wg::Endpoint&, ByteSpan d) {
    std::lock_guard lock(s.mu);
    s.enrollment.emplace_back(d.begin(), d.end());
  });
  s.rt->SetOverlayAddress(overlay);
  ASSERT_TRUE(s.rt->Start().ok());
  s.key = crypto::GeneratePrivateKey(s.rt->rng());
  s.pub = crypto::PublicKeyOf(s.key);
  wg::ConfigUpdate u;
  u.private_key = s.key;
  ASSERT_TRUE(s.rt->ApplyConfig(u).ok());
}

void Peer(Side& s, const Side& other, const Ipv4& overlay) {
  wg::ConfigUpdate u;
  wg::PeerUpdate& p = u.peers.emplace_back();
  p.public_key = other.pub;
  p.endpoint = wg::Endpoint::Parse("127.0.0.1:" + std::to_string(other.rt->listen_port()));
  wg::IpPrefix prefix;
  std::copy(overlay.begin(), overlay.end(), prefix.addr.begin());
  prefix.bits = 32;
  p.allowed_ips.push_back({prefix, false});
  ASSERT_TRUE(s.rt->ApplyConfig(u).ok());
}

template <typename F>
bool Eventually(F done) {
  for (int i = 0; i < 500; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

const Ipv4 kA{10, 0, 0, 1};
const Ipv4 kB{10, 0, 0, 2};

TEST(Runtime, MembershipCarriesTheSendersKeyAndOtherPacketsReachTheStack) {
  Side a, b;
  Make(a, kA);
  Make(b, kB);
  Peer(a, b, kB);
  Peer(b, a, kA);

  const Bytes hello = {'h', 'e', 'l', 'l', 'o'};
  b.rt->SendMembership(kA, hello);
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard lock(a.mu);
    return !a.got.empty();
  }));
  {
    std::lock_guard lock(a.mu);
    EXPECT_EQ(a.got[0].first, b.pub);
    EXPECT_EQ(a.got[0].second, hello);
  }
  {
    std::lock_guard lock(a.inner->mu);
    EXPECT_TRUE(a.inner->delivered.empty());  // taken out before the stack
  }

  // Another UDP port to our address is the stack's.
  Bytes other = BuildIpv4Udp(kB, kA, 5000, 5001, hello);
  b.inner->Inject(other);
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard lock(a.inner->mu);
    return a.inner->delivered.size() == 1;
  }));
  {
    std::lock_guard lock(a.inner->mu);
    EXPECT_EQ(a.inner->delivered[0], other);
  }
  EXPECT_EQ(a.rt->Counters().membership_received, 1u);

  a.rt->Shutdown();
  b.rt->Shutdown();
}

TEST(Runtime, EnrollmentRangeGoesToTheHookAndNothingElseDoes) {
  Side a;
  Make(a, kA);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(a.rt->listen_port());
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const uint8_t enroll[] = {0x91, 1, 2, 3};
  const uint8_t last[] = {0x9F, 9};
  const uint8_t not_ours[] = {0xA0, 1};  // neither WireGuard, PQ nor enrollment
  for (auto [p, n] : {std::pair{enroll, sizeof enroll}, std::pair{not_ours, sizeof not_ours},
                      std::pair{last, sizeof last}})
    ASSERT_EQ(sendto(fd, p, n, 0, reinterpret_cast<sockaddr*>(&to), sizeof to), ssize_t(n));
  close(fd);
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard lock(a.mu);
    return a.enrollment.size() == 2;
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::lock_guard lock(a.mu);
  ASSERT_EQ(a.enrollment.size(), 2u);
  EXPECT_EQ(a.enrollment[0], Bytes(enroll, enroll + sizeof enroll));
  EXPECT_EQ(a.enrollment[1], Bytes(last, last + sizeof last));
  EXPECT_EQ(a.rt->Counters().enrollment_datagrams, 2u);
}

}  // namespace
}  // namespace dlog::node
