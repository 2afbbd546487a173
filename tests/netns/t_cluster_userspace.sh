#!/usr/bin/env bash
# t_cluster_userspace — the zero-configuration cluster with every node on the userspace
# stack (lwIP inside dlog-server: no TUN interface at all). node1 bootstraps, node2 and
# node3 join with the token and node1 as seed; within 10 s of the joins every node has a
# WireGuard handshake with both others, PQ PSKs active, and has received data from each
# (membership messages travel inside the tunnels to overlay port 9094); `dlog status`
# reads it on each node's operator socket.
source "$(dirname "$0")/lib.sh"
source "$HERE/cluster_lib.sh"
need_tools
for b in "$DLOG_SERVER" "$DLOG"; do [ -x "$b" ] || fail "missing $b (build first)"; done
NET=192.168.83
cluster_net $NET 3

start_node 1 --bootstrap --stack userspace
TOKEN=$(wait_line 1 '^Join token: ' 15 | awk '{print $3}')
overlay_of 1 >/dev/null
t0=$SECONDS
start_node 2 --join "$TOKEN" --seed $NET.11:51820 --stack userspace
start_node 3 --join "$TOKEN" --seed $NET.11:51820 --stack userspace
for i in 1 2 3; do
  ip -n "dlt$T-n$i" link show "dl${T}c$i" >/dev/null 2>&1 && fail "node$i created a TUN interface"
done
# meshed I: node I's status shows both other members with a handshake, bytes and PQ.
meshed() {
  ip netns exec "dlt$T-n$1" "$DLOG" --data-dir "$WORK/d$1" --json status 2>/dev/null | python3 -c '
import json, sys
st = json.load(sys.stdin)
peers = [m for m in st["members"] if not m["self"]]
ok = st["stack"] == "userspace" and len(peers) == 2 and all(
    m["last_handshake"] > 0 and m["rx_bytes"] > 0 and m["pq"] == "active" for m in peers)
sys.exit(0 if ok else 1)'
}
until meshed 1 && meshed 2 && meshed 3; do
  if [ $((SECONDS - t0)) -ge 10 ]; then
    for i in 1 2 3; do ip netns exec "dlt$T-n$i" "$DLOG" --data-dir "$WORK/d$i" status >&2; done
    fail "no full userspace mesh within 10 s of the joins"
  fi
  sleep 0.2
done
log "full userspace mesh (handshakes, data, PQ active on every pair) $((SECONDS - t0)) s after the joins"
ip netns exec "dlt$T-n2" "$DLOG" --data-dir "$WORK/d2" status | sed 's/^/    node2| /' >&2
log "PASS"
