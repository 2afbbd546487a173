// dlog-keygen: WireGuard keys in the base64 form of `wg genkey` / `wg pubkey`.
//
//   dlog-keygen genkey            print a new private key
//   dlog-keygen pubkey < private  print the public key of a private key
//   dlog-keygen genpsk            print a new preshared key
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "base/hex.h"
#include "base/rng.h"
#include "crypto/x25519.h"

namespace {

constexpr const char* kUsage =
    "Usage: dlog-keygen <command>\n"
    "\n"
    "Commands (key formats are those of wg(8)):\n"
    "  genkey   print a new Curve25519 private key (base64) on stdout\n"
    "  pubkey   read a private key (base64) on stdin, print its public key\n"
    "  genpsk   print a new random 32-byte preshared key (base64)\n"
    "\n"
    "Example:  dlog-keygen genkey | tee private.key | dlog-keygen pubkey > public.key\n"
    "Private keys are secrets: keep them in files of mode 0600 (umask 077).\n";

int GenKey(bool clamp) {
  dlog::SystemRng rng;
  dlog::crypto::X25519Private key;
  rng.Fill(key.span());
  if (clamp) dlog::crypto::ClampPrivateKey(key);
  if (isatty(STDOUT_FILENO) == 0) {
    struct stat st{};
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

}  // namespace

int main(int argc, char** argv) {
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
