// libFuzzer target: arbitrary datagrams and sequences of events against two
// wg::Devices that share an established session. Must never crash, hang or trip a
// sanitizer; every malformed input must be dropped.
//
// Input: a sequence of commands, each `op byte` then its operands:
//   0 len data...   raw datagram from a's endpoint to b
//   1 len data...   raw datagram from an unknown endpoint to a
//   2 which pos val mutate a genuine datagram (initiation, response, cookie reply,
//                   transport or keepalive) at `pos` by xor `val`, deliver to its target
//   3 secs          advance the clock by `secs` seconds and tick both devices
//   4 len data...   IP packet into a's TUN (then pump the wire)
//   5               toggle b's forced load (cookie path)
//   6 len data...   IP packet into b's TUN
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "base/clock.h"
#include "base/rng.h"
#include "crypto/x25519.h"
#include "wg/device.h"
#include "wg/messages.h"

namespace {

using namespace dlog;
using namespace dlog::wg;

struct Node {
  explicit Node(uint64_t seed, const char* ep) : rng(seed), dev(rng), ep(*Endpoint::Parse(ep)) {
    priv = crypto::GeneratePrivateKey(rng);
    pub = crypto::PublicKeyOf(priv);
  }
  SeededRng rng;
  Device dev;
  Endpoint ep;
  crypto::X25519Private priv;
  crypto::X25519Public pub{};
  Output out;
};

struct Wire {
  Endpoint from, to;
  Bytes bytes;
};

class World {
 public:
  World() {
    Configure(a_, b_, "10.0.0.2/32", true, 0);
    Configure(b_, a_, "10.0.0.1/32", false, 0);
    // Capture a genuine exchange: initiation, response, transport, keepalive.
    b_.dev.SetLoadMode(LoadMode::kForceUnderLoad);
    Send(a_, Packet(1, 2, 40));
    Pump();  // yields a cookie reply
    b_.dev.SetLoadMode(LoadMode::kAuto);
    clock_.Advance(std::chrono::seconds(6));
    Tick();
    Pump();
    Send(b_, Packet(2, 1, 100));
    Pump();
  }

  void Run(const uint8_t* data, size_t size) {
    size_t i = 0;
    auto take = [&](size_t n) -> ByteSpan {
      n = std::min(n, size - i);
      ByteSpan s(data + i, n);
      i += n;
      return s;
    };
    for (int steps = 0; i < size && steps < 64; ++steps) {
      uint8_t op = data[i++] % 7;
      uint8_t arg = i < size ? data[i++] : 0;
      switch (op) {
        case 0:
          Deliver({a_.ep, b_.ep, ToBytes(take(arg))});
          break;
        case 1:
          Deliver({*Endpoint::Parse("203.0.113.9:999"), a_.ep, ToBytes(take(arg))});
          break;
        case 2:
          if (!genuine_.empty()) {
            Wire w = genuine_[arg % genuine_.size()];
            ByteSpan edit = take(2);
            if (edit.size() == 2 && !w.bytes.empty()) w.bytes[edit[0] % w.bytes.size()] ^= edit[1];
            Deliver(w);
          }
          break;
        case 3:
          clock_.Advance(std::chrono::seconds(arg));
          Tick();
          break;
        case 4:
          Send(a_, ToBytes(take(arg)));
          break;
        case 5:
          forced_ = !forced_;
          b_.dev.SetLoadMode(forced_ ? LoadMode::kForceUnderLoad : LoadMode::kAuto);
          break;
        case 6:
          Send(b_, ToBytes(take(arg)));
          break;
      }
      Pump();
    }
  }

 private:
  static Bytes ToBytes(ByteSpan s) { return Bytes(s.begin(), s.end()); }

  static Bytes Packet(uint8_t src, uint8_t dst, size_t payload) {
    Bytes p(20 + payload, 0x5a);
    p[0] = 0x45;
    p[2] = uint8_t((20 + payload) >> 8);
    p[3] = uint8_t(20 + payload);
    const uint8_t s[4] = {10, 0, 0, src}, d[4] = {10, 0, 0, dst};
    std::memcpy(p.data() + 12, s, 4);
    std::memcpy(p.data() + 16, d, 4);
    return p;
  }

  void Configure(Node& self, Node& other, const char* allowed, bool endpoint, uint16_t ka) {
    ConfigUpdate u;
    u.private_key = self.priv;
    PeerUpdate p;
    p.public_key = other.pub;
    if (endpoint) p.endpoint = other.ep;
    if (ka) p.persistent_keepalive_interval = ka;
    p.allowed_ips = {{*IpPrefix::Parse(allowed)}};
    u.peers = {p};
    (void)self.dev.ApplyConfig(u, clock_.Now(), clock_.WallNow(), self.out);
    Collect(self);
  }

  void Collect(Node& n) {
    for (size_t i = 0; i < n.out.datagram_count(); ++i) {
      ByteSpan d = n.out.datagram(i);
      Wire w{n.ep, n.out.datagram_endpoint(i), ToBytes(d)};
      if (genuine_.size() < 16) genuine_.push_back(w);
      wire_.push_back(std::move(w));
    }
    n.out.Clear();
  }

  void Deliver(const Wire& w) {
    Node* n = w.to == a_.ep ? &a_ : w.to == b_.ep ? &b_ : nullptr;
    if (!n) return;
    n->dev.HandleDatagram(w.from, w.bytes, clock_.Now(), clock_.WallNow(), n->out);
    Collect(*n);
  }

  void Send(Node& n, const Bytes& packet) {
    n.dev.HandleTunPacket(packet, clock_.Now(), clock_.WallNow(), n.out);
    Collect(n);
  }

  void Tick() {
    a_.dev.Tick(clock_.Now(), clock_.WallNow(), a_.out);
    Collect(a_);
    b_.dev.Tick(clock_.Now(), clock_.WallNow(), b_.out);
    Collect(b_);
  }

  void Pump() {
    for (int round = 0; round < 16 && !wire_.empty(); ++round) {
      std::vector<Wire> batch = std::move(wire_);
      wire_.clear();
      for (const Wire& w : batch) Deliver(w);
    }
    wire_.clear();
  }

  FakeClock clock_;
  Node a_{1, "192.0.2.1:51820"};
  Node b_{2, "192.0.2.2:51820"};
  std::vector<Wire> wire_;
  std::vector<Wire> genuine_;  // the first datagrams ever sent, for mutation
  bool forced_ = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  World world;
  world.Run(data, size);
  return 0;
}
