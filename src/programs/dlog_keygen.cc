// dlog-keygen: WireGuard keys in the base64 form of `wg genkey` / `wg pubkey`.
//
//   dlog-keygen genkey            print a new private key
//   dlog-keygen pubkey < private  print the public key of a private key
//   dlog-keygen genpsk            print a new preshared key
//   dlog-keygen genpq FILE        write a PQ (ML-KEM) secret key file, print its public key
//   dlog-keygen pqpubkey FILE     print the public key of a PQ secret key file
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "base/hex.h"
#include "base/rng.h"
#include "crypto/x25519.h"
#include "pq/keys.h"

namespace {

constexpr const char* kUsage =
    "Usage: dlog-keygen <command>\n"
    "\n"
    "Commands (key formats are those of wg(8)):\n"
    "  genkey   print a new Curve25519 private key (base64) on stdout\n"
    "  pubkey   read a private key (base64) on stdin, print its public key\n"
    "  genpsk   print a new random 32-byte preshared key (base64)\n"
    "  genpq [--algorithm kyber1024|kyber768] FILE\n"
    "           write a new post-quantum secret key to FILE (mode 0600) and print its\n"
    "           public key (one line, for the peer's configuration)\n"
    "  pqpubkey FILE\n"
    "           print the public key of a post-quantum secret key file\n"
    "\n"
    "Example:  dlog-keygen genkey | tee private.key | dlog-keygen pubkey > public.key\n"
    "Private keys are secrets: keep them in files of mode 0600 (umask 077).\n";

int GenKey(bool clamp) {
  dlog::SystemRng rng;
  dlog::crypto::X25519Private key;
  rng.Fill(key.span());
  if (clamp) dlog::crypto::ClampPrivateKey(key);
  if (isatty(STDOUT_FILENO) == 0) {
    struct stat st {};
    if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0077) != 0)
      std::fprintf(stderr, "Warning: writing private key to world accessible file.\n");
  }
  std::cout << dlog::ToBase64(key.span()) << "\n";
  return 0;
}

int PubKey() {
  std::string line;
  if (!std::getline(std::cin, line)) {
    std::fprintf(stderr, "dlog-keygen pubkey: expected a base64 private key on stdin\n");
    return 1;
  }
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  auto raw = dlog::FromBase64(line);
  if (!raw || raw->size() != dlog::crypto::kX25519KeySize) {
    std::fprintf(stderr,
                 "dlog-keygen pubkey: not a key: expected 44 characters of base64 "
                 "encoding 32 bytes\n");
    return 1;
  }
  dlog::crypto::X25519Private key{std::span<const uint8_t, 32>(raw->data(), 32)};
  dlog::SecureZero(raw->data(), raw->size());
  dlog::crypto::ClampPrivateKey(key);
  std::cout << dlog::ToBase64(dlog::crypto::PublicKeyOf(key)) << "\n";
  return 0;
}

// genpq / pqpubkey: the post-quantum key pair of the PSK exchange (docs/PQ.md).
int PqCommand(int argc, char** argv) {
  using namespace dlog::pq;
  const std::string cmd = argv[1];
  Algorithm algorithm = kDefaultAlgorithm;
  int i = 2;
  if (cmd == "genpq" && argc == 5 && std::string(argv[2]) == "--algorithm") {
    auto a = AlgorithmFromName(argv[3]);
    if (!a) {
      std::fprintf(stderr, "dlog-keygen genpq: --algorithm: expected kyber1024 or kyber768\n");
      return 1;
    }
    algorithm = *a;
    i = 4;
  }
  if (argc != i + 1) {
    std::fputs(kUsage, stderr);
    return 1;
  }
  dlog::Result<KeyPair> kp = dlog::Status::Error("");
  if (cmd == "genpq") {
    dlog::SystemRng rng;
    kp = GenerateKeyPair(algorithm, rng);
    if (dlog::Status s = WriteSecretKeyFile(argv[i], *kp); !s.ok()) kp = s;
  } else {
    kp = ReadSecretKeyFile(argv[i]);
  }
  if (!kp.ok()) {
    std::fprintf(stderr, "dlog-keygen %s: %s\n", cmd.c_str(), kp.error().c_str());
    return 1;
  }
  std::cout << FormatPublicKey({kp->algorithm, kp->public_key}) << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && (std::string(argv[1]) == "genpq" || std::string(argv[1]) == "pqpubkey"))
    return PqCommand(argc, argv);
  if (argc != 2) {
    std::fputs(kUsage, argc == 1 ? stdout : stderr);
    return argc == 1 ? 0 : 1;
  }
  const std::string cmd = argv[1];
  if (cmd == "genkey") return GenKey(true);
  if (cmd == "genpsk") return GenKey(false);
  if (cmd == "pubkey") return PubKey();
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  std::fprintf(stderr, "dlog-keygen: unknown command '%s'\n\n%s", cmd.c_str(), kUsage);
  return 1;
}
