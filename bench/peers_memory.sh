#!/usr/bin/env bash
# peers_memory.sh — resident memory per configured peer, dlog-wg beside wireguard-go.
# Configures N peers (default 10000, each with a PSK, an endpoint and two allowed-IPs
# prefixes) through the UAPI socket and reports the growth of VmRSS per peer.
#   N=10000 BUILD_DIR=build
set -euo pipefail
source "$(dirname "$0")/../tests/netns/lib.sh"
N=${N:-10000}
need_tools

python3 - "$N" >"$WORK/peers.uapi" <<'PY'
import os, sys
n = int(sys.argv[1])
out = ["set=1"]
for i in range(n):
    out += ["public_key=" + os.urandom(32).hex(), "preshared_key=" + os.urandom(32).hex(),
            "endpoint=192.0.2.%d:%d" % (i % 250 + 1, 1024 + i % 60000),
            "allowed_ip=10.%d.%d.%d/32" % (i >> 16 & 255, i >> 8 & 255, i & 255),
            "allowed_ip=fd00::%x:%x/128" % (i >> 16, i & 0xffff)]
print("\n".join(out) + "\n")
PY
rss_kb() { awk '/VmRSS/{print $2}' "/proc/$1/status"; }

declare -A PER
for impl in go dlog; do
  ns=dlm$TAG$impl; ifn=m$TAG$impl
  make_ns "$ns"
  start_wg "$impl" "$ns" "$ifn"
  pid=${PIDS[-1]}
  # ip netns exec + env exec() into the implementation, so $! is its PID.
  sleep 0.3
  before=$(rss_kb "$pid")
  reply=$(python3 "$HERE/uapi.py" "/var/run/wireguard/$ifn.sock" <"$WORK/peers.uapi")
  [ "$reply" = "errno=0" ] || fail "$impl: configuring $N peers: $reply"
  got=$(ip netns exec "$ns" wg show "$ifn" peers | wc -l)
  [ "$got" = "$N" ] || fail "$impl: $got peers configured, want $N"
  sleep 0.5
  after=$(rss_kb "$pid")
  PER[$impl]=$(( (after - before) * 1024 / N ))
  log "$impl: RSS $before kB -> $after kB with $N peers: ${PER[$impl]} bytes/peer"
done
echo "| implementation | bytes per peer ($N peers) |"
echo "| --- | --- |"
echo "| wireguard-go | ${PER[go]} |"
echo "| dlog-wg | ${PER[dlog]} |"
