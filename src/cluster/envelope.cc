#include "cluster/envelope.h"

#include <algorithm>

namespace dlog::cluster {

static_assert(kMaxMeshFragments <= 64 && kMaxJoinAcceptFragments <= 64);
static_assert(kMaxChunkSize == 1192);

bool IsKnownType(uint8_t t) {
  return t >= uint8_t(MsgType::kJoinRequest) && t <= uint8_t(MsgType::kTokenDelta);
}

bool IsMeshType(MsgType t) { return t >= MsgType::kRosterDigest && t <= MsgType::kTokenDelta; }

size_t MaxFragments(MsgType type) {
  switch (type) {
    case MsgType::kJoinRequest:
      return kMaxJoinRequestFragments;
    case MsgType::kJoinAccept:
      return kMaxJoinAcceptFragments;
    default:
      return kMaxMeshFragments;
  }
}

std::vector<Bytes> MakeFragments(MsgType type, uint32_t msg_id, ByteSpan body) {
  const size_t count = std::max<size_t>(1, (body.size() + kMaxChunkSize - 1) / kMaxChunkSize);
  std::vector<Bytes> out;
  if (count > MaxFragments(type) || body.empty()) return out;
  for (size_t i = 0; i < count; ++i) {
    const ByteSpan chunk =
        body.subspan(i * kMaxChunkSize, std::min(kMaxChunkSize, body.size() - i * kMaxChunkSize));
    Bytes d(kEnvelopeHeaderSize);
    d[0] = uint8_t(type);
    d[1] = kWireVersion;
    d[2] = uint8_t(i);
    d[3] = uint8_t(count);
    StoreLE32(&d[4], msg_id);
    d.insert(d.end(), chunk.begin(), chunk.end());
    out.push_back(std::move(d));
  }
  return out;
}

std::optional<Fragment> ParseFragment(ByteSpan d) {
  if (d.size() <= kEnvelopeHeaderSize || d.size() > kMaxDatagramSize) return std::nullopt;
  if (!IsKnownType(d[0]) || d[1] != kWireVersion) return std::nullopt;
  Fragment f{MsgType(d[0]), d[2], d[3], LoadLE32(&d[4]), d.subspan(kEnvelopeHeaderSize)};
  if (f.count == 0 || f.count > MaxFragments(f.type) || f.index >= f.count) return std::nullopt;
  if (f.index + 1 < f.count && f.chunk.size() != kMaxChunkSize) return std::nullopt;
  return f;
}

bool Reassembler::Add(const std::string& source, const Fragment& f, TimePoint now, Bytes& body) {
  if (f.count == 1) {
    body.assign(f.chunk.begin(), f.chunk.end());
    return true;
  }
  auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) {
    return e.msg_id == f.msg_id && e.source == source;
  });
  if (it == entries_.end()) {
    const size_t mine = std::count_if(entries_.begin(), entries_.end(),
                                      [&](const Entry& e) { return e.source == source; });
    if (mine >= kMaxReassemblyPerSource) EvictOldest(&source);
    if (entries_.size() >= kMaxReassemblyTotal) EvictOldest(nullptr);
    entries_.push_back(Entry{source, f.msg_id, f.type, f.count, 0, 0,
                             Bytes(size_t(f.count) * kMaxChunkSize), now});
    it = entries_.end() - 1;
  }
  Entry& e = *it;
  if (e.type != f.type || e.count != f.count) return false;
  const uint64_t bit = uint64_t(1) << f.index;
  if (e.received_mask & bit) return false;
  e.received_mask |= bit;
  std::copy(f.chunk.begin(), f.chunk.end(), e.buf.begin() + size_t(f.index) * kMaxChunkSize);
  if (f.index + 1 == f.count) e.last_size = f.chunk.size();
  const uint64_t all = f.count == 64 ? ~uint64_t(0) : (uint64_t(1) << f.count) - 1;
  if (e.received_mask != all) return false;
  e.buf.resize(size_t(e.count - 1) * kMaxChunkSize + e.last_size);
  body = std::move(e.buf);
  entries_.erase(it);
  return true;
}

void Reassembler::EvictOldest(const std::string* source) {
  auto oldest = entries_.end();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (source && it->source != *source) continue;
    if (oldest == entries_.end() || it->first_seen < oldest->first_seen) oldest = it;
  }
  if (oldest != entries_.end()) {
    entries_.erase(oldest);
    ++evicted_;
  }
}

void Reassembler::Expire(TimePoint now) {
  std::erase_if(entries_, [&](const Entry& e) { return now - e.first_seen >= kReassemblyTimeout; });
}

TimePoint Reassembler::NextDeadline() const {
  TimePoint t = TimePoint::max();
  for (const auto& e : entries_) t = std::min(t, e.first_seen + kReassemblyTimeout);
  return t;
}

}  // namespace dlog::cluster
