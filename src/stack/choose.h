// Which stack a node runs: `[network] stack = "auto" | "tun" | "userspace"`.
// auto picks tun where the process may create a TUN device (CAP_NET_ADMIN in its user
// namespace and /dev/net/tun opens read-write), else userspace. The client library
// always runs userspace.
#pragma once

#include <optional>
#include <string_view>

#include "base/result.h"

namespace dlog::stack {

enum class StackMode { kAuto, kTun, kUserspace };
enum class StackKind { kTun, kUserspace };

std::optional<StackMode> ParseStackMode(std::string_view s);  // "auto", "tun", "userspace"
std::string_view StackKindName(StackKind kind);               // "tun", "userspace"

// Pure decision: tun when asked for, userspace when asked for, and for auto tun iff
// can_tun. Asking for tun without can_tun is an error a user can act on.
Result<StackKind> ChooseStack(StackMode mode, bool can_tun);

// Probes this process: CAP_NET_ADMIN effective and /dev/net/tun openable.
bool CanUseTun();

}  // namespace dlog::stack
