// Disguise under the daemon's thread model: several threads wrap (each with its own
// Output), others unwrap, one ticks the shaper and the decoy queue, one reads counters
// and port plans — all at once. Run under TSan (DLOG_SANITIZE=thread) to check the
// locking; here the invariants check that nothing is lost or delivered twice.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "obfs/disguise.h"

namespace dlog::obfs {
namespace {

using std::chrono::milliseconds;

ClusterSecret SecretOf(uint8_t fill) {
  ClusterSecret s;
  std::memset(s.data(), fill, s.size());
  return s;
}

// A bounded multi-producer multi-consumer queue of datagrams: the "network".
class Wire {
 public:
  void Push(Bytes d) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return q_.size() < 4096; });
    q_.push_back(std::move(d));
    not_empty_.notify_one();
  }
  bool Pop(Bytes& d) {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return !q_.empty() || closed_; });
    if (q_.empty()) return false;
    d = std::move(q_.front());
    q_.pop_front();
    not_full_.notify_one();
    return true;
  }
  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable not_empty_, not_full_;
  std::deque<Bytes> q_;
  bool closed_ = false;
};

void RunConcurrently(const Options& o, int per_thread) {
  SystemClock clock;
  SeededRng rng_a(1), rng_b(2);
  Disguise a(SecretOf(7), o, rng_a), b(SecretOf(7), o, rng_b);
  Wire wire;
  const wg::Endpoint to[] = {*wg::Endpoint::Parse("192.0.2.2:51820"),
                             *wg::Endpoint::Parse("192.0.2.3:51820"),
                             *wg::Endpoint::Parse("[2001:db8::4]:51820")};
  const wg::Endpoint from = *wg::Endpoint::Parse("192.0.2.1:51820");
  std::atomic<bool> wrapping{true}, ticking{true};
  std::atomic<uint64_t> delivered{0};

  auto send_all = [&](Output& out) {
    for (size_t i = 0; i < out.size(); ++i)
      wire.Push(Bytes(out.data(i).begin(), out.data(i).end()));
    out.Clear();
  };
  std::vector<std::thread> wrappers, unwrappers;
  for (int t = 0; t < 3; ++t) {
    wrappers.emplace_back([&, t] {
      Output out;
      SeededRng data(100 + t);
      for (int i = 0; i < per_thread; ++i) {
        wg::Output dev;
        for (int k = 0; k < 1 + i % 8; ++k) {
          MutableByteSpan d = dev.AddDatagram(to[(i + k) % 3], i % 5 ? 96 + 16 * (i % 60) : 148);
          data.Fill(d);
          d[0] = i % 5 ? 4 : 1;
        }
        a.WrapAll(dev, clock.Now(), clock.WallNow(), out);
        send_all(out);
      }
    });
  }
  std::thread ticker([&] {
    Output out;
    while (ticking) {
      a.Tick(clock.Now(), clock.WallNow(), out);
      send_all(out);
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  std::thread reader([&] {
    while (wrapping) {
      (void)a.counters();
      (void)b.FormatCounters();
      (void)a.NextDeadline();
      if (a.hopping()) (void)a.Ports(clock.WallNow());
      std::this_thread::yield();
    }
  });
  for (int t = 0; t < 2; ++t) {
    unwrappers.emplace_back([&] {
      Bytes d;
      while (wire.Pop(d)) {
        auto u = b.Unwrap(from, d, clock.Now(), clock.WallNow());
        if (u.deliver) ++delivered;
      }
    });
  }
  for (auto& t : wrappers) t.join();
  wrapping = false;
  // The ticker drains the shaper (at most 200 ms of sending time queued) and the decoys.
  std::this_thread::sleep_for(milliseconds(o.traffic_shaping ? 1000 : 100));
  ticking = false;
  ticker.join();
  reader.join();
  wire.Close();
  for (auto& t : unwrappers) t.join();

  const DisguiseCounters ca = a.counters(), cb = b.counters();
  EXPECT_GT(ca.sealed, 0u);
  EXPECT_EQ(cb.drop_tag + cb.drop_header + cb.drop_prefix + cb.drop_short + cb.drop_replay +
                cb.drop_stale,
            0u);
  EXPECT_EQ(delivered.load(), cb.opened);
  EXPECT_EQ(cb.opened, ca.sealed - ca.shaping_dropped) << "every real datagram, once";
  EXPECT_EQ(cb.chaff_received, ca.decoys_sent + ca.cover_sent);
  if (o.traffic_shaping) {
    EXPECT_GT(ca.cover_sent, 0u);
  }
}

TEST(DisguiseConcurrencyTest, WrapUnwrapTickAndReadAtOnce) {
  Options o;
  o.random_padding = true;
  o.port_hopping = true;
  o.hop_interval = std::chrono::seconds(1);
  o.decoy_traffic = true;
  o.decoy_ratio = 0.5;
  o.decoy_max_delay = milliseconds(2);
  RunConcurrently(o, 3000);
}

TEST(DisguiseConcurrencyTest, ShapedFromManyThreads) {
  Options o;
  o.traffic_shaping = true;
  o.target_rate_bps = 50'000'000;
  o.decoy_traffic = true;
  o.shaping_idle = std::chrono::seconds(5);  // cover still flows when the wrappers stop
  RunConcurrently(o, 300);
}

}  // namespace
}  // namespace dlog::obfs
