#include "stack/choose.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace dlog::stack {
namespace {

TEST(ChooseStack, AutoFollowsTheCapability) {
  EXPECT_EQ(*ChooseStack(StackMode::kAuto, true), StackKind::kTun);
  EXPECT_EQ(*ChooseStack(StackMode::kAuto, false), StackKind::kUserspace);
}

TEST(ChooseStack, ExplicitModes) {
  EXPECT_EQ(*ChooseStack(StackMode::kUserspace, true), StackKind::kUserspace);
  EXPECT_EQ(*ChooseStack(StackMode::kUserspace, false), StackKind::kUserspace);
  EXPECT_EQ(*ChooseStack(StackMode::kTun, true), StackKind::kTun);
  auto denied = ChooseStack(StackMode::kTun, false);
  ASSERT_FALSE(denied.ok());
  EXPECT_NE(denied.error().find("CAP_NET_ADMIN"), std::string::npos);
}

TEST(ChooseStack, ParsesModeNames) {
  EXPECT_EQ(ParseStackMode("auto"), StackMode::kAuto);
  EXPECT_EQ(ParseStackMode("tun"), StackMode::kTun);
  EXPECT_EQ(ParseStackMode("userspace"), StackMode::kUserspace);
  EXPECT_FALSE(ParseStackMode("kernel"));
  EXPECT_EQ(StackKindName(StackKind::kTun), "tun");
  EXPECT_EQ(StackKindName(StackKind::kUserspace), "userspace");
}

TEST(ChooseStack, ProbeAgreesWithTheProcess) {
  // As root with /dev/net/tun the probe says yes; unprivileged it must say no.
  bool can = CanUseTun();
  if (geteuid() != 0) EXPECT_FALSE(can);
  if (geteuid() == 0 && access("/dev/net/tun", R_OK | W_OK) == 0) EXPECT_TRUE(can);
}

}  // namespace
}  // namespace dlog::stack
