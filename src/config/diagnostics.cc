#include "config/diagnostics.h"

#include <algorithm>
#include <tuple>

#include "config/loader.h"

namespace dlog::config {

std::string Where(const Source& s, Location at) {
  if (!s.positions || at.line == 0) return s.name;
  return s.name + ":" + std::to_string(at.line) + ":" + std::to_string(at.column);
}

void Diagnostics::Add(const Source& s, Location at, const std::string& path,
                      const std::string& what) {
  Push(s.layer, s.positions ? at : Location{},
       Where(s, at) + ": " + (path.empty() ? "" : path + ": ") + what);
}

void Diagnostics::AddRaw(int layer, std::string message) {
  Push(layer, {UINT32_MAX, 0}, std::move(message));
}

void Diagnostics::Push(int layer, Location order, std::string text) {
  if (errors_.size() >= kMaxKept) {
    ++dropped_;
    return;
  }
  errors_.push_back(Entry{layer, order, errors_.size(), std::move(text)});
}

std::string Diagnostics::Message() const {
  std::vector<Entry> sorted = errors_;
  std::sort(sorted.begin(), sorted.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.layer, a.at.line, a.at.column, a.seq) <
           std::tie(b.layer, b.at.line, b.at.column, b.seq);
  });
  std::string out;
  const size_t shown = std::min(sorted.size(), kMaxErrors);
  for (size_t i = 0; i < shown; ++i) out += (i ? "\n" : "") + sorted[i].text;
  if (const size_t more = sorted.size() - shown + dropped_; more > 0)
    out += "\n(" + std::to_string(more) + " more error" + (more > 1 ? "s" : "") + ")";
  return out;
}

}  // namespace dlog::config
