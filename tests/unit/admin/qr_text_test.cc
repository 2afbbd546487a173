#include "admin/qr_text.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

namespace dlog::admin {
namespace {

// Reads the half-block text back into modules (inverse of RenderQrText's mapping).
std::vector<std::vector<bool>> ParseText(const std::string& text) {
  std::vector<std::vector<bool>> rows;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    std::string line = text.substr(pos, end - pos);
    std::vector<bool> top, bottom;
    for (size_t i = 0; i < line.size();) {
      if (line[i] == ' ') {
        top.push_back(true), bottom.push_back(true), i += 1;
        continue;
      }
      std::string g = line.substr(i, 3);
      i += 3;
      top.push_back(g == "\u2584");     // lower half block: top dark
      bottom.push_back(g == "\u2580");  // upper half block: bottom dark
      EXPECT_TRUE(g == "\u2588" || g == "\u2580" || g == "\u2584") << "glyph at " << i;
    }
    rows.push_back(top);
    rows.push_back(bottom);
    pos = end + 1;
  }
  return rows;
}

TEST(QrTextTest, HalfBlocksReproduceEveryModule) {
  auto qr = EncodeQr("[Interface]\nPrivateKey = x\n");
  ASSERT_TRUE(qr.ok()) << qr.status().message();
  const int quiet = 4, size = qr->width + 2 * quiet;
  auto rows = ParseText(RenderQrText(*qr, quiet));
  ASSERT_GE(int(rows.size()), size);
  for (int y = 0; y < size; ++y) {
    ASSERT_EQ(int(rows[y].size()), size) << "row " << y;
    for (int x = 0; x < size; ++x) {
      bool inside = x >= quiet && y >= quiet && x < quiet + qr->width && y < quiet + qr->width;
      bool dark = inside && qr->at(x - quiet, y - quiet);
      EXPECT_EQ(rows[y][x], dark) << "module " << x << "," << y;
    }
  }
}

TEST(QrTextTest, TooLongTextIsAnError) {
  auto qr = EncodeQr(std::string(8000, 'a'));
  ASSERT_FALSE(qr.ok());
  EXPECT_NE(qr.status().message().find("does not fit"), std::string::npos);
}

// An independent decoder (zbarimg, Debian's zbar-tools) reads back what we encoded.
TEST(QrTextTest, ZbarDecodesTheSymbol) {
  ASSERT_EQ(system("command -v zbarimg >/dev/null 2>&1"), 0)
      << "zbarimg missing: scripts/setup.sh installs zbar-tools";
  const std::string text =
      "[Interface]\nPrivateKey = aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd28=\n"
      "Address = 10.0.0.7/32\n\n[Peer]\nPublicKey = d29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGU=\n"
      "Endpoint = 192.168.1.10:51820\nAllowedIPs = 10.0.0.1/32\nPersistentKeepalive = 25\n";
  auto qr = EncodeQr(text);
  ASSERT_TRUE(qr.ok());
  char path[] = "/tmp/dlog-qr-XXXXXX.pbm";
  int fd = mkstemps(path, 4);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << RenderQrPbm(*qr, 4, 4);
  std::string cmd = std::string("zbarimg --quiet --raw -Sbinary ") + path + " 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  ASSERT_TRUE(p);
  std::string out;
  std::array<char, 512> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p.get())) > 0) out.append(buf.data(), n);
  unlink(path);
  EXPECT_EQ(out, text);
}

}  // namespace
}  // namespace dlog::admin
