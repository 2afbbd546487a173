// Cryptokey routing table as a path-compressed binary trie per address family, the
// shape of the kernel's allowedips.c.
//
// Invariants (checked by the naive-oracle test):
//  - a node stands for the prefix key/bits; its children extend it, child[b] having
//    bit `bits` of its key equal to b, so every node's prefix contains its subtree's;
//  - a node without a peer (a branch point) has exactly two children; a node with a
//    peer has any number; hence a trie holding n prefixes has fewer than 2n nodes;
//  - keys are stored with host bits cleared; IPv4 keys use the top 32 bits of w[0].
#include "wg/allowed_ips.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cassert>
#include <string_view>

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

uint64_t WordMask(int bits) {
  return bits <= 0 ? 0 : bits >= 64 ? ~uint64_t{0} : ~(~uint64_t{0} >> bits);
}

Key MaskOf(int bits) { return Key{{WordMask(bits), WordMask(bits - 64)}}; }

Key Masked(const Key& k, int bits) {
  const Key m = MaskOf(bits);
  return Key{{k.w[0] & m.w[0], k.w[1] & m.w[1]}};
}

// Bit i (0 = most significant) of k; i < 128.
int BitAt(const Key& k, int i) { return int(k.w[i / 64] >> (63 - i % 64)) & 1; }

// Length of the longest common prefix of a and b, at most 128.
int CommonBits(const Key& a, const Key& b) {
  if (const uint64_t x = a.w[0] ^ b.w[0]) return __builtin_clzll(x);
  if (const uint64_t x = a.w[1] ^ b.w[1]) return 64 + __builtin_clzll(x);
  return 128;
}

}  // namespace

struct AllowedIps::Node {
  Node(const Key& k, int b) : key(k), mask(MaskOf(b)), bits(uint8_t(b)) {
    // The word and shift of the bit that picks a child; a full-length prefix has no
    // children, so any in-range bit serves.
    const int next = b < 128 ? b : 127;
    child_word = uint8_t(next / 64);
    child_shift = uint8_t(63 - next % 64);
  }
  bool Contains(const Key& k) const {
    return (((k.w[0] ^ key.w[0]) & mask.w[0]) | ((k.w[1] ^ key.w[1]) & mask.w[1])) == 0;
  }
  int ChildIndex(const Key& k) const { return int(k.w[child_word] >> child_shift) & 1; }

  using Ptr = std::unique_ptr<Node>;
  // Restores the branch-point invariant at `slot` after its node lost its peer or a
  // child: a peerless node with fewer than two children is replaced by its only child
  // (or by nothing). Returns whether the slot is now empty.
  static bool Collapse(Ptr& slot);
  // Removes every prefix of `peer` below `slot`; returns how many.
  static size_t RemoveAllOf(Ptr& slot, PeerId peer);
  // Pre-order, child[0] first: address order, a prefix before the longer ones in it.
  static void CollectOf(const Node* n, bool v6, PeerId peer, std::vector<IpPrefix>& out);
  IpPrefix ToPrefix(bool v6) const;
  static size_t Count(const Node* n) {
    return n ? 1 + Count(n->child[0].get()) + Count(n->child[1].get()) : 0;
  }

  Key key;
  Key mask;
  uint8_t bits;
  uint8_t child_word;
  uint8_t child_shift;
  bool has_peer = false;
  PeerId peer = 0;
  std::unique_ptr<Node> child[2];
};

bool AllowedIps::Node::Collapse(Ptr& slot) {
  Node* n = slot.get();
  if (n->has_peer || (n->child[0] && n->child[1])) return false;
  Ptr only = std::move(n->child[n->child[0] ? 0 : 1]);
  slot = std::move(only);
  return slot == nullptr;
}

size_t AllowedIps::Node::RemoveAllOf(Ptr& slot, PeerId peer) {
  if (!slot) return 0;
  size_t removed = RemoveAllOf(slot->child[0], peer) + RemoveAllOf(slot->child[1], peer);
  if (slot->has_peer && slot->peer == peer) {
    slot->has_peer = false;
    ++removed;
  }
  Collapse(slot);
  return removed;
}

