#include "pq/fragment.h"

#include <algorithm>

#include "base/secret.h"

namespace dlog::pq {

namespace {

std::string SourceKey(const wg::Endpoint& e) {
  Bytes b = e.CookieBytes();
  std::string s(b.begin(), b.end());
  s.append(reinterpret_cast<const char*>(&e.scope_id), sizeof e.scope_id);
  return s;
}

bool KnownType(uint8_t t) {
  return t >= uint8_t(MsgType::kInitHello) && t <= uint8_t(MsgType::kEmptyData);
}

}  // namespace

Label MacKeyFor(const Labels& labels, ByteSpan spk) { return HashChain(labels.mac, {spk}); }

std::vector<Bytes> MakeFragments(MsgType type, uint32_t msg_id, ByteSpan body,
                                 const Label& mac_key) {
  const size_t count = FragmentCount(body.size());
  std::vector<Bytes> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    ByteSpan chunk =
        body.subspan(i * kMaxChunkSize, std::min(kMaxChunkSize, body.size() - i * kMaxChunkSize));
    Bytes d(kFragmentHeaderSize + chunk.size() + kFragmentTrailerSize, 0);
    d[0] = uint8_t(type);
    d[1] = kWireVersion;
    d[2] = uint8_t(i);
    d[3] = uint8_t(count);
    StoreLE32(&d[4], msg_id);
    std::copy(chunk.begin(), chunk.end(), d.begin() + kFragmentHeaderSize);
    const size_t mac_at = d.size() - kFragmentTrailerSize;
    uint8_t mac[32];
    KeyedHash(mac, mac_key, {d.data(), mac_at});
    std::copy(mac, mac + kMacSize, d.begin() + mac_at);
    out.push_back(std::move(d));
  }
  return out;
}

void SetCookie(MutableByteSpan d, const Labels& labels, const std::optional<CookieValue>& cookie) {
  uint8_t* field = d.data() + d.size() - kCookieSize;
  if (!cookie) {
    std::fill(field, field + kCookieSize, 0);
    return;
  }
  Label key = HashChain(labels.cookie, {*cookie});
  uint8_t c[32];
  KeyedHash(c, key, {d.data(), d.size() - kCookieSize});
  std::copy(c, c + kCookieSize, field);
}

std::optional<Fragment> ParseFragment(ByteSpan d, Algorithm a) {
  if (d.size() <= kFragmentHeaderSize + kFragmentTrailerSize || d.size() > kMaxDatagramSize)
    return std::nullopt;
  if (!KnownType(d[0]) || d[1] != kWireVersion) return std::nullopt;
  Fragment f{MsgType(d[0]), d[2], d[3], LoadLE32(&d[4]),
             d.subspan(kFragmentHeaderSize, d.size() - kFragmentHeaderSize - kFragmentTrailerSize)};
  const size_t size = MessageSize(f.type, a);
  if (f.count != FragmentCount(size) || f.index >= f.count) return std::nullopt;
  const size_t want = f.index + 1 < f.count ? kMaxChunkSize : size - f.index * kMaxChunkSize;
  if (f.chunk.size() != want) return std::nullopt;
  return f;
}

bool VerifyMac(ByteSpan d, const Label& mac_key) {
  uint8_t mac[32];
  KeyedHash(mac, mac_key, d.first(d.size() - kFragmentTrailerSize));
  return ConstantTimeEqual(mac, MacOf(d).data(), kMacSize);
}

bool VerifyCookie(ByteSpan d, const Labels& labels, const CookieValue& cookie) {
  Label key = HashChain(labels.cookie, {cookie});
  uint8_t c[32];
  KeyedHash(c, key, d.first(d.size() - kCookieSize));
  return ConstantTimeEqual(c, d.data() + d.size() - kCookieSize, kCookieSize);
}

// --- Reassembler -----------------------------------------------------------------------

Reassembler::Entry* Reassembler::Find(const std::string& source, uint32_t msg_id) {
  for (Entry& e : entries_)
    if (e.msg_id == msg_id && e.source == source) return &e;
  return nullptr;
}

void Reassembler::EvictOldest(const std::string* source) {
  auto oldest = entries_.end();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (source && it->source != *source) continue;
    if (oldest == entries_.end() || it->first_seen < oldest->first_seen) oldest = it;
  }
  if (oldest == entries_.end()) return;
  entries_.erase(oldest);
  ++stats_.evicted;
}

Reassembler::Entry& Reassembler::Insert(const std::string& source, const Fragment& f,
                                        TimePoint now) {
  size_t from_source = 0;
  for (const Entry& e : entries_) from_source += e.source == source;
  if (from_source >= kMaxReassemblyPerSource) EvictOldest(&source);
  if (entries_.size() >= kMaxReassemblyTotal) EvictOldest(nullptr);
  Entry e{source, f.msg_id, f.type, f.count, 0, 0, Bytes(size_t(f.count) * kMaxChunkSize), now};
  entries_.push_back(std::move(e));
  return entries_.back();
}

Reassembler::Outcome Reassembler::Add(const wg::Endpoint& from, const Fragment& f, TimePoint now,
                                      Bytes& body) {
  if (f.count == 1) {
    body.assign(f.chunk.begin(), f.chunk.end());
    return Outcome::kComplete;
  }
  const std::string source = SourceKey(from);
  Entry* e = Find(source, f.msg_id);
  if (e && (e->type != f.type || e->count != f.count)) return Outcome::kConflict;
  if (!e) e = &Insert(source, f, now);
  const uint8_t bit = uint8_t(1u << f.index);
  if (e->received_mask & bit) return Outcome::kDuplicate;
  e->received_mask |= bit;
  std::copy(f.chunk.begin(), f.chunk.end(), e->buf.begin() + f.index * kMaxChunkSize);
  if (f.index + 1 == f.count) e->size = f.index * kMaxChunkSize + f.chunk.size();
  if (e->received_mask != (1u << f.count) - 1) return Outcome::kIncomplete;
  e->buf.resize(e->size);
  body = std::move(e->buf);
  entries_.erase(entries_.begin() + (e - entries_.data()));
  return Outcome::kComplete;
}

void Reassembler::Expire(TimePoint now) {
  const size_t before = entries_.size();
  std::erase_if(entries_, [&](const Entry& e) { return now - e.first_seen >= kReassemblyTimeout; });
  stats_.expired += before - entries_.size();
}

TimePoint Reassembler::NextDeadline() const {
  TimePoint t = TimePoint::max();
  for (const Entry& e : entries_) t = std::min(t, e.first_seen + kReassemblyTimeout);
  return t;
}

}  // namespace dlog::pq
