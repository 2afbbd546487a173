// docs/CONFIG.md documents every key: its reference part is generated from the schema and
// must match it. UPDATE_CONFIG_DOCS=1 rewrites that part instead of comparing:
//   UPDATE_CONFIG_DOCS=1 build/tests/config_tests --gtest_filter='ReferenceTest.*'
#include "config/reference.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "config/schema.h"

namespace dlog::config {
namespace {

const std::filesystem::path kDoc =
    std::filesystem::path(DLOG_TESTDATA_DIR) / ".." / ".." / "docs" / "CONFIG.md";

std::string ReadDoc() {
  std::ifstream in(kDoc);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ReferenceTest, DocsConfigMdIsUpToDate) {
  const std::string doc = ReadDoc();
  ASSERT_NE(doc.find(kReferenceBegin), std::string::npos) << kDoc;
  ASSERT_NE(doc.find(kReferenceEnd), std::string::npos) << kDoc;
  const std::string updated = UpdateReference(doc);
  const char* update = std::getenv("UPDATE_CONFIG_DOCS");
  if (update && std::string(update) == "1") {
    std::ofstream(kDoc) << updated;
    return;
  }
  EXPECT_EQ(doc, updated) << "docs/CONFIG.md is stale; regenerate it with UPDATE_CONFIG_DOCS=1 "
                             "config_tests --gtest_filter='ReferenceTest.*'";
}

TEST(ReferenceTest, EveryKeyAndVariableIsDocumented) {
  const std::string doc = ReadDoc();
  for (const Key& k : Schema()) {
    EXPECT_FALSE(k.meaning.empty()) << k.path;
    EXPECT_FALSE(k.expected.empty()) << k.path;
    EXPECT_NE(doc.find("`" + EnvName(k.path) + "`"), std::string::npos) << k.path;
    for (const std::string& a : k.aliases) EXPECT_NE(doc.find("`" + a + "`"), std::string::npos);
  }
  for (const PeerKey& k : PeerSchema())
    EXPECT_NE(doc.find("| `" + k.path + "` |"), std::string::npos) << k.path;
}

TEST(ReferenceTest, VariableNamesAreUniqueAndNotForeign) {
  std::set<std::string> names;
  for (const Key& k : Schema()) {
    EXPECT_TRUE(names.insert(EnvName(k.path)).second) << k.path;
    for (const std::string& a : k.aliases) EXPECT_TRUE(names.insert(a).second) << a;
  }
  EXPECT_EQ(names.count("DLOG_CONFIG"), 0u);
  for (const std::string& n : names) EXPECT_FALSE(n.starts_with("DLOG_WG_")) << n;
}

TEST(ReferenceTest, RendersARowPerKey) {
  const std::string ref = RenderReference();
  EXPECT_NE(ref.find("### [network.wireguard]"), std::string::npos);
  EXPECT_NE(ref.find("| `listen_port` | port | `51820` | `DLOG_NETWORK_WIREGUARD_LISTEN_PORT` |"),
            std::string::npos)
      << ref;
  EXPECT_NE(ref.find("`DLOG_NETWORK_WIREGUARD_ENABLED`, `WIREGUARD_ENABLED`"), std::string::npos);
  size_t rows = 0;
  for (size_t p = ref.find("\n| `"); p != std::string::npos; p = ref.find("\n| `", p + 1)) ++rows;
  EXPECT_EQ(rows + (ref.starts_with("| `") ? 1 : 0), Schema().size() - 1 + PeerSchema().size());
}

TEST(ReferenceTest, UpdateReplacesOnlyBetweenTheMarkers) {
  const std::string doc = "intro\n" + std::string(kReferenceBegin) + "\nSTALE-TEXT\n" +
                          std::string(kReferenceEnd) + "\noutro\n";
  const std::string updated = UpdateReference(doc);
  EXPECT_TRUE(updated.starts_with("intro\n" + std::string(kReferenceBegin) + "\n\n### [node]"));
  EXPECT_TRUE(updated.ends_with(std::string(kReferenceEnd) + "\noutro\n"));
  EXPECT_EQ(updated.find("STALE-TEXT"), std::string::npos);
  EXPECT_EQ(UpdateReference("no markers"), "no markers");
}

}  // namespace
}  // namespace dlog::config
