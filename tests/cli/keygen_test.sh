#!/usr/bin/env bash
# keygen_test.sh DLOG_KEYGEN — dlog-keygen's keys agree with wireguard-tools' `wg`.
set -euo pipefail
kg=$1
command -v wg >/dev/null || { echo "FAIL: wg (wireguard-tools) not installed"; exit 1; }
for i in $(seq 20); do
  k=$("$kg" genkey)
  [ "$("$kg" pubkey <<<"$k")" = "$(wg pubkey <<<"$k")" ] || { echo "FAIL: pubkey of our key differs"; exit 1; }
  k=$(wg genkey)
  [ "$("$kg" pubkey <<<"$k")" = "$(wg pubkey <<<"$k")" ] || { echo "FAIL: pubkey of wg's key differs"; exit 1; }
done
# An unclamped 32-byte value: both must clamp the same way.
k=$("$kg" genpsk)
[ "$("$kg" pubkey <<<"$k")" = "$(wg pubkey <<<"$k")" ] || { echo "FAIL: clamping differs"; exit 1; }
[ "${#k}" = 44 ] || { echo "FAIL: key is not 44 base64 characters"; exit 1; }
# Bad input: a clear error and a non-zero exit.
if "$kg" pubkey <<<"not-a-key" 2>/dev/null; then echo "FAIL: accepted a bad key"; exit 1; fi
if "$kg" frobnicate 2>/dev/null; then echo "FAIL: accepted an unknown command"; exit 1; fi
echo "keygen: 41 keys agree with wg"
