#!/usr/bin/env bash
# server_args_test.sh DLOG_SERVER — bad arguments and bad configuration stop dlog-server
# before it touches anything: exit code 2, a message naming the problem, no data
# directory created. (No privileges needed: it never gets as far as a TUN.)
set -uo pipefail
srv=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
# expect_refusal DESCRIPTION EXPECTED-TEXT ARGS...
expect_refusal() {
  local what=$1 text=$2; shift 2
  out=$("$srv" --data-dir "$work/data" "$@" 2>&1); rc=$?
  if [ "$rc" != 2 ]; then echo "FAIL: $what: exit $rc, not 2: $out"; fails=$((fails + 1)); fi
  if ! grep -qF -- "$text" <<<"$out"; then echo "FAIL: $what: no '$text' in: $out"; fails=$((fails + 1)); fi
  if [ -e "$work/data" ]; then echo "FAIL: $what: data directory created"; fails=$((fails + 1)); rm -rf "$work/data"; fi
}
printf '[network.wireguard]\nlisten_prot = 51820\n' >"$work/typo.toml"
printf '[network.wireguard]\nlisten_port = "many"\n' >"$work/type.toml"
expect_refusal "dpi_resistance" "dpi_resistance = true is not applied" \
  --set network.wireguard.dpi_resistance=true --bootstrap
expect_refusal "overlay_cidr6" "overlay_cidr6 is not applied" \
  --set cluster.overlay_cidr6=fd00:d10::/64 --bootstrap
expect_refusal "unknown key in a file" "typo.toml:2" -c "$work/typo.toml" --bootstrap
expect_refusal "bad value in a file" "type.toml:2" -c "$work/type.toml" --bootstrap
expect_refusal "bad --stack" "stack" --stack sideways --bootstrap
expect_refusal "unknown flag" "--frobnicate" --frobnicate
[ "$fails" = 0 ] && echo "dlog-server: 6 kinds of bad input refused, nothing created"
exit "$fails"
