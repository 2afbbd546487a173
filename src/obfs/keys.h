// The cluster secret and the keys the disguise derives from it.
//
// Every member of a cluster holds the same 32-byte secret; from it each derives, with
// HMAC-BLAKE2s under distinct labels,
//   head  16 bytes  SipHash-2-4 key of the mask's first 24 bytes ("dlog obfs v1 head")
//   mask  32 bytes  ChaCha20 key of the rest of the mask     ("dlog obfs v1 mask")
//   tag   16 bytes  SipHash-2-4 key of the datagram tag      ("dlog obfs v1 tag")
//   hop   32 bytes  BLAKE2s key of the port-hop schedule     ("dlog obfs v1 hop")
// so members agree on the disguise and the hop schedule without any other
// configuration, and a party without the secret can neither unmask, forge nor predict.
//
// Secret file: one line holding the 32 bytes as base64 (44 characters, as `wg genkey`
// prints keys) or hex (64 characters). Loading refuses a file that group or others may
// read, with a message that says how to fix it.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "base/secret.h"

namespace dlog::obfs {

using ClusterSecret = Secret<32>;

struct DisguiseKeys {
  Secret<16> head;
  Secret<32> mask;
  Secret<16> tag;
  Secret<32> hop;
};

DisguiseKeys DeriveKeys(const ClusterSecret& secret);

// Parses the text of a secret file (surrounding whitespace ignored). An all-zero
// secret is refused.
Result<ClusterSecret> ParseClusterSecret(std::string_view text);
Result<ClusterSecret> LoadClusterSecret(const std::string& path);

}  // namespace dlog::obfs
