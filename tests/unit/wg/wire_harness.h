// Test harness: two wg::Devices joined by an in-memory "wire" in one thread, under a
// FakeClock and SeededRngs, so a whole WireGuard session (and minutes of its timers)
// runs deterministically.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/rng.h"
#include "crypto/x25519.h"
#include "wg/device.h"
#include "wg/messages.h"

namespace dlog::wg::wgtest {

inline Endpoint Ep(const char* s) { return *Endpoint::Parse(s); }
inline IpPrefix Prefix(const char* s) { return *IpPrefix::Parse(s); }

// A minimal IPv4 packet (UDP protocol number, checksum not filled).
inline Bytes Ipv4Packet(const char* src, const char* dst, size_t payload, uint8_t fill = 0xab) {
  Bytes p(20 + payload, fill);
  p[0] = 0x45;
  p[1] = 0;
  p[2] = uint8_t((20 + payload) >> 8);
  p[3] = uint8_t(20 + payload);
  p[8] = 64;
  p[9] = 17;
  inet_pton(AF_INET, src, p.data() + 12);
  inet_pton(AF_INET, dst, p.data() + 16);
  return p;
}

inline Bytes Ipv6Packet(const char* src, const char* dst, size_t payload, uint8_t fill = 0xcd) {
  Bytes p(40 + payload, fill);
  p[0] = 0x60;
  p[1] = p[2] = p[3] = 0;
  p[4] = uint8_t(payload >> 8);
  p[5] = uint8_t(payload);
  p[6] = 17;
  p[7] = 64;
  inet_pton(AF_INET6, src, p.data() + 8);
  inet_pton(AF_INET6, dst, p.data() + 24);
  return p;
}

struct Datagram {
  Endpoint from;
  Endpoint to;
  Bytes bytes;
  uint32_t type() const { return MessageTypeOf(bytes); }
};

struct Node {
  Node(uint64_t seed, const char* endpoint, const char* overlay)
      : rng(seed), dev(rng), ep(Ep(endpoint)), overlay(overlay) {
    priv = crypto::GeneratePrivateKey(rng);
    pub = crypto::PublicKeyOf(priv);
  }
  SeededRng rng;
  Device dev;
  Endpoint ep;          // where it receives; also the source of what it sends
  const char* overlay;  // its tunnel address
  crypto::X25519Private priv;
  crypto::X25519Public pub{};
  Output out;
  std::vector<Bytes> delivered;  // IP packets written to its TUN
  std::vector<Datagram> sent;    // every datagram it emitted
};

class WirePair : public ::testing::Test {
 protected:
  FakeClock clock;
  Node a{1, "192.0.2.1:51820", "10.9.0.1"};
  Node b{2, "192.0.2.2:51821", "10.9.0.2"};
  std::vector<Datagram> wire;  // in flight

  TimePoint now() const { return clock.Now(); }
  WallTime wall() const { return clock.WallNow(); }

  // `self` gets its private key and a peer `other` whose allowed IP is other's overlay.
  void Configure(Node& self, Node& other, bool with_endpoint,
                 std::optional<PresharedKey> psk = std::nullopt, uint16_t keepalive = 0) {
    ConfigUpdate u;
    u.private_key = self.priv;
    u.listen_port = self.ep.port;
    PeerUpdate p;
    p.public_key = other.pub;
    if (with_endpoint) p.endpoint = other.ep;
    p.preshared_key = psk;
    if (keepalive) p.persistent_keepalive_interval = keepalive;
    p.allowed_ips.push_back({Prefix((std::string(other.overlay) + "/32").c_str())});
    u.peers.push_back(p);
    ASSERT_TRUE(self.dev.ApplyConfig(u, now(), wall(), self.out).ok());
    Collect(self);
  }
  void ConfigureBoth(std::optional<PresharedKey> psk = std::nullopt) {
    Configure(a, b, /*with_endpoint=*/true, psk);
    Configure(b, a, /*with_endpoint=*/false, psk);
  }

  // Moves what `n` produced onto the wire and into its TUN.
  void Collect(Node& n) {
    for (size_t i = 0; i < n.out.datagram_count(); ++i) {
      ByteSpan d = n.out.datagram(i);
      Datagram dg{n.ep, n.out.datagram_endpoint(i), Bytes(d.begin(), d.end())};
      n.sent.push_back(dg);
      wire.push_back(std::move(dg));
    }
    for (size_t i = 0; i < n.out.tun_packet_count(); ++i) {
      ByteSpan p = n.out.tun_packet(i);
      n.delivered.emplace_back(p.begin(), p.end());
    }
    n.out.Clear();
  }

  Node* At(const Endpoint& to) {
    if (to.addr == a.ep.addr && to.port == a.ep.port) return &a;
    if (to.addr == b.ep.addr && to.port == b.ep.port) return &b;
    return nullptr;
  }

  void Deliver(const Datagram& d) {
    Node* n = At(d.to);
    if (!n) return;  // nobody there: lost
    n->dev.HandleDatagram(d.from, d.bytes, now(), wall(), n->out);
    Collect(*n);
  }

  // Delivers everything in flight, and whatever that triggers, until the wire is quiet.
  void Pump() {
    for (int round = 0; round < 64 && !wire.empty(); ++round) {
      std::vector<Datagram> batch = std::move(wire);
      wire.clear();
      for (const Datagram& d : batch) Deliver(d);
    }
    ASSERT_TRUE(wire.empty()) << "the devices never went quiet";
  }
  std::vector<Datagram> TakeWire() {
    std::vector<Datagram> w = std::move(wire);
    wire.clear();
    return w;
  }

  void SendFrom(Node& n, const Bytes& packet) {
    n.dev.HandleTunPacket(packet, now(), wall(), n.out);
    Collect(n);
  }
  Bytes PacketFrom(const Node& src, const Node& dst, size_t payload = 100, uint8_t fill = 0xab) {
    return Ipv4Packet(src.overlay, dst.overlay, payload, fill);
  }

  void Tick(Node& n) {
    n.dev.Tick(now(), wall(), n.out);
    Collect(n);
  }
  // Advances the clock in `step`s, ticking both devices each step; the wire is pumped
  // after each step when `deliver`, else everything sent is lost.
  void Run(Duration total, Duration step, bool deliver) {
    for (Duration t{0}; t < total; t += step) {
      clock.Advance(step);
      Tick(a);
      Tick(b);
      if (deliver) {
        Pump();
      } else {
        wire.clear();
      }
    }
  }

  // Handshake a → b with one data packet, delivered.
  void Establish() {
    SendFrom(a, PacketFrom(a, b));
    Pump();
    ASSERT_EQ(b.delivered.size(), 1u);
    b.delivered.clear();
  }

  static size_t CountType(const std::vector<Datagram>& ds, uint32_t type) {
    size_t n = 0;
    for (const auto& d : ds) n += d.type() == type;
    return n;
  }
  static size_t CountKeepalives(const std::vector<Datagram>& ds) {
    size_t n = 0;
    for (const auto& d : ds) n += d.type() == kMessageTransport && d.bytes.size() == kKeepaliveSize;
    return n;
  }
  PeerSnapshot PeerOf(const Node& n) const {
    DeviceSnapshot s = n.dev.Snapshot();
    EXPECT_EQ(s.peers.size(), 1u);
    return s.peers.empty() ? PeerSnapshot{} : s.peers[0];
  }
};

}  // namespace dlog::wg::wgtest
