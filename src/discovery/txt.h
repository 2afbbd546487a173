// DNS-SD TXT attributes (RFC 6763 §6): each character-string is "key=value", "key"
// (a boolean attribute) or "key=" (empty value). Keys are printable ASCII without '=',
// 1..9 bytes recommended, compared case-insensitively; the first occurrence wins.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"

namespace dlog::discovery {

// Ordered as given; what a Responder announces.
using TxtPairs = std::vector<std::pair<std::string, std::string>>;
// Keys lower-cased; what a Browser reports.
using TxtMap = std::map<std::string, std::string>;

// DLog's keys (docs/DISCOVERY.md).
inline constexpr const char* kTxtVersion = "v";        // "1"
inline constexpr const char* kTxtCluster = "cluster";  // cluster pin
inline constexpr const char* kTxtKey = "key";          // node's WireGuard public key, base64

// "k=v" strings; fails on an empty key, a key with '=' or non-printable bytes, or a
// pair longer than 255 bytes.
Result<std::vector<std::string>> EncodeTxt(const TxtPairs& pairs);
// Invalid strings (empty key, leading '=') are skipped, as RFC 6763 §6.4 says.
TxtMap DecodeTxt(const std::vector<std::string>& strings);
// "k=v" → {"k","v"}; fails without '=' or with an empty key (command-line use).
Result<std::pair<std::string, std::string>> ParseTxtArgument(const std::string& arg);

}  // namespace dlog::discovery
