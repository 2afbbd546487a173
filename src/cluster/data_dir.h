// DataDir: the member's directory of keys and cluster state (default ./dlog-data).
//
//   <dir>/                 0700; created if missing; refused if group/others may access
//     node.key       0600  WireGuard private key, base64 (as `wg genkey` prints it)
//     node.pq        0600  PQ secret key (pq/keys.h format: ML-KEM seed)
//     node.name      0600  the node's name, one line
//     node.key.next  0600  pending WireGuard private key during a rotation
//     cluster.sign   0600  Ed25519 seed of the cluster key, base64 (nodes only)
//     cluster.secret 0600  the 32-byte cluster secret, base64 (obfs/keys.h format)
//     cluster.state  0600  EncodeState(ClusterState): roster, tokens, cluster keys
//
// Every file is written whole or not at all: a temporary file in the same directory,
// fsync, rename, fsync of the directory. A key file or directory with looser
// permissions than the above is refused with a message that says how to fix it (as ssh
// does); nothing is silently chmod-ed. Not thread-safe; one process per directory.
#pragma once

#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "base/rng.h"
#include "cluster/identity.h"

namespace dlog::cluster {

class DataDir {
 public:
  // Creates the directory (0700) if missing; refuses one group or others can access.
  static Result<DataDir> Open(const std::string& path);

  // Loads node.key/node.pq/node.name, or generates and writes them on first start
  // (`created` then true). A configured name overrides the stored one (and is stored).
  Result<NodeKeys> LoadOrCreateNodeKeys(const std::string& configured_name, pq::Algorithm algorithm,
                                        Rng& rng, bool* created);
  Status SaveNodeKey(const crypto::X25519Private& key);  // node.key (after a rotation)
  Status SavePendingKey(const crypto::X25519Private& key);
  Result<std::optional<crypto::X25519Private>> LoadPendingKey();
  Status RemovePendingKey();

  // cluster.sign + cluster.secret.
  Status SaveClusterKeys(const ClusterKeys& keys);
  Result<std::optional<ClusterKeys>> LoadClusterKeys();

  // cluster.state.
  Status SaveState(ByteSpan encoded);
  Result<std::optional<Bytes>> LoadState();

  const std::string& path() const { return path_; }
  std::string FilePath(const char* name) const;

 private:
  explicit DataDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// Reads a file that must be a regular file with no group/other permission bits when
// `secret`; nullopt when it does not exist.
Result<std::optional<Bytes>> ReadFileChecked(const std::string& path, bool secret);

}  // namespace dlog::cluster
