#!/usr/bin/env bash
# t_cluster_mesh — zero-configuration cluster: three dlog-server nodes, each in its own
# namespace on one bridge. node1 bootstraps and prints a join token; node2 and node3 start
# with only the token and node1's underlay address as seed. Within 10 s the full mesh is
# up: every node pings every other's overlay address and `wg show` has a handshake with
# every peer. node2 restarts with nothing but its data directory: same identity and
# overlay address, and the mesh comes back. Then node3 runs the userspace stack (lwIP,
# no TUN): the tun nodes reach it through the mesh.
#   JOIN_VIA=seed (default: --seed node1) | mdns (nothing but the token: mDNS finds node1)
#   STACK3=userspace (default) | tun
source "$(dirname "$0")/lib.sh"
need_tools
source "$HERE/cluster_lib.sh"
[ -x "$DLOG_SERVER" ] || fail "missing $DLOG_SERVER (build first)"
STACK3=${STACK3:-userspace}
JOIN_VIA=${JOIN_VIA:-seed}
NET=192.168.77
cluster_net $NET 3

# mesh_up SECONDS I...: every pair of the given tun nodes pings, within SECONDS.
mesh_up() {
  local limit=$1; shift
  local t0=$SECONDS
  while :; do
    local ok=1
    for a in "$@"; do
      for b in 1 2 3; do
        [ "$a" = "$b" ] && continue
        ip netns exec "dlt$T-n$a" ping -c1 -W1 -q "${ADDR[$b]}" >/dev/null 2>&1 || { ok=0; break 2; }
      done
    done
    [ $ok = 1 ] && { log "  mesh up after $((SECONDS - t0)) s"; return 0; }
    [ $((SECONDS - t0)) -ge "$limit" ] && return 1
    sleep 0.2
  done
}
handshakes() {  # handshakes I: number of peers of node I with a handshake (wg show)
  ip netns exec "dlt$T-n$1" wg show "dl${T}c$1" latest-handshakes | awk '$2 != 0' | wc -l
}

declare -A ADDR
log "node1: --bootstrap"
start_node 1 --stack tun --bootstrap
TOKEN=$(wait_line 1 '^Join token: ' 15 | awk '{print $3}')
ADDR[1]=$(overlay_of 1)
grep -q 'Private key: generated' "$WORK/n1.out" || fail "node1 did not generate keys"
[ "$(stat -c %a "$WORK/d1")" = 700 ] || fail "data dir not 0700"
[ "$(stat -c %a "$WORK/d1/node.key")" = 600 ] || fail "key file not 0600"
log "  token ${TOKEN:0:12}..., node1 at ${ADDR[1]}"

t0=$(date +%s.%N)
if [ "$JOIN_VIA" = mdns ]; then
  log "node2, node3: --join <token> (found by mDNS)"
  start_node 2 --stack tun --join "$TOKEN"
  start_node 3 --stack tun --join "$TOKEN"
else
  log "node2, node3: --join <token> --seed $NET.11:51820"
  start_node 2 --stack tun --join "$TOKEN" --seed $NET.11:51820
  start_node 3 --stack tun --join "$TOKEN" --seed $NET.11:51820
fi
ADDR[2]=$(overlay_of 2)
ADDR[3]=$(overlay_of 3)
log "  overlay: ${ADDR[1]} ${ADDR[2]} ${ADDR[3]}"
[ "${ADDR[1]}" != "${ADDR[2]}" ] && [ "${ADDR[2]}" != "${ADDR[3]}" ] && [ "${ADDR[1]}" != "${ADDR[3]}" ] ||
  fail "overlay addresses collide"
mesh_up 10 1 2 3 || fail "full mesh not up within 10 s of the joins"
log "  full mesh $(python3 -c "import time; print(round(time.time() - $t0, 1))") s after the joins started"
for i in 1 2 3; do
  [ "$(handshakes $i)" = 2 ] || fail "node$i: wg show has no handshake with both peers"
done
for i in 2 3; do
  grep -q 'Cluster ready! Node ID: node-'$i "$WORK/n$i.out" || fail "node$i: no 'Cluster ready!' line"
  grep -q '✓ Tunnel to node-' "$WORK/n$i.out" || fail "node$i: no tunnel line"
done
sed "s/^/    node3| /" "$WORK/n3.out" "$WORK/n3.err" >&2

[ -x "$DLOG" ] || fail "missing $DLOG (build first)"
log "status JSON of node2 (dlog --json status)"
STATUS=$(ip netns exec "dlt$T-n2" "$DLOG" --data-dir "$WORK/d2" --json status | python3 -c '
import json, sys
st = json.load(sys.stdin)
peers = [m for m in st["members"] if not m["self"]]
assert len(st["members"]) == 3, st
assert all(m["last_handshake"] > 0 and m["rx_bytes"] > 0 for m in peers), st
assert all(m["pq"] == "active" for m in peers), st
print(st["overlay"], len(peers))
') || fail "status: $STATUS"
log "  status: $STATUS"
[ "$(stat -c %a "$WORK/d2/admin.sock")" = 600 ] || fail "admin socket not 0600"
if :; then
  log "dlog status: node1's operator (admin.sock) and node2 through the mesh (overlay :8080)"
  ip netns exec "dlt$T-n1" "$DLOG" --data-dir "$WORK/d1" status >"$WORK/st1.txt" 2>&1 || { cat "$WORK/st1.txt" >&2; fail "dlog status (local)"; }
  for i in 2 3; do grep -q "^node-$i .*${ADDR[$i]}.*active" "$WORK/st1.txt" || { cat "$WORK/st1.txt" >&2; fail "dlog status lacks node-$i"; }; done
  ip netns exec "dlt$T-n2" "$DLOG" --node "${ADDR[1]}" status >"$WORK/st2.txt" 2>&1 || { cat "$WORK/st2.txt" >&2; fail "dlog status (mesh)"; }
  grep -q "node-3" "$WORK/st2.txt" || { cat "$WORK/st2.txt" >&2; fail "dlog status through the mesh"; }
  sed 's/^/    dlog status| /' "$WORK/st1.txt" >&2
fi

log "restart node2 with nothing but its data directory"
PUB2=$(ip netns exec "dlt$T-n2" wg show "dl${T}c2" public-key)
kill "$PID2"; wait "$PID2" 2>/dev/null || true
start_node 2 --stack tun
wait_line 2 'Private key: loaded' 10 >/dev/null
A2=$(overlay_of 2)
[ "$A2" = "${ADDR[2]}" ] || fail "node2 came back at $A2, not ${ADDR[2]}"
[ "$(ip netns exec "dlt$T-n2" wg show "dl${T}c2" public-key)" = "$PUB2" ] || fail "node2's key changed"
mesh_up 20 1 2 3 || fail "mesh not back after node2's restart"

if [ "$STACK3" = userspace ]; then
  log "node3 again, on the userspace stack (lwIP, no TUN)"
  kill "$PID3"; wait "$PID3" 2>/dev/null || true
  ip -n "dlt$T-n3" link del "dl${T}c3" 2>/dev/null || true
  start_node 3 --stack userspace
  [ "$(overlay_of 3)" = "${ADDR[3]}" ] || fail "node3 changed address"
  mesh_up 20 1 2 || fail "tun nodes do not reach the userspace node"
fi
log "PASS"
