// QR codes for terminals: a text (a wg-quick configuration) as a QR symbol drawn with
// Unicode half blocks, two module rows per text line, dark modules as the terminal's
// foreground colour inverted (so the symbol reads on dark and light terminals alike),
// with the 4-module quiet zone ISO/IEC 18004 asks for. Encoding is libqrencode's.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace dlog::admin {

// The symbol's modules, row by row; true = dark. Error correction level M.
struct QrMatrix {
  int width = 0;
  std::vector<bool> dark;  // width * width
  bool at(int x, int y) const { return dark[size_t(y) * size_t(width) + size_t(x)]; }
};

// An error when the text does not fit in a QR symbol (more than ~2.3 kB at level M).
Result<QrMatrix> EncodeQr(std::string_view text);

// Half-block rendering with a quiet zone of `quiet` modules: light modules are drawn
// as full blocks and dark ones as spaces, as most terminal QR renderers do, so a
// scanner sees dark-on-light on a dark-background terminal.
std::string RenderQrText(const QrMatrix& qr, int quiet = 4);

// Portable bitmap (PBM P1) of the symbol, `scale` pixels per module, with the quiet
// zone: for tests and for saving the code to a file.
std::string RenderQrPbm(const QrMatrix& qr, int scale = 4, int quiet = 4);

}  // namespace dlog::admin
