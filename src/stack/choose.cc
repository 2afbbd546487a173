#include "stack/choose.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace dlog::stack {

std::optional<StackMode> ParseStackMode(std::string_view s) {
  if (s == "auto") return StackMode::kAuto;
  if (s == "tun") return StackMode::kTun;
  if (s == "userspace") return StackMode::kUserspace;
  return {};
}

std::string_view StackKindName(StackKind kind) {
  return kind == StackKind::kTun ? "tun" : "userspace";
}

Result<StackKind> ChooseStack(StackMode mode, bool can_tun) {
  switch (mode) {
    case StackMode::kUserspace:
      return StackKind::kUserspace;
    case StackMode::kTun:
      if (!can_tun)
        return Status::Error(
            "stack = \"tun\" needs CAP_NET_ADMIN and a usable /dev/net/tun; run as root, "
            "grant the capability, or set stack = \"userspace\" (or \"auto\")");
      return StackKind::kTun;
    case StackMode::kAuto:
      return can_tun ? StackKind::kTun : StackKind::kUserspace;
  }
  return Status::Error("unknown stack mode");
}

bool CanUseTun() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &header, data) != 0) return false;
  if (!(data[CAP_NET_ADMIN / 32].effective & (1u << (CAP_NET_ADMIN % 32)))) return false;
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  close(fd);
  return true;
}

}  // namespace dlog::stack
