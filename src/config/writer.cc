#include "config/writer.h"

#include "config/schema.h"

namespace dlog::config {
namespace {

std::string TableOf(const std::string& path) { return path.substr(0, path.rfind('.')); }

std::string Leaf(const std::string& path) { return path.substr(path.rfind('.') + 1); }

void WritePeers(const Config& c, bool redact, std::string& out) {
  for (const ReplicationPeer& p : c.replication.peers) {
    out += "\n[[replication.peers]]\n";
    for (const PeerKey& k : PeerSchema())
      if (std::optional<std::string> v = k.get(p))
        out += k.path + " = " + (redact && k.secret ? "\"<redacted>\"" : *v) + "\n";
  }
}

}  // namespace

std::string ToToml(const Config& c, bool redact_secrets) {
  std::string out, table;
  for (const Key& k : Schema()) {
    if (k.kind == Kind::kPeers) continue;
    if (TableOf(k.path) != table) {
      table = TableOf(k.path);
      out += (out.empty() ? "[" : "\n[") + table + "]\n";
    }
    if (std::optional<std::string> v = k.get(c))
      out += Leaf(k.path) + " = " + (redact_secrets && k.secret ? "\"<redacted>\"" : *v) + "\n";
  }
  WritePeers(c, redact_secrets, out);
  return out;
}

}  // namespace dlog::config
