// libFuzzer target: the join-token text parser and base32.
//
// Invariants (a violation aborts): nothing crashes; a token that parses formats back to
// its canonical (lower-case, trimmed) text and parses again to the same fields; base32
// that decodes re-encodes to the same text, lower-cased.
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "cluster/base32.h"
#include "cluster/token.h"

using namespace dlog;
using namespace dlog::cluster;

namespace {
void Check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (auto t = ParseToken(text); t.ok()) {
    const std::string canon = FormatToken(*t);
    auto again = ParseToken(canon);
    Check(again.ok());
    Check(again->pin == t->pin && again->id == t->id && again->secret == t->secret);
    Check(FormatToken(*again) == canon);
  } else {
    Check(!t.error().empty());
  }
  if (auto b = FromBase32(text)) {
    std::string lower = text;
    for (char& c : lower) c = char(std::tolower(uint8_t(c)));
    Check(ToBase32(*b) == lower);
  }
  return 0;
}
