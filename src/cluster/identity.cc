#include "cluster/identity.h"

#include <sodium.h>

#include "cluster/base32.h"
#include "crypto/blake2s.h"

namespace dlog::cluster {

const char* RoleName(Role r) {
  switch (r) {
    case Role::kNode:
      return "node";
    case Role::kClient:
      return "client";
    case Role::kAdmin:
      return "admin";
  }
  return "?";
}

std::optional<Role> RoleFromName(std::string_view name) {
  if (name == "node") return Role::kNode;
  if (name == "client") return Role::kClient;
  if (name == "admin") return Role::kAdmin;
  return std::nullopt;
}

bool IsValidRole(uint8_t r) { return r >= 1 && r <= 3; }

std::string DefaultNodeName(const PublicKey& wg_public) {
  uint8_t h[crypto::kBlake2sSize];
  crypto::Hash(h, {wg_public});
  return "node-" + ToBase32(ByteSpan(h, 5)).substr(0, 5);
}

bool IsValidName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameSize) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(name[0])) return false;
  for (char c : name) {
    if (!alnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

NodeKeys NodeKeys::Clone() const {
  NodeKeys k;
  k.wg_private = wg_private;
  k.wg_public = wg_public;
  k.pq = std::move(pq::KeyPairFromSeed(pq.algorithm, pq.seed).value());  // the seed generated it
  k.name = name;
  return k;
}

NodeKeys GenerateNodeKeys(pq::Algorithm a, Rng& rng, std::string_view configured_name) {
  NodeKeys k;
  k.wg_private = crypto::GeneratePrivateKey(rng);
  k.wg_public = crypto::PublicKeyOf(k.wg_private);
  k.pq = pq::GenerateKeyPair(a, rng);
  k.name = configured_name.empty() ? DefaultNodeName(k.wg_public) : std::string(configured_name);
  return k;
}

ClusterKeys ClusterKeysFromSeed(const Secret<32>& seed, const ClusterSecret& secret) {
  ClusterKeys k;
  k.seed = seed;
  k.secret = secret;
  Secret<crypto_sign_SECRETKEYBYTES> sk;
  crypto_sign_seed_keypair(k.public_key.data(), sk.data(), seed.data());
  return k;
}

ClusterKeys GenerateClusterKeys(Rng& rng) {
  Secret<32> seed;
  ClusterSecret secret;
  rng.Fill(seed.span());
  rng.Fill(secret.span());
  return ClusterKeysFromSeed(seed, secret);
}

Pin PinOf(const SigningPublicKey& cluster_public_key) {
  uint8_t h[crypto::kBlake2sSize];
  crypto::Hash(h, {cluster_public_key});
  Pin p;
  std::copy(h, h + kPinSize, p.begin());
  return p;
}

std::string FormatPin(const Pin& pin) { return ToBase32(pin); }

Signature Sign(const ClusterKeys& keys, ByteSpan message) {
  Secret<crypto_sign_SECRETKEYBYTES> sk;
  SigningPublicKey pk;
  crypto_sign_seed_keypair(pk.data(), sk.data(), keys.seed.data());
  Signature sig;
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), sk.data());
  return sig;
}

bool Verify(const SigningPublicKey& key, ByteSpan message, const Signature& sig) {
  return crypto_sign_verify_detached(sig.data(), message.data(), message.size(), key.data()) == 0;
}

}  // namespace dlog::cluster
