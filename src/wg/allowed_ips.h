// AllowedIps: cryptokey routing table. Longest-prefix match over IPv4 and IPv6 from an
// address to a peer, as WireGuard's allowed-IPs (a path-compressed multibit trie per family).
//
// Not thread-safe: readers and writers are serialised by the owner (the device takes a
// shared lock for lookups and an exclusive one for changes).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace dlog::wg {

using PeerId = uint32_t;  // the device's handle for a peer

struct IpPrefix {
  bool v6 = false;
  std::array<uint8_t, 16> addr{};  // network byte order; IPv4 in the first 4 bytes
  uint8_t bits = 0;                // 0..32 or 0..128
  // "10.0.0.0/24", "fd00::/64"; host bits are cleared on Parse.
  static std::optional<IpPrefix> Parse(const std::string& s);
  std::string ToString() const;
  friend bool operator==(const IpPrefix&, const IpPrefix&) = default;
};

class AllowedIps {
 public:
  AllowedIps();
  ~AllowedIps();
  AllowedIps(const AllowedIps&) = delete;
  AllowedIps& operator=(const AllowedIps&) = delete;

  // Inserts or re-points `prefix` (host bits cleared) to `peer`.
  void Insert(const IpPrefix& prefix, PeerId peer);
  // Removes `prefix` only if it currently maps to `peer`; returns whether it did.
  bool Remove(const IpPrefix& prefix, PeerId peer);
  void RemovePeer(PeerId peer);
  void Clear();
  // Longest-prefix match of a single address (4 or 16 bytes, network order).
  std::optional<PeerId> Lookup(bool v6, const uint8_t* addr) const;
  // The prefixes of one peer in insertion order, as `wg show` lists them (the kernel and
  // wireguard-go keep a per-peer list; re-inserting a prefix moves it to the end).
  std::vector<IpPrefix> PrefixesOf(PeerId peer) const;
  size_t size() const;
  // Trie nodes, prefixes and branch points together; at most 2 * size(). For tests and
  // memory accounting.
  size_t NodeCount() const;

 private:
  struct Node;
  void Unlist(PeerId peer, const IpPrefix& canonical);
  std::unique_ptr<Node> root4_, root6_;
  size_t size_ = 0;
  // Each peer's prefixes (host bits cleared) in insertion order, for PrefixesOf.
  std::unordered_map<PeerId, std::vector<IpPrefix>> listed_;
};

}  // namespace dlog::wg
