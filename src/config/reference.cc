#include "config/reference.h"

#include "config/schema.h"

namespace dlog::config {
namespace {

std::string Escape(std::string_view s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

std::string Code(std::string_view s) { return "`" + std::string(s) + "`"; }

std::string Row(const std::string& key, const std::string& type, const std::string& def,
                const std::string& env, const std::string& meaning, const std::string& form) {
  return "| " + Code(key) + " | " + type + " | " + def + " | " + env + " | " + Escape(meaning) +
         " Accepts " + Escape(form) + ". |\n";
}

constexpr char kHeader[] =
    "| key | type | default | environment | meaning |\n| --- | --- | --- | --- | --- |\n";

std::string Variables(const Key& k) {
  std::string out = Code(EnvName(k.path));
  for (const std::string& a : k.aliases) out += ", " + Code(a);
  return out;
}

std::string PeerSection() {
  std::string out =
      "\n### [[replication.peers]]\n\nOne table per peer region. Environment: " +
      Code(EnvName("replication.peers")) +
      " replaces them all with a TOML array of inline tables, like "
      "`[{ region = \"eu\", endpoint = \"gw.eu.example:51820\", wireguard_public_key = \"…\" }]`"
      ".\n\n" +
      kHeader;
  for (const PeerKey& k : PeerSchema()) {
    const std::string def = k.required ? "required" : "unset";
    out += Row(k.path, k.type, def, "—", k.meaning, k.expected);
  }
  return out;
}

}  // namespace

std::string RenderReference() {
  const Config defaults;
  std::string out, table;
  for (const Key& k : Schema()) {
    if (k.kind == Kind::kPeers) continue;
    const std::string t = k.path.substr(0, k.path.rfind('.'));
    if (t != table) {
      table = t;
      out += (out.empty() ? "### [" : "\n### [") + t + "]\n\n" + kHeader;
    }
    out += Row(k.path.substr(t.size() + 1), k.type, Code(k.get(defaults).value_or("unset")),
               Variables(k), k.meaning, k.expected);
  }
  return out + PeerSection();
}

std::string UpdateReference(std::string_view doc) {
  const size_t begin = doc.find(kReferenceBegin);
  const size_t end = doc.find(kReferenceEnd);
  if (begin == std::string_view::npos || end == std::string_view::npos || end < begin)
    return std::string(doc);
  return std::string(doc.substr(0, begin + kReferenceBegin.size())) + "\n\n" + RenderReference() +
         "\n" + std::string(doc.substr(end));
}

}  // namespace dlog::config
