// Node and cluster identities (the key material; data_dir.h keeps it on disk).
//
//   node     WireGuard X25519 key pair (the member's identity in the roster), PQ ML-KEM
//            key pair (its PQ exchange key), a name ("node-" + 5 base32 characters of
//            BLAKE2s(WireGuard public key) unless configured).
//   cluster  Ed25519 signing key (libsodium crypto_sign; signs every member record and
//            every JoinAccept; held by nodes only) and a 32-byte cluster secret (the DPI
//            disguise key, obfs/keys.h; handed to nodes only).
//   pin      BLAKE2s(cluster Ed25519 public key)[0..16]: what a join token carries to
//            authenticate the cluster (as kubeadm pins its CA's hash).
//
// Thread-compatible values; secrets in Secret<> types, never logged.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "base/rng.h"
#include "base/secret.h"
#include "cluster/constants.h"
#include "crypto/x25519.h"
#include "pq/keys.h"

namespace dlog::cluster {

using PublicKey = ByteArray<kKeySize>;         // a member's WireGuard public key
using SigningPublicKey = ByteArray<kKeySize>;  // the cluster's Ed25519 public key
using Signature = ByteArray<kSignatureSize>;
using Pin = ByteArray<kPinSize>;
using ClusterSecret = Secret<kClusterSecretSize>;

enum class Role : uint8_t { kNode = 1, kClient = 2, kAdmin = 3 };
const char* RoleName(Role r);                             // "node", "client", "admin"
std::optional<Role> RoleFromName(std::string_view name);  // the inverse
bool IsValidRole(uint8_t r);

struct NodeKeys {
  crypto::X25519Private wg_private;
  PublicKey wg_public{};
  pq::KeyPair pq;
  std::string name;
  // A copy (pq::KeyPair is move-only; its decapsulation key is regenerated from the seed).
  NodeKeys Clone() const;
};

// The cluster's signing identity. `seed` is the Ed25519 seed (RFC 8032 private key); the
// 64-byte libsodium secret key is derived from it when signing.
struct ClusterKeys {
  Secret<32> seed;
  SigningPublicKey public_key{};
  ClusterSecret secret;
};

NodeKeys GenerateNodeKeys(pq::Algorithm a, Rng& rng, std::string_view configured_name);
ClusterKeys GenerateClusterKeys(Rng& rng);
// Recomputes public_key from the seed.
ClusterKeys ClusterKeysFromSeed(const Secret<32>& seed, const ClusterSecret& secret);

// "node-" + the first 5 characters of base32(BLAKE2s(wg_public)).
std::string DefaultNodeName(const PublicKey& wg_public);
// 1..63 of [a-zA-Z0-9._-], starting with a letter or digit.
bool IsValidName(std::string_view name);

Pin PinOf(const SigningPublicKey& cluster_public_key);
std::string FormatPin(const Pin& pin);  // lower-case base32, no padding (26 characters)

// Ed25519 detached signatures over `message`.
Signature Sign(const ClusterKeys& keys, ByteSpan message);
bool Verify(const SigningPublicKey& key, ByteSpan message, const Signature& sig);

}  // namespace dlog::cluster
