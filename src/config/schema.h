// The schema of dlog.toml: every key, its form, default, meaning and variable, in one table
// from which the loader, the writer and docs/CONFIG.md all work.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/value.h"

namespace dlog::config {

// How a key's value is written; also how an environment variable or flag is read.
enum class Kind {
  kBool,        // true/false (variables and flags: also 1/0, yes/no)
  kInt,         // an integer
  kFloat,       // a number
  kString,      // a string of some form (names, addresses, keys)
  kEnum,        // one string of a fixed set
  kDuration,    // "2m"
  kRate,        // "10mbit"
  kIntPair,     // [lo, hi]; variables and flags: "lo,hi" too
  kStringList,  // ["a", "b"]; variables and flags: "a,b" too
  kPeers,       // [[replication.peers]]: an array of tables with PeerSchema's keys
};

// The outcome of decoding one value: ok, or not of the expected form, with an optional
// hint for the user ("did you mean …?").
struct Check {
  bool ok = true;
  std::string hint;
  static Check Ok() { return {}; }
  static Check Bad(std::string hint = "") { return {false, std::move(hint)}; }
};

// One key of the schema, applying to a `Target` (Config, or ReplicationPeer for the keys
// of a [[replication.peers]] table).
template <typename Target>
struct KeySpec {
  std::string path;  // "network.wireguard.listen_port"; PeerSchema: "region"
  Kind kind = Kind::kString;
  std::string type;                  // for docs: "integer", "duration", ...
  std::string expected;              // "an integer from 1 to 65535"
  std::string meaning;               // one or two sentences for docs
  std::vector<std::string> aliases;  // other environment variable names (WIREGUARD_ENABLED)
  std::vector<std::string> choices;  // kEnum: accepted names, canonical ones first
  bool secret = false;               // never echoed in messages
  bool required = false;             // PeerSchema: must be present
  // Decodes `v` into `t`, leaving `t` alone when it does not fit.
  std::function<Check(Target& t, const Value& v)> set;
  // The value as a TOML literal; nullopt: unset (optional keys).
  std::function<std::optional<std::string>(const Target& t)> get;
};

using Key = KeySpec<Config>;
using PeerKey = KeySpec<ReplicationPeer>;

// Every key, in the order of docs/CONFIG.md and of written files.
const std::vector<Key>& Schema();
// The keys of one [[replication.peers]] table.
const std::vector<PeerKey>& PeerSchema();

const Key* FindKey(std::string_view path);
const PeerKey* FindPeerKey(std::string_view name);
// Whether `path` names a table of the schema: "network", "network.wireguard", ...
bool IsTable(std::string_view path);
// The tables in schema order.
const std::vector<std::string>& Tables();
// The names of the keys and tables directly inside table `prefix` ("" for the top).
std::vector<std::string> ChildrenOf(std::string_view prefix);

// DLOG_ and the path in capitals with '_' for '.': DLOG_NETWORK_WIREGUARD_LISTEN_PORT.
std::string EnvName(std::string_view path);

}  // namespace dlog::config
