// Hex and base64 (standard alphabet, with padding, as `wg` prints keys).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"

namespace dlog {

std::string ToHex(ByteSpan bytes);
std::optional<Bytes> FromHex(std::string_view hex);
std::string ToBase64(ByteSpan bytes);
std::optional<Bytes> FromBase64(std::string_view b64);

}  // namespace dlog
