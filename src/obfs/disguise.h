// Disguise: the DPI disguise of every outer datagram of one node, with its four options
// (random padding, traffic shaping, port hopping, decoy traffic), as a sans-I/O core
// between the protocol cores (wg, pq) and the UDP sockets (net).
//
// The daemon calls, for each datagram the device wants to send,
//   WrapAll(device_output, now, wall, out), or Wrap(to, inner, now, wall, out) for one
//                                     → out holds what to send now (0..n datagrams,
//                                        each with its destination and local port)
// for each datagram received,
//   Unwrap(from, datagram, now, wall) → the inner datagram to hand to the device, or
//                                        nothing (dropped in silence, counted)
// and, when needs_ticks(), at NextDeadline():
//   Tick(now, wall, out)              → paced datagrams, cover and delayed decoys due now
// With port_hopping, the daemon keeps a socket open on every port of Ports(wall) (until
// its next_change) and sends each datagram from the socket of its `from_port`
// (0: the ordinary listen_port socket).
//
// WHAT GOES ON THE WIRE (docs/DPI.md)
//   Disguised peers: every datagram is sealed (obfs/constants.h): printable random
//   prefix, keyed tag, masked header, random padding. Stock peers (PeerPolicy): the
//   WireGuard bytes as they are.
//
// SILENCE
//   A datagram that is not sealed under the cluster secret, is stale or replayed, or is
//   chaff, is never delivered; stock-form datagrams are delivered only from stock
//   peers. Every drop is counted by reason.
//
// THREAD MODEL
//   Wrap, Unwrap, Tick, NextDeadline, Ports and counters may be called concurrently
//   from any threads; each calling thread passes its own Output. Sealing and opening
//   take no lock (hop ports are cached per thread); the shaping/decoy scheduler, the
//   replay filter and the endpoint table each have a leaf mutex, taken alone.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <queue>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/rng.h"
#include "obfs/keys.h"
#include "obfs/options.h"
#include "obfs/pacer.h"
#include "obfs/peer_policy.h"
#include "obfs/port_hop.h"
#include "obfs/random_pool.h"
#include "obfs/replay_filter.h"
#include "obfs/wire.h"
#include "wg/device.h"
#include "wg/endpoint.h"

namespace dlog::obfs {

// A caller-owned, reusable batch of datagrams to send, and the calling thread's
// randomness. Not thread-safe: one per thread. Spans are valid until the next
// Clear or Add on this Output.
class Output {
 public:
  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  const wg::Endpoint& to(size_t i) const { return slots_[i].to; }
  // The local port to send from: a hop port, or 0 for the listen_port socket.
  uint16_t from_port(size_t i) const { return slots_[i].from_port; }
  ByteSpan data(size_t i) const { return {slots_[i].buf.data(), slots_[i].size}; }
  void Clear() {
    count_ = 0;
    run_.valid = false;
  }

 private:
  friend class Disguise;
  // The prefix length and padding shared by a run of equal-size transport datagrams to
  // one peer within one WrapAll (or of decoys of one size within one Tick), so they leave
  // as one UDP GSO send (and arrive as one GRO buffer) like stock WireGuard's.
  struct Run {
    bool valid = false;
    Kind kind = Kind::kTransport;
    wg::Endpoint to;
    size_t inner = 0;  // the inner size (transport), or the size drawn (chaff)
    size_t prefix = 0;
    size_t padding = 0;
    size_t length = 0;  // datagrams so far; a run ends at kMaxRun (one GSO send's worth)
  };
  struct Slot {
    wg::Endpoint to;
    uint16_t from_port = 0;
    Bytes buf;  // capacity only grows
    size_t size = 0;
  };
  MutableByteSpan Add(const wg::Endpoint& to, uint16_t from_port, size_t size);
  std::vector<Slot> slots_;
  size_t count_ = 0;
  Run run_;
  // Send counters gathered during one call, added to the shared ones once at its end.
  struct Pending {
    uint64_t sealed = 0, padding = 0, wire = 0;
  } pending_;
  RandomPool pool_;  // seeded by the Disguise on first use
};

// Monotonic counters.
struct DisguiseCounters {
  // Sending.
  uint64_t sealed = 0;           // real datagrams sent disguised
  uint64_t stock_sent = 0;       // real datagrams sent to stock peers as they are
  uint64_t decoys_sent = 0;      // decoys released to the wire
  uint64_t cover_sent = 0;       // cover datagrams of the shaper
  uint64_t padding_bytes = 0;    // padding added to real datagrams
  uint64_t oversize = 0;         // real datagrams larger than max_datagram before padding
  uint64_t shaping_dropped = 0;  // real datagrams dropped: shaping queue full
  uint64_t decoys_dropped = 0;   // decoys not scheduled: delay queue full
  uint64_t wire_bytes = 0;       // UDP payload bytes released (real, decoy, cover)
  // Receiving.
  uint64_t opened = 0;          // disguised datagrams delivered
  uint64_t stock_received = 0;  // stock-form datagrams delivered from stock peers
  uint64_t chaff_received = 0;  // decoys and cover, discarded after unmasking
  uint64_t drop_short = 0;
  uint64_t drop_prefix = 0;  // neither a disguised datagram nor stock WireGuard/PQ
  uint64_t drop_header = 0;
  uint64_t drop_tag = 0;     // not sealed under our cluster secret
  uint64_t drop_stale = 0;   // kMessage whose time is outside the window
  uint64_t drop_replay = 0;  // kMessage seen before
  uint64_t drop_stock = 0;   // stock-form datagram from a peer that is not stock
};

class Disguise {
 public:
  // `rng` seeds the per-thread pools and must outlive the Disguise; calls to it are
  // serialised internally.
  Disguise(const ClusterSecret& secret, const Options& options, Rng& rng);
  ~Disguise();
  Disguise(const Disguise&) = delete;
  Disguise& operator=(const Disguise&) = delete;