void AllowedIps::Node::CollectOf(const Node* n, bool v6, PeerId peer, std::vector<IpPrefix>& out) {
  if (!n) return;
  if (n->has_peer && n->peer == peer) out.push_back(n->ToPrefix(v6));
  CollectOf(n->child[0].get(), v6, peer, out);
  CollectOf(n->child[1].get(), v6, peer, out);
}

IpPrefix AllowedIps::Node::ToPrefix(bool v6) const {
  IpPrefix p;
  p.v6 = v6;
  p.bits = bits;
  if (v6) {
    StoreBE64(p.addr.data(), key.w[0]);
    StoreBE64(p.addr.data() + 8, key.w[1]);
  } else {
    StoreBE32(p.addr.data(), uint32_t(key.w[0] >> 32));
  }
  return p;
}

AllowedIps::AllowedIps() = default;
AllowedIps::~AllowedIps() = default;

void AllowedIps::Insert(const IpPrefix& prefix, PeerId peer) {
  const int bits = prefix.bits;
  assert(bits <= MaxBits(prefix.v6));
  const Key key = Masked(KeyOf(prefix.v6, prefix.addr.data()), bits);
  Node::Ptr* slot = prefix.v6 ? &root6_ : &root4_;
  while (*slot) {
    Node* n = slot->get();
    const int common = std::min({CommonBits(n->key, key), int(n->bits), bits});
    if (common == n->bits && common == bits) {  // the same prefix: (re)point it
      size_ += !n->has_peer;
      n->has_peer = true;
      n->peer = peer;
      return;
    }
    if (common == n->bits) {  // n contains the new prefix: descend
      slot = &n->child[BitAt(key, n->bits)];
      continue;
    }
    // The new prefix or a new branch point at `common` goes above n.
    auto above = std::make_unique<Node>(Masked(key, common), common);
    above->child[BitAt(n->key, common)] = std::move(*slot);
    if (common == bits) {
      above->has_peer = true;
      above->peer = peer;
    } else {
      auto leaf = std::make_unique<Node>(key, bits);
      leaf->has_peer = true;
      leaf->peer = peer;
      above->child[BitAt(key, common)] = std::move(leaf);
    }
    *slot = std::move(above);
    ++size_;
    return;
  }
  *slot = std::make_unique<Node>(key, bits);
  (*slot)->has_peer = true;
  (*slot)->peer = peer;
  ++size_;
}

bool AllowedIps::Remove(const IpPrefix& prefix, PeerId peer) {
  const int bits = prefix.bits;
  if (bits > MaxBits(prefix.v6)) return false;
  const Key key = Masked(KeyOf(prefix.v6, prefix.addr.data()), bits);
  Node::Ptr* parent = nullptr;
  Node::Ptr* slot = prefix.v6 ? &root6_ : &root4_;
  while (*slot && (*slot)->bits < bits && (*slot)->Contains(key)) {
    parent = slot;
    slot = &(*slot)->child[(*slot)->ChildIndex(key)];
  }
  Node* n = slot->get();
  if (!n || n->bits != bits || !n->Contains(key) || !n->has_peer || n->peer != peer) {
    return false;
  }
  n->has_peer = false;
  --size_;
  if (Node::Collapse(*slot) && parent) Node::Collapse(*parent);
  return true;
}

void AllowedIps::RemovePeer(PeerId peer) {
  size_ -= Node::RemoveAllOf(root4_, peer);
  size_ -= Node::RemoveAllOf(root6_, peer);
}

void AllowedIps::Clear() {
  root4_.reset();
  root6_.reset();
  size_ = 0;
}

std::optional<PeerId> AllowedIps::Lookup(bool v6, const uint8_t* addr) const {
  const Key key = KeyOf(v6, addr);
  const Node* best = nullptr;
  for (const Node* n = (v6 ? root6_ : root4_).get(); n && n->Contains(key);
       n = n->child[n->ChildIndex(key)].get()) {
    if (n->has_peer) best = n;
  }
  if (!best) return std::nullopt;
  return best->peer;
}

std::vector<IpPrefix> AllowedIps::PrefixesOf(PeerId peer) const {
  std::vector<IpPrefix> out;
  Node::CollectOf(root4_.get(), false, peer, out);
  Node::CollectOf(root6_.get(), true, peer, out);
  return out;
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
