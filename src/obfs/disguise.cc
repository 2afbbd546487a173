#include "obfs/disguise.h"

#include <sodium.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "pq/messages.h"

namespace dlog::obfs {
namespace {

// Counter names, in the order of DisguiseCounters: those the sending threads bump, then
// those the receiving threads bump (kept on separate cache lines).
// clang-format off
#define DLOG_OBFS_TX_COUNTERS(X) \
  X(sealed) \
  X(stock_sent) \
  X(decoys_sent) \
  X(cover_sent) \
  X(padding_bytes) \
  X(oversize) \
  X(shaping_dropped) \
  X(decoys_dropped) \
  X(wire_bytes)
// clang-format on
// clang-format off
#define DLOG_OBFS_RX_COUNTERS(X) \
  X(opened) \
  X(stock_received) \
  X(chaff_received) \
  X(drop_short) \
  X(drop_prefix) \
  X(drop_header) \
  X(drop_tag) \
  X(drop_stale) \
  X(drop_replay) \
  X(drop_stock)
// clang-format on

// Stock WireGuard (types 1–4, zero reserved bytes, their sizes) or a PQ exchange datagram.
// A transport message is 16 bytes of header, the plaintext padded to a multiple of 16 but
// never past the tunnel MTU, and a 16-byte tag: at an MTU that is not a multiple of 16
// (1420, 1380) a full-size packet makes a message of any size, so only the minimum holds.
bool IsStockForm(ByteSpan d) {
  if (pq::IsPqDatagram(d)) return true;
  if (d.size() < 32 || d[1] != 0 || d[2] != 0 || d[3] != 0) return false;
  switch (d[0]) {
    case 1:
      return d.size() == 148;
    case 2:
      return d.size() == 92;
    case 3:
      return d.size() == 64;
    case 4:
      return true;  // ≥ 32: header and tag (a keepalive)
    default:
      return false;
  }
}

uint32_t UnixSeconds(WallTime wall) { return uint32_t(uint64_t(wall.unix_nanos / 1'000'000'000)); }

}  // namespace

struct Disguise::AtomicCounters {
#define DLOG_OBFS_FIELD(name) std::atomic<uint64_t> name{0};
  struct alignas(64) Tx {
    DLOG_OBFS_TX_COUNTERS(DLOG_OBFS_FIELD)
  } tx;
  struct alignas(64) Rx {
    DLOG_OBFS_RX_COUNTERS(DLOG_OBFS_FIELD)
  } rx;
#undef DLOG_OBFS_FIELD
};

#define BUMP_TX(name, n) c_->tx.name.fetch_add((n), std::memory_order_relaxed)
#define BUMP_RX(name, n) c_->rx.name.fetch_add((n), std::memory_order_relaxed)

MutableByteSpan Output::Add(const wg::Endpoint& to, uint16_t from_port, size_t size) {
  if (count_ == slots_.size()) slots_.emplace_back();
  Slot& s = slots_[count_++];
  if (s.buf.size() < size) s.buf.resize(size);
  s.to = to;
  s.from_port = from_port;
  s.size = size;
  return {s.buf.data(), size};
}

Disguise::Disguise(const ClusterSecret& secret, const Options& options, Rng& rng)
    : o_(options),
      keys_(DeriveKeys(secret)),
      policy_(options.stock_peers, options.stock_roaming),
      rng_(rng),
      replay_(kReplayFilterCapacity, 2 * Duration(kMessageTimeWindow)),
      c_(std::make_unique<AtomicCounters>()) {
  if (sodium_init() < 0) std::abort();
  if (o_.port_hopping)
    hops_ = std::make_unique<PortHopSchedule>(keys_.hop, o_.port_min, o_.port_max, o_.hop_interval);
  for (auto& s : sizes_) s.store(0, std::memory_order_relaxed);
  sched_pool_.Seed(rng_);
}

Disguise::~Disguise() = default;

void Disguise::EnsureSeeded(Output& out) {
  if (out.pool_.seeded()) return;
  std::lock_guard lock(rng_mu_);
  out.pool_.Seed(rng_);
}

// --- routing and sizes -----------------------------------------------------------------

// Per thread, so the data path takes no lock: a thread recomputes (a few BLAKE2s) at most
// once per epoch and Disguise.
Disguise::HopPorts Disguise::HopPortsAt(WallTime wall) const {
  struct Cache {
    const Disguise* owner = nullptr;
    uint64_t generation = 0;
    HopPorts ports;
  };
  thread_local Cache cache;
  const int64_t e = hops_->EpochAt(wall);
  if (cache.owner != this || cache.generation != generation_ || cache.ports.epoch != e) {
    cache = {this, generation_, {e, hops_->PortOf(e - 1), hops_->PortOf(e), hops_->PortOf(e + 1)}};
  }
  return cache.ports;
}

void Disguise::Route(const wg::Endpoint& to, bool hop, WallTime wall, wg::Endpoint& dest,
                     uint16_t& from_port) const {
  dest = to;
  from_port = 0;
  if (!hops_) return;
  from_port = HopPortsAt(wall).current;
  if (hop) dest.port = from_port;
}

size_t Disguise::ChoosePrefix(RandomPool& rng) const {
  return kMinPrefix + rng.Uniform(kMaxPrefix - kMinPrefix + 1);
}

// Uniform in [padding_min, padding_max], narrowed so the datagram stays within
// max_datagram (never below what fits).
size_t Disguise::ChoosePadding(size_t base, RandomPool& rng) const {
  if (!o_.random_padding) return 0;
  const size_t room = o_.max_datagram > base ? o_.max_datagram - base : 0;
  const size_t hi = std::min<size_t>(o_.padding_max, room);
  const size_t lo = std::min<size_t>(o_.padding_min, hi);
  return lo + rng.Uniform(uint32_t(hi - lo + 1));
}

void Disguise::RecordSize(size_t size) {
  const uint64_t i = size_index_.fetch_add(1, std::memory_order_relaxed);
  sizes_[i % kSizeHistory].store(uint16_t(std::min<size_t>(size, 0xffff)),
                                 std::memory_order_relaxed);
}

size_t Disguise::SampleSize(RandomPool& rng) const {
  const uint64_t n = std::min<uint64_t>(size_index_.load(std::memory_order_relaxed), kSizeHistory);
  if (n == 0) return kMinDatagram + 32;
  const size_t s = sizes_[rng.Uniform(uint32_t(n))].load(std::memory_order_relaxed);
  return std::max(s, kMinDatagram);
}

// --- sealing -----------------------------------------------------------------------------

SealSpec Disguise::PlanReal(const wg::Endpoint& to, ByteSpan inner, WallTime wall, Output& out,
                            size_t& size) {
  SealSpec s;
  s.kind = KindOf(inner);
  s.time_s = UnixSeconds(wall);
  Output::Run& run = out.run_;
  const bool joins = run.valid && run.kind == Kind::kTransport && s.kind == Kind::kTransport &&
                     inner.size() <= run.inner && run.to == to && run.length < kMaxRun;
  if (joins) {
    s.prefix_len = run.prefix;
    s.padding = run.padding;
    ++run.length;
    run.valid = inner.size() == run.inner;  // a shorter datagram ends the run
  } else {
    s.prefix_len = ChoosePrefix(out.pool_);
    s.padding = ChoosePadding(SealedSize(s.kind, inner.size(), s.prefix_len, 0), out.pool_);
    run = {s.kind == Kind::kTransport, s.kind, to, inner.size(), s.prefix_len, s.padding, 1};
  }
  const size_t base = SealedSize(s.kind, inner.size(), s.prefix_len, 0);
  if (base > o_.max_datagram) BUMP_TX(oversize, 1);
  size = base + s.padding;
  if (o_.decoy_traffic || o_.traffic_shaping) RecordSize(base);
  return s;
}

// Chaff the size of a real datagram of `base` bytes before padding, padded afresh.
SealSpec Disguise::PlanChaff(size_t base, RandomPool& rng, size_t& size) const {
  SealSpec s;
  s.kind = Kind::kChaff;
  s.prefix_len = ChoosePrefix(rng);
  const size_t overhead = SealedSize(Kind::kChaff, 0, s.prefix_len, 0);
  s.chaff_len = std::min(base > overhead ? base - overhead : 0, kMaxInner);
  s.padding = ChoosePadding(SealedSize(Kind::kChaff, s.chaff_len, s.prefix_len, 0), rng);
  size = SealedSize(Kind::kChaff, s.chaff_len, s.prefix_len, s.padding);
  return s;
}

Bytes Disguise::SealChaff(size_t base, RandomPool& rng) {
  size_t size = 0;
  const SealSpec spec = PlanChaff(base, rng, size);
  Bytes b(size);
  Seal(keys_, spec, {}, rng, b);
  return b;
}

void Disguise::EmitChaff(const wg::Endpoint& to, bool hop, size_t base, WallTime wall,
                         Output& out) {
  size_t size = 0;
  // Consecutive decoys to one peer drawn from the same size share a wire size (one GSO
  // send), like a run of real datagrams.
  Output::Run& run = out.run_;
  SealSpec spec;
  if (run.valid && run.kind == Kind::kChaff && run.to == to && run.inner == base &&
      run.length < kMaxRun) {
    spec.kind = Kind::kChaff;
    spec.prefix_len = run.prefix;
    spec.padding = run.padding;
    const size_t overhead = SealedSize(Kind::kChaff, 0, spec.prefix_len, 0);
    spec.chaff_len = std::min(base > overhead ? base - overhead : 0, kMaxInner);
    size = SealedSize(Kind::kChaff, spec.chaff_len, spec.prefix_len, spec.padding);
    ++run.length;
  } else {
    spec = PlanChaff(base, out.pool_, size);
    run = {true, Kind::kChaff, to, base, spec.prefix_len, spec.padding, 1};
  }
  wg::Endpoint dest;
  uint16_t from_port;
  Route(to, hop, wall, dest, from_port);
  Seal(keys_, spec, {}, out.pool_, out.Add(dest, from_port, size));
  BUMP_TX(decoys_sent, 1);
  out.pending_.wire += size;
}

// --- sending -------------------------------------------------------------------------------

void Disguise::Wrap(const wg::Endpoint& to, ByteSpan inner, TimePoint now, WallTime wall,
                    Output& out) {
  EnsureSeeded(out);
  out.run_.valid = false;
  WrapOne(to, inner, now, wall, out);
  out.run_.valid = false;
  FlushPending(out);
}

void Disguise::WrapAll(const wg::Output& device_out, TimePoint now, WallTime wall, Output& out) {
  EnsureSeeded(out);
  out.run_.valid = false;
  for (size_t i = 0; i < device_out.datagram_count(); ++i)
    WrapOne(device_out.datagram_endpoint(i), device_out.datagram(i), now, wall, out);
  out.run_.valid = false;
  FlushPending(out);
}

void Disguise::FlushPending(Output& out) {
  Output::Pending& p = out.pending_;
  if (p.sealed) BUMP_TX(sealed, p.sealed);
  if (p.padding) BUMP_TX(padding_bytes, p.padding);
  if (p.wire) BUMP_TX(wire_bytes, p.wire);
  p = {};
}

void Disguise::WrapOne(const wg::Endpoint& to, ByteSpan inner, TimePoint now, WallTime wall,
                       Output& out) {
  const PeerMode mode = policy_.ModeOf(to, now);
  if (mode == PeerMode::kStock) {
    MutableByteSpan dst = out.Add(to, 0, inner.size());
    if (!inner.empty()) std::memcpy(dst.data(), inner.data(), inner.size());
    BUMP_TX(stock_sent, 1);
    out.pending_.wire += inner.size();
    return;
  }
  if (inner.size() > kMaxInner - kMaxOverheadMessage) {  // cannot be framed: never from wg/pq
    BUMP_TX(oversize, 1);
    return;
  }
  const bool hop = hops_ && mode == PeerMode::kDisguised;
  size_t size = 0;
  const SealSpec spec = PlanReal(to, inner, wall, out, size);
  ++out.pending_.sealed;
  out.pending_.padding += spec.padding;
  if (o_.traffic_shaping) {
    Bytes sealed(size);
    Seal(keys_, spec, inner, out.pool_, sealed);
    Shape(to, hop, std::move(sealed), now);
  } else {
    wg::Endpoint dest;
    uint16_t from_port;
    Route(to, hop, wall, dest, from_port);
    Seal(keys_, spec, inner, out.pool_, out.Add(dest, from_port, size));
    out.pending_.wire += size;
  }
  if (o_.decoy_traffic) AddDecoys(to, hop, now, wall, out);
}

void Disguise::AddDecoys(const wg::Endpoint& to, bool hop, TimePoint now, WallTime wall,
                         Output& out) {
  const double whole = std::floor(o_.decoy_ratio);
  int count = int(whole) + (out.pool_.UnitInterval() < o_.decoy_ratio - whole ? 1 : 0);
  for (; count > 0; --count) {
    const size_t size = SampleSize(out.pool_);
    if (o_.traffic_shaping) {
      Bytes chaff = SealChaff(size, out.pool_);
      std::lock_guard lock(sched_mu_);
      if (PacerFor(to, hop, now).pacer->Push(std::move(chaff), now)) {
        BUMP_TX(decoys_sent, 1);
      } else {
        BUMP_TX(decoys_dropped, 1);
      }
    } else if (o_.decoy_max_delay > Duration::zero()) {
      const auto delay =
          Duration(int64_t(out.pool_.UnitInterval() * double(o_.decoy_max_delay.count())));
      std::lock_guard lock(sched_mu_);
      if (delayed_.size() < kMaxDelayedDecoys) {
        delayed_.push({now + delay, to, hop, size});
      } else {
        BUMP_TX(decoys_dropped, 1);
      }
    } else {
      EmitChaff(to, hop, size, wall, out);
    }
  }
}

Disguise::PacerEntry& Disguise::PacerFor(const wg::Endpoint& to, bool hop, TimePoint now) {
  const PacerKey key{to.v6, to.addr, uint16_t(hop ? 0 : to.port)};
  auto it = pacers_.find(key);
  if (it == pacers_.end()) {
    if (pacers_.size() >= kMaxPacers) {
      auto victim = std::find_if(pacers_.begin(), pacers_.end(),
                                 [&](const auto& e) { return !e.second.pacer->active(now); });
      pacers_.erase(victim != pacers_.end() ? victim : pacers_.begin());
    }
    Pacer::Options po;
    po.rate_bps = o_.target_rate_bps;
    const double queue_s = std::chrono::duration<double>(kShapingQueueTime).count();
    po.max_queue_bytes =
        std::max(kMinShapingQueueBytes, size_t(double(o_.target_rate_bps) / 8 * queue_s));
    po.idle = o_.shaping_idle;
    po.max_lag = kMaxPacerLag;
    it = pacers_.emplace(key, PacerEntry{to, hop, std::make_unique<Pacer>(po)}).first;
  }
  it->second.to = to;
  it->second.hop = hop;
  return it->second;
}

void Disguise::Shape(const wg::Endpoint& to, bool hop, Bytes sealed, TimePoint now) {
  std::lock_guard lock(sched_mu_);
  if (!PacerFor(to, hop, now).pacer->Push(std::move(sealed), now)) BUMP_TX(shaping_dropped, 1);
}

// --- timers --------------------------------------------------------------------------------

bool Disguise::needs_ticks() const {
  return o_.traffic_shaping || (o_.decoy_traffic && o_.decoy_max_delay > Duration::zero());
}

void Disguise::Tick(TimePoint now, WallTime wall, Output& out) {
  EnsureSeeded(out);
  out.run_.valid = false;
  std::lock_guard lock(sched_mu_);
  while (!delayed_.empty() && delayed_.top().due <= now) {
    const DelayedDecoy d = delayed_.top();
    delayed_.pop();
    EmitChaff(d.to, d.hop, d.size, wall, out);
  }
  for (auto it = pacers_.begin(); it != pacers_.end();) {
    PacerEntry& e = it->second;
    e.pacer->Release(
        now, [&] { return SealChaff(SampleSize(sched_pool_), sched_pool_); },
        [&](Bytes&& b, bool cover) {
          wg::Endpoint dest;
          uint16_t from_port;
          Route(e.to, e.hop, wall, dest, from_port);
          MutableByteSpan dst = out.Add(dest, from_port, b.size());
          std::memcpy(dst.data(), b.data(), b.size());
          if (cover) BUMP_TX(cover_sent, 1);
          out.pending_.wire += b.size();
        });
    if (e.pacer->NextDeadline() == TimePoint::max() && !e.pacer->active(now)) {
      it = pacers_.erase(it);
    } else {
      ++it;
    }
  }
  FlushPending(out);
}

TimePoint Disguise::NextDeadline() const {
  std::lock_guard lock(sched_mu_);
  TimePoint next = delayed_.empty() ? TimePoint::max() : delayed_.top().due;
  for (const auto& [key, e] : pacers_) next = std::min(next, e.pacer->NextDeadline());
  return next;
}

// --- receiving -----------------------------------------------------------------------------

Disguise::Unwrapped Disguise::UnwrapStock(const wg::Endpoint& from, MutableByteSpan d,
                                          TimePoint now) {
  if (!IsStockForm(d)) {
    BUMP_RX(drop_prefix, 1);
    return {};
  }
  if (!policy_.AcceptsStockFrom(from)) {
    BUMP_RX(drop_stock, 1);
    return {};
  }
  policy_.HeardStock(from, now);
  BUMP_RX(stock_received, 1);
  return {true, d};
}

bool Disguise::AdmitMessage(const Opened& o, TimePoint now, WallTime wall) {
  const int32_t skew = int32_t(UnixSeconds(wall) - o.time_s);
  if (std::abs(int64_t(skew)) > kMessageTimeWindow.count()) {
    BUMP_RX(drop_stale, 1);
    return false;
  }
  std::lock_guard lock(replay_mu_);
  if (!replay_.Admit(LoadLE64(o.tag.data()), now)) {
    BUMP_RX(drop_replay, 1);
    return false;
  }
  return true;
}

Disguise::Unwrapped Disguise::Unwrap(const wg::Endpoint& from, MutableByteSpan d, TimePoint now,
                                     WallTime wall) {
  // A sealed datagram starts with printable bytes, a stock one never does.
  if (!d.empty() && !IsPrintable(d[0])) return UnwrapStock(from, d, now);
  const Opened o = Open(keys_, d);
  switch (o.error) {
    case OpenError::kNone:
      break;
    case OpenError::kShort:
      BUMP_RX(drop_short, 1);
      return {};
    case OpenError::kPrefix:
      BUMP_RX(drop_prefix, 1);
      return {};
    case OpenError::kHeader:
      BUMP_RX(drop_header, 1);
      return {};
    case OpenError::kTag:
      BUMP_RX(drop_tag, 1);
      return {};
  }
  bool from_hop_port = true;
  if (hops_) {
    const HopPorts h = HopPortsAt(wall);
    from_hop_port = from.port == h.current || from.port == h.previous || from.port == h.next;
  }
  policy_.HeardDisguised(from, from_hop_port, now);
  if (o.kind == Kind::kChaff) {
    BUMP_RX(chaff_received, 1);
    return {};
  }
  if (o.kind == Kind::kMessage && !AdmitMessage(o, now, wall)) return {};
  BUMP_RX(opened, 1);
  return {true, o.inner};
}

// --- introspection -------------------------------------------------------------------------

PortPlan Disguise::Ports(WallTime wall) const { return hops_ ? hops_->PlanAt(wall) : PortPlan{}; }

DisguiseCounters Disguise::counters() const {
  DisguiseCounters c;
#define DLOG_OBFS_LOAD_TX(name) c.name = c_->tx.name.load(std::memory_order_relaxed);
#define DLOG_OBFS_LOAD_RX(name) c.name = c_->rx.name.load(std::memory_order_relaxed);
  DLOG_OBFS_TX_COUNTERS(DLOG_OBFS_LOAD_TX)
  DLOG_OBFS_RX_COUNTERS(DLOG_OBFS_LOAD_RX)
#undef DLOG_OBFS_LOAD_TX
#undef DLOG_OBFS_LOAD_RX
  return c;
}

std::string Disguise::FormatCounters() const {
  const DisguiseCounters c = counters();
  std::string s;
#define DLOG_OBFS_FORMAT(name) s += #name " " + std::to_string(c.name) + "\n";
  DLOG_OBFS_TX_COUNTERS(DLOG_OBFS_FORMAT)
  DLOG_OBFS_RX_COUNTERS(DLOG_OBFS_FORMAT)
#undef DLOG_OBFS_FORMAT
  return s;
}

}  // namespace dlog::obfs
