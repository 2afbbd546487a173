// The table of bad files: tests/data/config/bad/<case>.toml, each with the exact message
// LoadConfig must give in <case>.err ("{file}" standing for the file's path). Every message
// names the file, the line and column, the key and the expected form.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/loader.h"

namespace dlog::config {
namespace {

namespace fs = std::filesystem;

const fs::path kBadDir = fs::path(DLOG_TESTDATA_DIR) / "config" / "bad";

std::string ReadText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Expected(const fs::path& toml) {
  fs::path err = toml;
  err.replace_extension(".err");
  std::string text = ReadText(err);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  for (size_t p; (p = text.find("{file}")) != std::string::npos;) text.replace(p, 6, toml.string());
  return text;
}

std::vector<fs::path> BadFiles() {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(kBadDir))
    if (e.path().extension() == ".toml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

TEST(BadFilesTest, TheTableHasEnoughCasesEachWithItsMessage) {
  const std::vector<fs::path> files = BadFiles();
  EXPECT_GE(files.size(), 25u);
  for (const fs::path& f : files) {
    fs::path err = f;
    err.replace_extension(".err");
    EXPECT_TRUE(fs::exists(err)) << err;
  }
}

TEST(BadFilesTest, EachFileStopsStartUpWithItsExactMessage) {
  for (const fs::path& f : BadFiles()) {
    SCOPED_TRACE(f.filename().string());
    Result<Config> c = LoadConfig(f.string());
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error(), Expected(f));
    // Every line names this file (with a line number), as the issue asks.
    std::istringstream lines(c.error());
    for (std::string line; std::getline(lines, line);)
      EXPECT_TRUE(line.starts_with(f.string() + ":")) << line;
  }
}

TEST(BadFilesTest, TheMessagesCarryLineKeyAndExpectedForm) {
  Result<Config> c = LoadConfig((kBadDir / "duration_too_short.toml").string());
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().find("duration_too_short.toml:2:18: "), std::string::npos);
  EXPECT_NE(c.error().find("network.wireguard.rekey_interval"), std::string::npos);
  EXPECT_NE(c.error().find("expected a duration like \"2m\", \"90s\" or \"1h30m\""),
            std::string::npos);
}

TEST(BadFilesTest, ASecretIsNeverEchoed) {
  Result<Config> c = LoadConfig((kBadDir / "join_token_with_spaces.toml").string());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().find("secret"), std::string::npos) << c.error();
}

TEST(BadFilesTest, AMissingFileIsAnErrorNamingIt) {
  Result<Config> c = LoadConfig("/nonexistent/dlog.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error(), "/nonexistent/dlog.toml: cannot open: No such file or directory");
}

TEST(BadFilesTest, ADirectoryIsAnErrorNamingIt) {
  Result<Config> c = LoadConfig(kBadDir.string());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error(), kBadDir.string() + ": cannot read: Is a directory");
}

TEST(BadFilesTest, ErrorsAreBoundedAndCounted) {
  std::string text = "[network]\n";
  for (int i = 0; i < 30; ++i) text += "unknown_" + std::to_string(i) + " = 1\n";
  Result<Config> c = LoadConfigText(text, "many.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(std::count(c.error().begin(), c.error().end(), '\n'), long(kMaxErrors));
  EXPECT_TRUE(c.error().ends_with("\n(10 more errors)")) << c.error();
  EXPECT_TRUE(c.error().starts_with("many.toml:2:1: network.unknown_0: unknown key")) << c.error();
}

TEST(BadFilesTest, AFileTooLargeIsRefused) {
  const std::string text(2 << 20, '#');
  Result<Config> c = LoadConfigText(text, "big.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error(), "big.toml: larger than 1 MiB; not a configuration file?");
}

}  // namespace
}  // namespace dlog::config
