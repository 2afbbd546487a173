#!/usr/bin/env bash
# t_cluster_rotate — a node rotates its WireGuard key without an outage. Three nodes form
# a mesh; while node2 pings node1 ten times a second, `dlog admin rotate` on node1's
# operator socket starts a rotation: node1's device switches to the new key, node2 and
# node3 replace the old key by the new one, node1 keeps its overlay address, and the
# longest gap between ping replies stays under 3 s (a lost session would cost WireGuard's
# 5 s handshake retry or more). Restarted, node1 comes back with the new key.
source "$(dirname "$0")/lib.sh"
source "$HERE/cluster_lib.sh"
need_tools
[ -x "$DLOG_SERVER" ] || fail "missing $DLOG_SERVER (build first)"
[ -x "$DLOG" ] || fail "missing $DLOG (build first)"
NET=192.168.81
cluster_net $NET 3
pub_of() { ip netns exec "dlt$T-n$1" wg show "dl${T}c$1" public-key; }
peers_of() { ip netns exec "dlt$T-n$1" wg show "dl${T}c$1" peers; }

start_node 1 --bootstrap
TOKEN=$(wait_line 1 '^Join token: ' 15 | awk '{print $3}')
A1=$(overlay_of 1)
start_node 2 --join "$TOKEN" --seed $NET.11:51820
start_node 3 --join "$TOKEN" --seed $NET.11:51820
overlay_of 2 >/dev/null; overlay_of 3 >/dev/null
reaches "dlt$T-n2" "$A1" 15 && reaches "dlt$T-n3" "$A1" 15 || fail "mesh not up"
OLD=$(pub_of 1)
log "mesh up; node1 at $A1 with key ${OLD:0:10}..."

ip netns exec "dlt$T-n2" ping -D -i 0.1 -c 200 -W 1 "$A1" >"$WORK/ping.out" 2>&1 &
PING=$!; PIDS+=("$PING")
sleep 3
NEW=$(ip netns exec "dlt$T-n1" "$DLOG" --data-dir "$WORK/d1" admin rotate | awk '{print $3}')
[ -n "$NEW" ] && [ "$NEW" != "$OLD" ] || fail "dlog admin rotate gave no new key"
log "dlog admin rotate: new key ${NEW:0:10}..."
t0=$SECONDS
until [ "$(pub_of 1)" = "$NEW" ] && peers_of 2 | grep -qxF "$NEW" && peers_of 3 | grep -qxF "$NEW" &&
      ! peers_of 2 | grep -qxF "$OLD" && ! peers_of 3 | grep -qxF "$OLD"; do
  [ $((SECONDS - t0)) -ge 25 ] && fail "rotation incomplete after 25 s: node1 $(pub_of 1), node2 peers $(peers_of 2 | tr '\n' ' ')"
  sleep 0.2
done
log "  node1 switched, node2 and node3 know only the new key ($((SECONDS - t0)) s)"
wait "$PING" || true
gap=$(python3 - "$WORK/ping.out" <<'PY'
import re, sys
ts = [float(m.group(1)) for m in re.finditer(r"^\[(\d+\.\d+)\] \d+ bytes from", open(sys.argv[1]).read(), re.M)]
assert len(ts) > 50, f"only {len(ts)} replies"
print(round(max(b - a for a, b in zip(ts, ts[1:])), 2), len(ts))
PY
) || fail "ping: $(tail -3 "$WORK/ping.out")"
log "  longest gap between ping replies: ${gap% *} s (${gap#* } of 200 replies)"
python3 -c "import sys; sys.exit(0 if float('${gap% *}') < 3 else 1)" || fail "outage: a ${gap% *} s gap"
reaches "dlt$T-n3" "$A1" 10 || fail "node3 does not reach node1 after the rotation"

log "restart node1: it keeps the new key and its address"
kill "$PID1"; wait "$PID1" 2>/dev/null || true
start_node 1
wait_line 1 'Private key: loaded' 10 >/dev/null
[ "$(overlay_of 1)" = "$A1" ] || fail "node1 changed its overlay address"
[ "$(pub_of 1)" = "$NEW" ] || fail "node1 restarted with another key"
reaches "dlt$T-n2" "$A1" 20 || fail "node2 does not reach the restarted node1"
log "PASS"
