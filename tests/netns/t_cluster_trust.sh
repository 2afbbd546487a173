#!/usr/bin/env bash
# t_cluster_trust — zero configuration is not zero trust. node1 bootstraps, node2 joins.
# A stranger (namespace 3) that knows node1's address tries to join with a forged token
# (right cluster pin, wrong secret), an expired token, and (namespace 4) a used-up one:
# each is refused, node1 sends it nothing at all (tcpdump on node1's link) and counts the
# refusal, and the stranger learns no member (no state in its data directory). Then a
# valid single-use token admits node3; node2 is removed by the admin command: its tunnels
# go down on every member, and restarted with its data directory it reaches nobody.
source "$(dirname "$0")/lib.sh"
need_tools
source "$HERE/cluster_lib.sh"
[ -x "$DLOG_SERVER" ] || fail "missing $DLOG_SERVER (build first)"
NET=192.168.78
cluster_net $NET 4

[ -x "$DLOG" ] || fail "missing $DLOG (build first)"
dlog_at() {  # dlog_at I ARGS...: the dlog CLI against node I's admin.sock
  local i=$1; shift
  ip netns exec "dlt$T-n$i" "$DLOG" --data-dir "$WORK/d$i" "$@"
}
counter() {  # counter I NAME[|NAME...]: their sum
  dlog_at "$1" --json status |
    python3 -c 'import json,sys; c=json.load(sys.stdin)["counters"]; print(sum(c[n] for n in sys.argv[1].split("|")))' "$2"
}
pings() { ip netns exec "dlt$T-n$1" ping -c1 -W1 -q "$2" >/dev/null 2>&1; }

start_node 1 --bootstrap
TOKEN=$(wait_line 1 '^Join token: ' 15 | awk '{print $3}')
A1=$(wait_line 1 '^WireGuard endpoint: ' 5 | awk '{print $3}')
start_node 2 --join "$TOKEN" --seed $NET.11:51820
A2=$(wait_line 2 '^WireGuard endpoint: ' 30 | awk '{print $3}')
log "node1 $A1, node2 $A2"

# stranger I TOKEN COUNTER: a join with TOKEN from namespace I is refused in silence.
stranger() {
  local i=$1 tok=$2 ctr=$3 before
  before=$(counter 1 "$ctr")
  ip netns exec "dlt$T-n1" timeout 7 tcpdump -i eth0 -n -U -w "$WORK/cap$i.pcap" \
    "udp and src host $NET.11 and dst host $NET.1$i" 2>/dev/null &
  local cap=$!
  sleep 1
  rm -rf "$WORK/d$i"
  start_node "$i" --join "$tok" --seed $NET.11:51820
  local pid=$!
  sleep 4
  grep -q 'Cluster ready' "$WORK/n$i.out" && fail "stranger $i joined with a bad token ($ctr)"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  wait "$cap" 2>/dev/null || true
  local sent
  sent=$(tcpdump -r "$WORK/cap$i.pcap" -n 2>/dev/null | wc -l)
  [ "$sent" = 0 ] || fail "node1 answered the stranger ($ctr): $sent datagrams"
  [ -e "$WORK/d$i/cluster.state" ] && fail "the stranger stored cluster state ($ctr)"
  [ "$(counter 1 "$ctr")" -gt "$before" ] || fail "node1 did not count $ctr"
  log "  refused in silence: $ctr"
}

log "forged token (pin right, secret wrong)"
SECRET=${TOKEN##*.}
FIRST=${SECRET:0:1}; [ "$FIRST" = a ] && NEW=b || NEW=a
FORGED="${TOKEN%.*}.$NEW${SECRET:1}"
stranger 3 "$FORGED" "join_unknown_token|join_bad_aead"

log "expired token"
EXPIRED=$(dlog_at 1 admin token --role node --ttl 1 --uses 5)
case "$EXPIRED" in dlog1.*) ;; *) fail "invite: $EXPIRED" ;; esac
sleep 2
stranger 3 "$EXPIRED" join_expired

log "single-use token admits node3"
ONCE=$(dlog_at 1 admin token --role node --ttl 3600 --uses 1)
rm -rf "$WORK/d3"
start_node 3 --join "$ONCE" --seed $NET.11:51820
A3=$(wait_line 3 '^WireGuard endpoint: ' 30 | awk '{print $3}')
for _ in $(seq 50); do pings 3 "$A1" && pings 3 "$A2" && break; sleep 0.2; done
pings 3 "$A1" && pings 3 "$A2" || fail "node3 does not reach the mesh"
log "used-up token"
stranger 4 "$ONCE" join_used_up

log "remove node2"
PUB2=$(ip netns exec "dlt$T-n2" wg show "dl${T}c2" public-key)
dlog_at 1 admin remove node-2 >/dev/null || fail "remove refused"
for _ in $(seq 50); do
  kill -0 "$PID2" 2>/dev/null || break
  sleep 0.2
done
kill -0 "$PID2" 2>/dev/null && fail "node2 still runs after its removal"
rc=0; wait "$PID2" || rc=$?
[ $rc = 3 ] || fail "node2 exited $rc, not 3 (removed)"
grep -q 'removed from the cluster' "$WORK/n2.out" || fail "node2 did not say it was removed"
for i in 1 3; do
  for _ in $(seq 50); do
    ip netns exec "dlt$T-n$i" wg show "dl${T}c$i" peers | grep -qF "$PUB2" || break
    sleep 0.2
  done
  ip netns exec "dlt$T-n$i" wg show "dl${T}c$i" peers | grep -qF "$PUB2" && fail "node$i still has node2 as a peer"
done
log "  node2 gone from every member; restart it with its data directory"
start_node 2
sleep 3
for a in "$A1" "$A3"; do pings 2 "$a" && fail "removed node2 reaches $a"; done
log "PASS"
