// Cryptokey routing table: per address family, a path-compressed multibit trie of
// stride 4 whose nodes keep their prefixes in a bitmap (the tree-bitmap idea), so a
// lookup visits one node per nibble level that actually branches, about five at 10k
// prefixes, instead of one per bit as in the kernel's binary allowedips.c.
//
// A node at depth d (a multiple of 4) stands for the d-bit key `key` and holds:
//  - the prefixes of length d+1 .. d+4 that start with key, plus /0 when d == 0, as
//    31 slots: slot (1 << l) - 1 + v is the prefix of length d + l whose bits d ..
//    d+l-1 are v (l = 0..4); longer prefixes have higher slots;
//  - up to 16 children, child[v] holding deeper keys whose nibble at d is v; a child
//    may skip nibble levels (path compression), its own key telling its depth.
// So every prefix has one home node: depth 0 for /0, 4 * ((len - 1) / 4) otherwise.
// Invariant: every node holds a prefix or has two children, hence nodes <= 2 * size().
#include "wg/allowed_ips.h"

#include <arpa/inet.h>

#include <algorithm>
#include <bit>
#include <cassert>
#include <string_view>
#include <tuple>
#include <utility>

#include "base/bytes.h"

namespace dlog::wg {
namespace {

// A 128-bit address as two host-order words, most significant first.
struct Key {
  uint64_t w[2] = {0, 0};
};

int MaxBits(bool v6) { return v6 ? 128 : 32; }

Key KeyOf(bool v6, const uint8_t* addr) {
  if (!v6) return Key{{uint64_t{LoadBE32(addr)} << 32, 0}};
  return Key{{LoadBE64(addr), LoadBE64(addr + 8)}};
}

std::array<uint8_t, 16> AddrOf(const Key& k, bool v6) {
  std::array<uint8_t, 16> a{};
  if (v6) {
    StoreBE64(a.data(), k.w[0]);
    StoreBE64(a.data() + 8, k.w[1]);
  } else {
    StoreBE32(a.data(), uint32_t(k.w[0] >> 32));
  }
  return a;
}

uint64_t WordMask(int bits) {
  return bits <= 0 ? 0 : bits >= 64 ? ~uint64_t{0} : ~(~uint64_t{0} >> bits);
}

Key MaskOf(int bits) { return Key{{WordMask(bits), WordMask(bits - 64)}}; }

Key Masked(const Key& k, int bits) {
  const Key m = MaskOf(bits);
  return Key{{k.w[0] & m.w[0], k.w[1] & m.w[1]}};
}

// Bits [at, at + n) of k as an integer; n <= 4 and the bits lie in one word, which
// holds for any nibble-aligned `at`.
unsigned BitsAt(const Key& k, int at, int n) {
  if (n == 0) return 0;
  return unsigned(k.w[at / 64] >> (64 - at % 64 - n)) & ((1u << n) - 1);
}

// Length of the longest common prefix of a and b, at most 128.
int CommonBits(const Key& a, const Key& b) {
  if (const uint64_t x = a.w[0] ^ b.w[0]) return std::countl_zero(x);
  if (const uint64_t x = a.w[1] ^ b.w[1]) return 64 + std::countl_zero(x);
  return 128;
}

constexpr int kStride = 4;
constexpr int kFanout = 1 << kStride;

int HomeDepth(int bits) { return bits == 0 ? 0 : (bits - 1) / kStride * kStride; }

constexpr int Slot(int l, unsigned v) { return (1 << l) - 1 + int(v); }

// The slots that may hold a match for an address whose nibble at the node is v.
constexpr std::array<uint32_t, kFanout> kCover = [] {
  std::array<uint32_t, kFanout> cover{};
  for (unsigned v = 0; v < kFanout; ++v) {
    for (int l = 0; l <= kStride; ++l) cover[v] |= 1u << Slot(l, v >> (kStride - l));
  }
  return cover;
}();

}  // namespace

struct AllowedIps::Node {
  using Ptr = std::unique_ptr<Node>;

  Node(const Key& k, int d) : key(k), mask(MaskOf(d)), depth(uint8_t(d)) {
    word = uint8_t(d / 64);
    shift = uint8_t(64 - d % 64 - kStride);
  }
  bool Contains(const Key& k) const {
    return (((k.w[0] ^ key.w[0]) & mask.w[0]) | ((k.w[1] ^ key.w[1]) & mask.w[1])) == 0;
  }
  unsigned Nibble(const Key& k) const { return unsigned(k.w[word] >> shift) & (kFanout - 1); }
  size_t PeerIndex(int slot) const { return std::popcount(prefixes & ((1u << slot) - 1)); }
  PeerId PeerAt(int slot) const { return peers[PeerIndex(slot)]; }
  bool Has(int slot) const { return prefixes >> slot & 1; }
  int ChildCount() const {
    return int(std::count_if(std::begin(child), std::end(child), [](auto& c) { return !!c; }));
  }

