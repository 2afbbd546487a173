#!/usr/bin/env bash
# run_all.sh — every network-namespace test, each in its own namespaces. Needs root.
# Prints one PASS/FAIL line per case and "N passed, N failed" at the end.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BYTES=${BYTES:-100000000}
passed=0 failed=0 flaky=0

# A case that fails is run once more and counts as passed only if the second run passes;
# the first failure is printed either way, so flakiness stays visible.
run() {  # run NAME SCRIPT ARGS...
  local name=$1; shift
  local t0=$SECONDS
  if timeout 300 bash "$@" >"/tmp/dlt-case.log" 2>&1; then
    echo "PASS $name ($((SECONDS - t0)) s)"; passed=$((passed + 1))
    return
  fi
  echo "RETRY $name — first run failed:"; sed 's/^/    /' /tmp/dlt-case.log | tail -30
  if timeout 300 bash "$@" >"/tmp/dlt-case.log" 2>&1; then
    echo "PASS $name (on retry)"; passed=$((passed + 1)); flaky=$((flaky + 1))
  else
    echo "FAIL $name"; sed 's/^/    /' /tmp/dlt-case.log | tail -30; failed=$((failed + 1))
  fi
}

for init in a b; do
  for psk in 0 1; do
    for under in 4 6; do
      run "interop dlog<->wireguard-go initiator=$([ $init = a ] && echo dlog || echo wireguard-go) psk=$psk underlay=v$under" \
        "$HERE/interop.sh" dlog go "$init" "$psk" "$under" "$BYTES"
    done
  done
done
run "interop dlog<->dlog" "$HERE/interop.sh" dlog dlog a 1 4 "$BYTES"
run "roaming dlog->wireguard-go" "$HERE/roaming.sh" dlog go
run "roaming dlog->dlog" "$HERE/roaming.sh" dlog dlog
run "security dlog (stranger: wireguard-go)" "$HERE/security.sh" dlog go
run "security dlog (stranger: dlog)" "$HERE/security.sh" dlog dlog
for t in "$HERE"/t_*.sh; do
  [ -e "$t" ] || continue
  run "$(basename "$t" .sh)" "$t"
done

echo "netns: $passed passed ($flaky on retry), $failed failed"
[ "$failed" = 0 ]