  const Options& options() const { return o_; }

  // --- Sending ---
  // One datagram, sized on its own.
  void Wrap(const wg::Endpoint& to, ByteSpan inner, TimePoint now, WallTime wall, Output& out);
  // Every datagram of a device Output, in order. Consecutive transport datagrams to one
  // peer of one size (the last of a run may be shorter) share a prefix length and a
  // padding, hence one wire size: the sizes still vary from run to run, and UDP GSO/GRO
  // keep working (docs/DPI.md, "Cost").
  void WrapAll(const wg::Output& device_out, TimePoint now, WallTime wall, Output& out);

  // --- Receiving ---
  struct Unwrapped {
    bool deliver = false;
    ByteSpan inner;  // points into the datagram passed in
  };
  // Works in place: `datagram` is unmasked (and so modified) when it is disguised.
  Unwrapped Unwrap(const wg::Endpoint& from, MutableByteSpan datagram, TimePoint now,
                   WallTime wall);

  // --- Timers (shaping and delayed decoys) ---
  bool needs_ticks() const;
  void Tick(TimePoint now, WallTime wall, Output& out);
  TimePoint NextDeadline() const;

  // --- Port hopping ---
  bool hopping() const { return o_.port_hopping; }
  PortPlan Ports(WallTime wall) const;

  DisguiseCounters counters() const;
  // "name value" lines, for logs and the daemon's stats file.
  std::string FormatCounters() const;

 private:
  struct HopPorts {
    int64_t epoch = INT64_MIN;
    uint16_t previous = 0, current = 0, next = 0;
  };
  struct PacerKey {  // the peer's address, and its port unless that hops
    bool v6 = false;
    std::array<uint8_t, 16> addr{};
    uint16_t port = 0;
    auto operator<=>(const PacerKey&) const = default;
  };
  struct PacerEntry {
    wg::Endpoint to;  // last destination given by the device
    bool hop = false;
    std::unique_ptr<Pacer> pacer;
  };
  struct DelayedDecoy {
    TimePoint due;
    wg::Endpoint to;
    bool hop;
    size_t size;
    bool operator>(const DelayedDecoy& o) const { return due > o.due; }
  };
  struct AtomicCounters;

  void EnsureSeeded(Output& out);
  void FlushPending(Output& out);
  HopPorts HopPortsAt(WallTime wall) const;
  // Where a datagram to `to` goes: with hopping, from the current hop port, and (`hop`)
  // to it; a fixed-port peer keeps its own port.
  void Route(const wg::Endpoint& to, bool hop, WallTime wall, wg::Endpoint& dest,
             uint16_t& from_port) const;
  size_t ChoosePrefix(RandomPool& rng) const;
  size_t ChoosePadding(size_t base, RandomPool& rng) const;
  SealSpec PlanReal(const wg::Endpoint& to, ByteSpan inner, WallTime wall, Output& out,
                    size_t& size);
  void WrapOne(const wg::Endpoint& to, ByteSpan inner, TimePoint now, WallTime wall, Output& out);
  SealSpec PlanChaff(size_t base, RandomPool& rng, size_t& size) const;
  Bytes SealChaff(size_t base, RandomPool& rng);
  void RecordSize(size_t size);
  size_t SampleSize(RandomPool& rng) const;
  void AddDecoys(const wg::Endpoint& to, bool hop, TimePoint now, WallTime wall, Output& out);
  void EmitChaff(const wg::Endpoint& to, bool hop, size_t base, WallTime wall, Output& out);
  void Shape(const wg::Endpoint& to, bool hop, Bytes sealed, TimePoint now);
  PacerEntry& PacerFor(const wg::Endpoint& to, bool hop, TimePoint now);
  bool AdmitMessage(const Opened& o, TimePoint now, WallTime wall);
  Unwrapped UnwrapStock(const wg::Endpoint& from, MutableByteSpan d, TimePoint now);

  const Options o_;
  const DisguiseKeys keys_;
  PeerPolicy policy_;
  std::unique_ptr<PortHopSchedule> hops_;  // null unless port_hopping

  mutable std::mutex rng_mu_;  // guards rng_ (seeding only)
  Rng& rng_;

  // Tells this Disguise's per-thread hop caches from an earlier one's at the same address.
  const uint64_t generation_ = NextGeneration();
  static uint64_t NextGeneration() {
    static std::atomic<uint64_t> n{0};
    return ++n;
  }

  // Recorded only with decoys or shaping (their only readers).
  alignas(64) std::atomic<uint64_t> size_index_{0};
  std::atomic<uint16_t> sizes_[kSizeHistory];

  mutable std::mutex sched_mu_;  // guards pacers_, delayed_, sched_pool_
  std::map<PacerKey, PacerEntry> pacers_;
  std::priority_queue<DelayedDecoy, std::vector<DelayedDecoy>, std::greater<>> delayed_;
  RandomPool sched_pool_;

  std::mutex replay_mu_;  // guards replay_
  ReplayFilter replay_;

  std::unique_ptr<AtomicCounters> c_;
};

}  // namespace dlog::obfs
