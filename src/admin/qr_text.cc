#include "admin/qr_text.h"

#include <qrencode.h>

#include <memory>
#include <string>

namespace dlog::admin {
namespace {

struct QrFree {
  void operator()(QRcode* q) const { QRcode_free(q); }
};

// Dark at (x, y) in the symbol framed by `quiet` light modules on every side.
bool DarkFramed(const QrMatrix& qr, int quiet, int x, int y) {
  x -= quiet;
  y -= quiet;
  return x >= 0 && y >= 0 && x < qr.width && y < qr.width && qr.at(x, y);
}

}  // namespace

Result<QrMatrix> EncodeQr(std::string_view text) {
  std::string s(text);  // QRcode_encodeData takes a length; no NUL needed, but owned bytes
  std::unique_ptr<QRcode, QrFree> code(QRcode_encodeData(
      int(s.size()), reinterpret_cast<const unsigned char*>(s.data()), 0, QR_ECLEVEL_M));
  if (!code) {
    return Status::Error("the text (" + std::to_string(s.size()) +
                         " bytes) does not fit in a QR code");
  }
  QrMatrix m;
  m.width = code->width;
  m.dark.resize(size_t(m.width) * size_t(m.width));
  // libqrencode: bit 0 of each byte is the module's colour (1 = dark).
  for (size_t i = 0; i < m.dark.size(); ++i) m.dark[i] = (code->data[i] & 1) != 0;
  return m;
}

std::string RenderQrText(const QrMatrix& qr, int quiet) {
  // Each character covers two module rows: upper and lower half. Light = block.
  static const char* const kGlyph[4] = {"\u2588", "\u2580", "\u2584", " "};
  const int size = qr.width + 2 * quiet;
  std::string out;
  for (int y = 0; y < size; y += 2) {
    for (int x = 0; x < size; ++x) {
      bool top = DarkFramed(qr, quiet, x, y);
      bool bottom = y + 1 < size ? DarkFramed(qr, quiet, x, y + 1) : false;
      out += kGlyph[(top ? 2 : 0) | (bottom ? 1 : 0)];
    }
    out += '\n';
  }
  return out;
}

std::string RenderQrPbm(const QrMatrix& qr, int scale, int quiet) {
  const int modules = qr.width + 2 * quiet;
  const int pixels = modules * scale;
  std::string out = "P1\n" + std::to_string(pixels) + " " + std::to_string(pixels) + "\n";
  for (int py = 0; py < pixels; ++py) {
    for (int px = 0; px < pixels; ++px) {
      out += DarkFramed(qr, quiet, px / scale, py / scale) ? '1' : '0';
    }
    out += '\n';
  }
  return out;
}

}  // namespace dlog::admin
