// The first handshake after the inner link comes up is answered at once, even when the
// timer thread (which polls the link state every <= 250 ms) has not yet seen the link up.
//
// Regression test for the rare unanswered first handshake (docs/DPI.md, "Limits"): under
// load, the responder's link came up, the initiation arrived before the timer thread's
// next poll, the device dropped it as interface_down and the tunnel waited 5 s for the
// initiator's retry. Here the timer thread is held inside its link poll (a thread not
// scheduled under load, taken to its limit) while the link comes up and the handshake
// runs, so the outcome does not depend on scheduling.
#include <gtest/gtest.h>
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "crypto/x25519.h"
#include "node/overlay_udp.h"
#include "node/runtime.h"

namespace dlog::node {
namespace {

bool OnTimerThread() {
  char name[16] = {};
  pthread_getname_np(pthread_self(), name, sizeof name);
  return std::strcmp(name, "wg-timer") == 0;
}

class LinkInner : public InnerPath {
 public:
  explicit LinkInner(bool up) : up(up) {}
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
  // Reports `up`; while `hold` is set, the timer thread's poll blocks until it is cleared.
  Result<bool> IsUp() const override {
    if (OnTimerThread()) {
      std::unique_lock lock(gate_mu);
      if (hold) {
        timer_held = true;
        gate_cv.notify_all();
        gate_cv.wait(lock, [this] { return !hold; });
      }
    }
    return up.load();
  }
  void Hold() {
    std::lock_guard lock(gate_mu);
    hold = true;
  }
  // True once the timer thread is blocked in IsUp (waits at most `limit`).
  bool WaitTimerHeld(std::chrono::milliseconds limit) {
    std::unique_lock lock(gate_mu);
    return gate_cv.wait_for(lock, limit, [this] { return timer_held; });
  }
  void Release() {
    {
      std::lock_guard lock(gate_mu);
      hold = false;
    }
    gate_cv.notify_all();
  }
  void Inject(ByteSpan packet) {
    ByteSpan one[1] = {packet};
    sink_->FromInner(one);
  }
  size_t delivered_count() {
    std::lock_guard lock(mu);
    return delivered.size();
  }
  std::atomic<bool> up;
  mutable std::mutex gate_mu;
  mutable std::condition_variable gate_cv;
  mutable bool hold = false, timer_held = false;
  std::mutex mu;
  std::vector<Bytes> delivered;

 private:
  InnerSink* sink_ = nullptr;
};

struct Node {
  LinkInner* inner = nullptr;
  std::unique_ptr<Runtime> rt;
  crypto::X25519Private key;
  wg::PublicKey pub;
};

void Start(Node& n, bool up) {
  auto inner = std::make_unique<LinkInner>(up);
  n.inner = inner.get();
  RuntimeOptions o;
  o.udp.ipv6 = false;
  n.rt = std::make_unique<Runtime>(std::move(inner), o);
  ASSERT_TRUE(n.rt->Start().ok());
  n.key = crypto::GeneratePrivateKey(n.rt->rng());
  n.pub = crypto::PublicKeyOf(n.key);
  wg::ConfigUpdate u;
  u.private_key = n.key;
  ASSERT_TRUE(n.rt->ApplyConfig(u).ok());
}

void AddPeer(Node& n, const Node& other, const Ipv4& overlay, bool with_endpoint) {
  wg::ConfigUpdate u;
  wg::PeerUpdate& p = u.peers.emplace_back();
  p.public_key = other.pub;
  if (with_endpoint)
    p.endpoint = wg::Endpoint::Parse("127.0.0.1:" + std::to_string(other.rt->listen_port()));
  wg::IpPrefix prefix;
  std::copy(overlay.begin(), overlay.end(), prefix.addr.begin());
  prefix.bits = 32;
  p.allowed_ips.push_back({prefix, false});
  ASSERT_TRUE(n.rt->ApplyConfig(u).ok());
}

const Ipv4 kA{10, 0, 0, 1};
const Ipv4 kB{10, 0, 0, 2};

TEST(RuntimeLink, FirstHandshakeAfterTheLinkComesUpIsAnsweredBeforeTheTimerPolls) {
  Node a, b;
  Start(a, true);
  Start(b, false);  // the responder's link is down when it starts
  AddPeer(a, b, kB, true);
  AddPeer(b, a, kA, false);  // like a listening responder: learns A's endpoint

  // The responder's timer thread is stuck in its link poll (it polls every <= 250 ms).
  b.inner->Hold();
  struct Releaser {  // never leave the timer thread blocked: Shutdown joins it
    LinkInner* inner;
    ~Releaser() { inner->Release(); }
  } releaser{b.inner};
  ASSERT_TRUE(b.inner->WaitTimerHeld(std::chrono::milliseconds(2000)));

  b.inner->up = true;  // `ip link set up`, then at once the initiator's first packet
  const Bytes hello = {'h', 'e', 'l', 'l', 'o'};
  a.inner->Inject(BuildIpv4Udp(kA, kB, 5000, 5001, hello));

  // Within WireGuard's REKEY_TIMEOUT (5 s): its retry must not be what completes it.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (b.inner->delivered_count() == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  b.inner->Release();
  ASSERT_EQ(b.inner->delivered_count(), 1u);
  {
    std::lock_guard lock(b.inner->mu);
    EXPECT_EQ(b.inner->delivered[0], BuildIpv4Udp(kA, kB, 5000, 5001, hello));
  }
  a.rt->Shutdown();
  b.rt->Shutdown();
}

TEST(RuntimeLink, NothingIsDeliveredWhileTheLinkIsDown) {
  Node a, b;
  Start(a, true);
  Start(b, false);
  AddPeer(a, b, kB, true);
  AddPeer(b, a, kA, false);

  const Bytes hello = {'h', 'i'};
  a.inner->Inject(BuildIpv4Udp(kA, kB, 5000, 5001, hello));
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // > two timer polls
  EXPECT_EQ(b.inner->delivered_count(), 0u);
  a.rt->Shutdown();
  b.rt->Shutdown();
}

}  // namespace
}  // namespace dlog::node
