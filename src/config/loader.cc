#include "config/loader.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "config/diagnostics.h"
#include "config/schema.h"
#include "config/suggest.h"
#include "config/text_value.h"
#include "config/toml_reader.h"
#include "config/validate.h"

extern char** environ;

namespace dlog::config {
namespace {

constexpr size_t kMaxPeers = 256;
constexpr std::string_view kForeignPrefix = "DLOG_WG_";  // dlog-wg's own variables
constexpr std::string_view kConfigVariable = "DLOG_CONFIG";

std::string Join(const std::vector<std::string>& words, const std::string& last_sep) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i)
    out += (i == 0 ? "" : i + 1 == words.size() ? last_sep : ", ") + words[i];
  return out;
}

// The key that variable `name` sets, by its DLOG_ name or (`alias`) by a short one.
const Key* KeyOfVariable(const std::string& name, bool& alias) {
  for (const Key& k : Schema()) {
    alias = std::find(k.aliases.begin(), k.aliases.end(), name) != k.aliases.end();
    if (alias || name == EnvName(k.path)) return &k;
  }
  return nullptr;
}

std::string Child(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

// Applies values to one Config, recording errors and where each key was set.
class Loader {
 public:
  void ApplyDocument(const Value& root, const Source& s) { ApplyTable(root, "", s); }
  void ApplyEnvironment(const Environment& env);
  void ApplyFlags(const std::vector<Override>& flags);
  Result<Config> Finish();

  Diagnostics& diagnostics() { return errors_; }

 private:
  void ApplyTable(const Value& table, const std::string& prefix, const Source& s);
  void ApplyKey(const Key& key, const Value& v, const Source& s, bool from_text);
  void ApplyText(const Key& key, std::string_view text, const Source& s);
  void ApplyPeers(const Value& v, const Source& s);
  std::optional<ReplicationPeer> ReadPeer(const Value& v, const std::string& path, const Source& s);
  void Unknown(const Field& f, const std::string& prefix, const Source& s);
  void ApplyVariable(const std::string& name, const std::string& value);

  Config config_;
  Origins origins_;
  Diagnostics errors_;
};

// A hint for a value of the wrong TOML type that the user evidently meant: "9092" for
// 9092, 120 for "120s".
std::string TypeHint(Kind kind, const Value& v) {
  if (v.type == Value::Type::kString && (kind == Kind::kInt || kind == Kind::kFloat)) {
    Result<Value> t = ValueFromText(kind, v.string);
    if (t.ok() && t->type != Value::Type::kString) return "write numbers without quotes";
  }
  if (v.type == Value::Type::kString && kind == Kind::kBool &&
      (v.string == "true" || v.string == "false"))
    return "write true or false without quotes";
  if (v.type == Value::Type::kInt && kind == Kind::kDuration)
    return "a duration is a string with a unit, like \"" + std::to_string(v.integer) + "s\"";
  if (v.type == Value::Type::kInt && kind == Kind::kRate)
    return "a rate is a string with a unit, like \"" + std::to_string(v.integer) + "bit\"";
  return "";
}

std::string Expected(const std::string& expected, const Value& v, bool secret,
                     const std::string& hint) {
  return "expected " + expected + (secret ? "" : ", got " + Describe(v)) +
         (hint.empty() ? "" : "; " + hint);
}

void Loader::ApplyKey(const Key& key, const Value& v, const Source& s, bool from_text) {
  if (key.kind == Kind::kPeers) return ApplyPeers(v, s);
  const Check c = key.set(config_, v);
  if (c.ok) {
    origins_[key.path] = Where(s, v.at);
    return;
  }
  const std::string expected =
      key.expected + (from_text && key.kind == Kind::kBool ? " (or 1, 0, yes, no)" : "");
  const std::string hint = c.hint.empty() && !from_text ? TypeHint(key.kind, v) : c.hint;
  errors_.Add(s, v.at, key.path, Expected(expected, v, key.secret, hint));
}

void Loader::ApplyText(const Key& key, std::string_view text, const Source& s) {
  Result<Value> v = ValueFromText(key.kind, text);
  if (!v.ok()) {
    errors_.Add(s, {}, key.path, "expected " + key.expected + "; " + v.error());
    return;
  }
  ApplyKey(key, *v, s, /*from_text=*/true);
}

void Loader::ApplyTable(const Value& table, const std::string& prefix, const Source& s) {
  for (const Field& f : table.fields) {
    const std::string path = Child(prefix, f.key);
    if (const Key* key = FindKey(path)) {
      ApplyKey(*key, f.value, s, /*from_text=*/false);
    } else if (!IsTable(path)) {
      Unknown(f, prefix, s);
    } else if (f.value.type != Value::Type::kTable) {
      errors_.Add(s, f.value.at, path, "expected a table [" + path + "], got " + Describe(f.value));
    } else {
      ApplyTable(f.value, path, s);
    }
  }
}

// "unknown key; did you mean …?", or where the key belongs, or what the table takes.
void Loader::Unknown(const Field& f, const std::string& prefix, const Source& s) {
  const bool table = f.value.type == Value::Type::kTable;
  std::string what = table ? "unknown table" : "unknown key";
  auto shown = [](const std::string& path) { return IsTable(path) ? "[" + path + "]" : path; };
  std::vector<std::string> homes;  // tables that have a key or table of this name
  for (const std::string& t : Tables())
    for (const std::string& c : ChildrenOf(t))
      if (c == f.key) homes.push_back("[" + t + "]");
  if (std::optional<std::string> near = Suggest(f.key, ChildrenOf(prefix))) {
    what += "; did you mean " + shown(Child(prefix, *near)) + "?";
  } else if (!homes.empty()) {
    what += "; " + f.key + " belongs in " + Join(homes, " or ");
  } else {
    std::vector<std::string> names;
    for (const std::string& c : ChildrenOf(prefix))
      names.push_back(IsTable(Child(prefix, c)) ? "[" + Child(prefix, c) + "]" : c);
    what += "; " + (prefix.empty() ? std::string("the file") : "[" + prefix + "]") + " takes " +
            Join(names, " and ");
  }
  errors_.Add(s, f.at, Child(prefix, f.key), what);
}

void Loader::ApplyPeers(const Value& v, const Source& s) {
  const std::string path = "replication.peers";
  if (v.type != Value::Type::kArray) {
    errors_.Add(
        s, v.at, path,
        "expected tables written [[replication.peers]] (double brackets), got " + Describe(v));
    return;
  }
  if (v.items.size() > kMaxPeers) {
    errors_.Add(
        s, v.at, path,
        "at most " + std::to_string(kMaxPeers) + " peers, got " + std::to_string(v.items.size()));
    return;
  }
  std::vector<ReplicationPeer> peers;
  for (size_t i = 0; i < v.items.size(); ++i) {
    std::optional<ReplicationPeer> p =
        ReadPeer(v.items[i], path + "[" + std::to_string(i) + "]", s);
    if (p) peers.push_back(*p);
  }
  if (peers.size() == v.items.size()) {
    config_.replication.peers = std::move(peers);
    origins_[path] = Where(s, v.at);
  }
}

std::optional<ReplicationPeer> Loader::ReadPeer(const Value& v, const std::string& path,
                                                const Source& s) {
  if (v.type != Value::Type::kTable) {
    errors_.Add(s, v.at, path,
                "expected a table (region, endpoint, wireguard_public_key), got " + Describe(v));
    return std::nullopt;
  }
  ReplicationPeer p;
  bool ok = true;
  std::vector<std::string> names, suggested;
  for (const PeerKey& k : PeerSchema()) names.push_back(k.path);
  for (const Field& f : v.fields) {
    const PeerKey* k = FindPeerKey(f.key);
    if (!k) {
      std::optional<std::string> near = Suggest(f.key, names);
      if (near) suggested.push_back(*near);
      errors_.Add(s, f.at, path + "." + f.key,
                  near ? "unknown key; did you mean " + path + "." + *near + "?"
                       : "unknown key; a peer takes " + Join(names, " and "));
      ok = false;
    } else if (Check c = k->set(p, f.value); !c.ok) {
      errors_.Add(s, f.value.at, path + "." + f.key,
                  Expected(k->expected, f.value, k->secret, c.hint));
      ok = false;
    } else {
      origins_[path + "." + f.key] = Where(s, f.value.at);
    }
  }
  for (const PeerKey& k : PeerSchema()) {
    const bool present = std::any_of(v.fields.begin(), v.fields.end(),
                                     [&](const Field& f) { return f.key == k.path; });
    const bool misspelled =
        std::find(suggested.begin(), suggested.end(), k.path) != suggested.end();
    if (k.required && !present && !misspelled) {
      errors_.Add(s, v.at, path, "missing " + k.path + " (" + k.expected + ")");
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return p;
}

// Variables: the aliases first, then DLOG_*, each in name order, so that the more specific
// DLOG_ name wins; aliases that disagree with it are an error.
void Loader::ApplyEnvironment(const Environment& env) {
  Environment sorted = env;
  std::sort(sorted.begin(), sorted.end());
  for (const auto& [name, value] : sorted)
    if (!name.starts_with("DLOG_")) ApplyVariable(name, value);
  for (const auto& [name, value] : sorted)
    if (name.starts_with("DLOG_")) ApplyVariable(name, value);
}

void Loader::ApplyVariable(const std::string& name, const std::string& value) {
  const Source s{"environment variable " + name, 1, false};
  bool alias = false;
  const Key* k = KeyOfVariable(name, alias);
  if (!k) {
    if (!name.starts_with("DLOG_") || IsForeignVariable(name)) return;
    std::vector<std::string> names{std::string(kConfigVariable)};
    for (const Key& key : Schema()) names.push_back(EnvName(key.path));
    std::optional<std::string> near = Suggest(name, names);
    errors_.Add(s, {}, "",
                "not a DLOG_ variable of the configuration" +
                    (near ? "; did you mean " + *near + "?" : " (see docs/CONFIG.md)"));
    return;
  }
  // An alias applied earlier in this layer must agree with the DLOG_ variable.
  auto origin = origins_.find(k->path);
  const std::string earlier = origin != origins_.end() ? origin->second : "";
  const std::optional<std::string> before = k->get(config_);
  ApplyText(*k, value, s);
  if (!alias && earlier.starts_with("environment variable ") && k->get(config_) != before)
    errors_.Add(s, {}, k->path, "disagrees with " + earlier + "; unset one of them");
}

void Loader::ApplyFlags(const std::vector<Override>& flags) {
  for (const Override& o : flags) {
    const Source s{"flag " + o.source, 2, false};
    if (const Key* k = FindKey(o.key)) {
      ApplyText(*k, o.value, s);
      continue;
    }
    std::vector<std::string> paths;
    for (const Key& k : Schema()) paths.push_back(k.path);
    std::optional<std::string> near = Suggest(o.key, paths);
    errors_.Add(s, {}, o.key,
                "unknown key" + (near ? "; did you mean " + *near + "?" : " (see docs/CONFIG.md)"));
  }
}

Result<Config> Loader::Finish() {
  if (errors_.empty()) CheckCrossKeys(config_, origins_, errors_);
  if (!errors_.empty()) return Status::Error(errors_.Message());
  return config_;
}

std::optional<std::string> ReadFile(const std::string& path, std::string& error) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    error = path + ": cannot open: " + std::strerror(errno);
    return std::nullopt;
  }
  std::string text;
  char buf[8192];
  size_t n = 0;
  while (text.size() <= kMaxTomlBytes && (n = std::fread(buf, 1, sizeof buf, f)) > 0)
    text.append(buf, n);
  const bool failed = std::ferror(f);
  const int saved = errno;
  std::fclose(f);
  if (failed) {
    error = path + ": cannot read: " + std::strerror(saved);
    return std::nullopt;
  }
  return text;
}

Result<Config> Load(const std::optional<std::string>& text, const std::string& source,
                    const Environment& env, const std::vector<Override>& flags) {
  Loader loader;
  if (text) {
    Result<Value> doc = ParseTomlDocument(*text, source);
    if (!doc.ok())
      loader.diagnostics().AddRaw(0, doc.error());
    else
      loader.ApplyDocument(*doc, Source{source, 0, true});
  }
  loader.ApplyEnvironment(env);
  loader.ApplyFlags(flags);
  return loader.Finish();
}

}  // namespace

Environment ProcessEnvironment() {
  Environment env;
  for (char** e = environ; e && *e; ++e) {
    const std::string entry(*e);
    const size_t eq = entry.find('=');
    if (eq != std::string::npos) env.emplace_back(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return env;
}

bool IsForeignVariable(std::string_view name) {
  return name == kConfigVariable || name.starts_with(kForeignPrefix);
}

Result<Config> LoadConfig(const std::optional<std::string>& path, const Environment& env,
                          const std::vector<Override>& flags) {
  std::optional<std::string> text;
  if (path) {
    std::string error;
    text = ReadFile(*path, error);
    if (!text) return Status::Error(error);
  }
  return Load(text, path.value_or(""), env, flags);
}

Result<Config> LoadConfigText(std::string_view text, const std::string& source,
                              const Environment& env, const std::vector<Override>& flags) {
  return Load(std::string(text), source, env, flags);
}

}  // namespace dlog::config