  // Sets slot to peer; returns the peer it held before, if any.
  std::optional<PeerId> Set(int slot, PeerId peer);
  void Unset(int slot);
  IpPrefix PrefixAt(int slot, bool v6) const;

  // Restores the invariant at `slot` after its node lost a prefix or a child: a node
  // with no prefix and fewer than two children is replaced by its only child (or by
  // nothing). Returns whether the slot is now empty.
  static bool Collapse(Ptr& slot);
  // Removes every prefix of `peer` below `slot`; returns how many.
  static size_t RemoveAllOf(Ptr& slot, PeerId peer);
  static size_t Count(const Node* n);

  Key key;   // the first `depth` bits; the rest zero
  Key mask;  // `depth` leading ones
  uint8_t depth;
  uint8_t word, shift;        // where the nibble at `depth` sits in a Key
  uint32_t prefixes = 0;      // bit s: slot s holds a prefix
  std::vector<PeerId> peers;  // one per set bit of `prefixes`, in slot order
  Ptr child[kFanout];
};

std::optional<PeerId> AllowedIps::Node::Set(int slot, PeerId peer) {
  const size_t i = PeerIndex(slot);
  if (Has(slot)) return std::exchange(peers[i], peer);
  peers.insert(peers.begin() + i, peer);
  prefixes |= 1u << slot;
  return std::nullopt;
}

void AllowedIps::Node::Unset(int slot) {
  peers.erase(peers.begin() + PeerIndex(slot));
  prefixes &= ~(1u << slot);
}

IpPrefix AllowedIps::Node::PrefixAt(int slot, bool v6) const {
  const int l = std::bit_width(unsigned(slot) + 1) - 1;
  const uint64_t v = uint64_t(slot + 1 - (1 << l));
  Key k = key;
  if (l > 0) k.w[depth / 64] |= v << (64 - depth % 64 - l);
  IpPrefix p;
  p.v6 = v6;
  p.bits = uint8_t(depth + l);
  if (v6) {
    StoreBE64(p.addr.data(), k.w[0]);
    StoreBE64(p.addr.data() + 8, k.w[1]);
  } else {
    StoreBE32(p.addr.data(), uint32_t(k.w[0] >> 32));
  }
  return p;
}

bool AllowedIps::Node::Collapse(Ptr& slot) {
  Node* n = slot.get();
  if (n->prefixes != 0 || n->ChildCount() >= 2) return false;
  auto only = std::find_if(std::begin(n->child), std::end(n->child), [](auto& c) { return !!c; });
  Ptr next = only == std::end(n->child) ? nullptr : std::move(*only);
  slot = std::move(next);
  return slot == nullptr;
}

size_t AllowedIps::Node::RemoveAllOf(Ptr& slot, PeerId peer) {
  if (!slot) return 0;
  size_t removed = 0;
  for (Ptr& c : slot->child) removed += RemoveAllOf(c, peer);
  for (int s = 0; s < 32; ++s) {
    if (slot->Has(s) && slot->PeerAt(s) == peer) {
      slot->Unset(s);
      ++removed;
    }
  }
  Collapse(slot);
  return removed;
}

size_t AllowedIps::Node::Count(const Node* n) {
  if (!n) return 0;
  size_t count = 1;
  for (const Ptr& c : n->child) count += Count(c.get());
  return count;
}

AllowedIps::AllowedIps() = default;
AllowedIps::~AllowedIps() = default;

void AllowedIps::Insert(const IpPrefix& prefix, PeerId peer) {
  const int bits = prefix.bits;
  assert(bits <= MaxBits(prefix.v6));
  const Key key = Masked(KeyOf(prefix.v6, prefix.addr.data()), bits);
  const int home = HomeDepth(bits);
  const Key home_key = Masked(key, home);
  Node::Ptr* slot = prefix.v6 ? &root6_ : &root4_;
  while (*slot) {
    Node* n = slot->get();
    const int common = std::min({CommonBits(n->key, home_key), int(n->depth), home});
    if (common == n->depth && common == home) break;  // the home node exists
    if (common == n->depth) {                         // n's key starts home_key
      slot = &n->child[n->Nibble(home_key)];
      continue;
    }
    // home_key leaves n's path above n: in n's place goes the home node, or a branch
    // node at the nibble where the two keys part, with n below it.
    const int at = common == home ? home : common / kStride * kStride;
    auto above = std::make_unique<Node>(Masked(home_key, at), at);
    above->child[above->Nibble(n->key)] = std::move(*slot);
    *slot = std::move(above);
    if (at != home) slot = &(*slot)->child[(*slot)->Nibble(home_key)];  // empty
    break;
  }
  if (!*slot) *slot = std::make_unique<Node>(home_key, home);
  const int l = bits - home;
  const std::optional<PeerId> before = (*slot)->Set(Slot(l, BitsAt(key, home, l)), peer);
  IpPrefix canonical = prefix;
  canonical.addr = AddrOf(key, prefix.v6);
  if (before) {
    Unlist(*before, canonical);
  } else {
    ++size_;
  }
  listed_[peer].push_back(canonical);
}

void AllowedIps::Unlist(PeerId peer, const IpPrefix& canonical) {
  auto it = listed_.find(peer);
  if (it == listed_.end()) return;
  std::erase(it->second, canonical);
  if (it->second.empty()) listed_.erase(it);
}

bool AllowedIps::Remove(const IpPrefix& prefix, PeerId peer) {
  const int bits = prefix.bits;
  if (bits > MaxBits(prefix.v6)) return false;
  const Key key = Masked(KeyOf(prefix.v6, prefix.addr.data()), bits);
  const int home = HomeDepth(bits);
  Node::Ptr* parent = nullptr;
  Node::Ptr* slot = prefix.v6 ? &root6_ : &root4_;
  while (*slot && (*slot)->depth < home && (*slot)->Contains(key)) {
    parent = slot;
    slot = &(*slot)->child[(*slot)->Nibble(key)];
  }
  Node* n = slot->get();
  if (!n || n->depth != home || !n->Contains(key)) return false;
  const int l = bits - home;
  const int s = Slot(l, BitsAt(key, home, l));
  if (!n->Has(s) || n->PeerAt(s) != peer) return false;
  n->Unset(s);
  --size_;
  IpPrefix canonical = prefix;
  canonical.addr = AddrOf(key, prefix.v6);
  Unlist(peer, canonical);
  if (Node::Collapse(*slot) && parent) Node::Collapse(*parent);
  return true;
}

void AllowedIps::RemovePeer(PeerId peer) {
  size_ -= Node::RemoveAllOf(root4_, peer);
  size_ -= Node::RemoveAllOf(root6_, peer);
  listed_.erase(peer);
}

void AllowedIps::Clear() {
  root4_.reset();
  root6_.reset();
  size_ = 0;
  listed_.clear();
}

std::optional<PeerId> AllowedIps::Lookup(bool v6, const uint8_t* addr) const {
  const Key key = KeyOf(v6, addr);
  const Node* best = nullptr;
  int best_slot = 0;
  for (const Node* n = (v6 ? root6_ : root4_).get(); n && n->Contains(key);) {
    const unsigned v = n->Nibble(key);
    if (const uint32_t match = n->prefixes & kCover[v]) {
      best = n;
      best_slot = std::bit_width(match) - 1;
    }
    n = n->child[v].get();
  }
  if (!best) return std::nullopt;
  return best->PeerAt(best_slot);
}

std::vector<IpPrefix> AllowedIps::PrefixesOf(PeerId peer) const {
  auto it = listed_.find(peer);
  return it == listed_.end() ? std::vector<IpPrefix>{} : it->second;
}

size_t AllowedIps::size() const { return size_; }

size_t AllowedIps::NodeCount() const {
  return Node::Count(root4_.get()) + Node::Count(root6_.get());
}

// --- IpPrefix ---------------------------------------------------------------------

namespace {

// A prefix length: decimal digits without a leading zero (except "0"), at most `max`.
std::optional<int> ParseBits(std::string_view s, int max) {
  if (s.empty() || s.size() > 3 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v > max) return std::nullopt;
  return v;
}

}  // namespace

std::optional<IpPrefix> IpPrefix::Parse(const std::string& s) {
  if (s.find('\0') != std::string::npos) return std::nullopt;
  const size_t slash = s.find('/');
  const std::string addr = s.substr(0, slash);
  if (addr.empty() || addr.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  IpPrefix p;
  p.v6 = addr.find(':') != std::string::npos;
  if (inet_pton(p.v6 ? AF_INET6 : AF_INET, addr.c_str(), p.addr.data()) != 1) {
    return std::nullopt;
  }
  const int max = MaxBits(p.v6);
  std::optional<int> bits = max;  // a bare address is a host prefix, as in wg(8)
  if (slash != std::string::npos) bits = ParseBits(std::string_view(s).substr(slash + 1), max);
  if (!bits) return std::nullopt;
  p.bits = uint8_t(*bits);
  for (int i = 0; i < 16; ++i) {
    const int keep = std::clamp(p.bits - 8 * i, 0, 8);
    p.addr[i] &= uint8_t(0xff00 >> keep);
  }
  return p;
}

std::string IpPrefix::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, addr.data(), buf, sizeof buf);
  return std::string(buf) + "/" + std::to_string(bits);
}

}  // namespace dlog::wg
