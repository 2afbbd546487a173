// Base32 (RFC 4648 §6 alphabet, lower case, no padding): pins and join tokens, typed by
// people and case-insensitive on input.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"

namespace dlog::cluster {

std::string ToBase32(ByteSpan bytes);
// Accepts upper or lower case; refuses padding, other characters and non-canonical
// trailing bits (so every byte string has exactly one text form).
std::optional<Bytes> FromBase32(std::string_view text);

}  // namespace dlog::cluster
