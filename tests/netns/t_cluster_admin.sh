#!/usr/bin/env bash
# t_cluster_admin — a stock WireGuard client as an admin member. Two dlog-server nodes
# form a cluster; `dlog admin invite --role admin` on node1's operator socket prints a
# wg-quick configuration (and a QR code). In a third namespace, stock wireguard-go with
# `wg-quick up` of that file reaches both nodes' overlay addresses; from there, `dlog
# --node <overlay>` shows the cluster's status through the mesh (port 8080, inside
# WireGuard) and may create a join token (an admin's right); `wg show` has handshakes
# with both nodes. `dlog admin remove` takes the admin out: its tunnels go down on both
# nodes, and the admin's requests go unanswered.
source "$(dirname "$0")/lib.sh"
source "$HERE/cluster_lib.sh"
need_tools
command -v wg-quick >/dev/null || fail "missing wg-quick (wireguard-tools)"
[ -x "$DLOG_SERVER" ] || fail "missing $DLOG_SERVER (build first)"
[ -x "$DLOG" ] || fail "missing $DLOG (build first)"
NET=192.168.79
cluster_net $NET 3
ADM=dlt$T-n3

log "node1 bootstraps, node2 joins"
start_node 1 --bootstrap
TOKEN=$(wait_line 1 '^Join token: ' 15 | awk '{print $3}')
A1=$(overlay_of 1)
start_node 2 --join "$TOKEN" --seed $NET.11:51820
A2=$(overlay_of 2)
reaches "dlt$T-n1" "$A2" 15 || fail "node1 does not reach node2"

log "dlog admin invite --role admin on node1's operator socket"
ip netns exec "dlt$T-n1" "$DLOG" --data-dir "$WORK/d1" admin invite --role admin --name laptop \
  --qr -o "$WORK/wga$T.conf" >"$WORK/invite.out" 2>&1 || { cat "$WORK/invite.out" >&2; fail "invite"; }
[ "$(stat -c %a "$WORK/wga$T.conf")" = 600 ] || fail "configuration file not 0600"
grep -q "█" "$WORK/invite.out" || fail "no QR code printed"
grep -q "^Address = 10\.0\.0\.[0-9]*/32$" "$WORK/wga$T.conf" || fail "no overlay address: $(grep -v Key "$WORK/wga$T.conf")"
[ "$(grep -c '^\[Peer\]' "$WORK/wga$T.conf")" = 2 ] || fail "expected both nodes as peers"
AADM=$(awk '/^Address/ {print $3}' "$WORK/wga$T.conf"); AADM=${AADM%/32}
log "  admin gets $AADM; peers: $(grep -c '^\[Peer\]' "$WORK/wga$T.conf") nodes"

log "stock wireguard-go: wg-quick up"
IFACES+=("wga$T")
ip netns exec "$ADM" env -u WG_PROCESS_FOREGROUND WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go \
  wg-quick up "$WORK/wga$T.conf" >"$WORK/wgquick.out" 2>&1 ||
  { cat "$WORK/wgquick.out" >&2; grep -v Key "$WORK/wga$T.conf" >&2; fail "wg-quick up"; }
for a in "$A1" "$A2"; do
  reaches "$ADM" "$a" 15 || fail "the admin does not reach $a: $(ip netns exec "$ADM" wg show)"
done
[ "$(ip netns exec "$ADM" wg show "wga$T" latest-handshakes | awk '$2 != 0' | wc -l)" = 2 ] ||
  fail "wg show: no handshake with both nodes"
log "  both nodes reached through stock WireGuard"

log "dlog --node $A2 status and admin token, from the admin's namespace"
ip netns exec "$ADM" "$DLOG" --node "$A2" status >"$WORK/st.txt" 2>&1 || { cat "$WORK/st.txt" >&2; fail "dlog status through the mesh"; }
grep -q "laptop .*admin .*$AADM" "$WORK/st.txt" || { cat "$WORK/st.txt" >&2; fail "status lacks the admin member"; }
grep -q "node-1 .*node .*$A1" "$WORK/st.txt" || { cat "$WORK/st.txt" >&2; fail "status lacks node-1"; }
sed 's/^/    dlog status| /' "$WORK/st.txt" >&2
NEWTOK=$(ip netns exec "$ADM" "$DLOG" --node "$A1" admin token --role client) || fail "admin token: $NEWTOK"
[[ "$NEWTOK" == dlog1.* ]] || fail "not a token: $NEWTOK"

log "dlog admin remove laptop: its tunnels go down"
ip netns exec "dlt$T-n1" "$DLOG" --data-dir "$WORK/d1" admin remove laptop >/dev/null || fail "remove"
t0=$SECONDS
while reaches "$ADM" "$A1" 1 || reaches "$ADM" "$A2" 1; do
  [ $((SECONDS - t0)) -ge 15 ] && fail "the removed admin still reaches a node after 15 s"
done
log "  removed admin reaches no node $((SECONDS - t0)) s after the removal"
if ip netns exec "$ADM" timeout 5 "$DLOG" --node "$A1" status >/dev/null 2>&1; then
  fail "the removed admin still gets status"
fi
ip netns exec "$ADM" wg-quick down "$WORK/wga$T.conf" >/dev/null 2>&1 || true
log "PASS"
