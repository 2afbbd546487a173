// DnsName: a domain name as a list of labels (RFC 1035 §3.1). Labels are raw bytes:
// a DNS-SD instance label may hold dots, spaces and UTF-8 (RFC 6763 §4.3), so the
// name is never kept as one dotted string. Comparison is ASCII case-insensitive
// (RFC 1035 §2.3.3, RFC 6762 §16).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace dlog::discovery {

inline constexpr size_t kMaxLabelBytes = 63;  // RFC 1035 §2.3.4
inline constexpr size_t kMaxNameBytes = 255;  // wire form, length octets included

class DnsName {
 public:
  DnsName() = default;  // the root
  explicit DnsName(std::vector<std::string> labels) : labels_(std::move(labels)) {}
  // "_dlog._udp.local" → {"_dlog", "_udp", "local"}. A trailing dot is allowed. A
  // backslash escapes the next character ("a\.b.local" has the label "a.b").
  static Result<DnsName> Parse(std::string_view dotted);

  const std::vector<std::string>& labels() const { return labels_; }
  bool empty() const { return labels_.empty(); }
  // Wire length: sum of (1 + label length) + 1 for the root.
  size_t WireLength() const;
  // Every label 1..63 bytes and WireLength() <= 255.
  Status Validate() const;

  // {label} + this.
  DnsName Prepend(std::string label) const;
  // This name without its first `n` labels.
  DnsName Suffix(size_t n) const;
  // True if this name ends with `parent` (or equals it).
  bool EndsWith(const DnsName& parent) const;

  // Dotted form with '.' and '\' inside labels escaped; the root is ".".
  std::string ToString() const;
  // Lower-cased dotted form; a key for maps.
  std::string Key() const;

  friend bool operator==(const DnsName& a, const DnsName& b);

 private:
  std::vector<std::string> labels_;
};

bool LabelEquals(std::string_view a, std::string_view b);  // ASCII case-insensitive

}  // namespace dlog::discovery
