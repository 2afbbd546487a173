#!/usr/bin/env bash
# t_cluster_spoof — mDNS is only a hint. A host on the LAN (namespace 4) answers for the
# cluster with dlog-mdns: it announces an instance with the cluster's pin and node1's real
# WireGuard key at the attacker's own address, and a second instance with a made-up key.
# node2 and node3 join with nothing but the token: the mesh still forms, every tunnel to
# node1 uses node1's true address, neither false key becomes a peer anywhere, and data
# between members never reaches the attacker (tcpdump in namespace 4 sees no WireGuard
# transport datagram while node2 pings node1 and node3).
source "$(dirname "$0")/lib.sh"
source "$HERE/cluster_lib.sh"
need_tools
DLOG_MDNS=${DLOG_MDNS:-$BUILD_DIR/src/programs/dlog-mdns}
for b in "$DLOG_SERVER" "$DLOG_MDNS"; do [ -x "$b" ] || fail "missing $b (build first)"; done
NET=192.168.82
cluster_net $NET 4
EVIL=dlt$T-n4

start_node 1 --bootstrap
TOKEN=$(wait_line 1 '^Join token: ' 15 | awk '{print $3}')
A1=$(overlay_of 1)
PUB1=$(ip netns exec "dlt$T-n1" wg show "dl${T}c1" public-key)
PIN=$(cut -d. -f2 <<<"$TOKEN")
FAKE=$(wg genkey | wg pubkey)
log "attacker at $NET.14 announces node1's key and a made-up key for cluster $PIN"
ip netns exec "$EVIL" timeout 60 "$DLOG_MDNS" announce --name node-1 --port 51820 --host evil-a \
  --txt v=1 --txt "cluster=$PIN" --txt "key=$PUB1" --duration 50 >"$WORK/evil1.log" 2>&1 &
PIDS+=($!)
ip netns exec "$EVIL" timeout 60 "$DLOG_MDNS" announce --name node-9 --port 51820 --host evil-b \
  --txt v=1 --txt "cluster=$PIN" --txt "key=$FAKE" --duration 50 >"$WORK/evil2.log" 2>&1 &
PIDS+=($!)
ip netns exec "$EVIL" timeout 60 tcpdump -n -i eth0 -w "$WORK/evil.pcap" udp port 51820 \
  >/dev/null 2>"$WORK/tcpdump.err" &
DUMP=$!; PIDS+=("$DUMP")
sleep 2  # the announcements are out before the joiners browse

log "node2, node3: --join <token>, nothing else (mDNS)"
start_node 2 --join "$TOKEN"
start_node 3 --join "$TOKEN"
A2=$(overlay_of 2); A3=$(overlay_of 3)
for pair in "2 $A1" "3 $A1" "2 $A3" "1 $A2"; do
  set -- $pair
  reaches "dlt$T-n$1" "$2" 20 || fail "node$1 does not reach $2 with the false announcements up"
done
log "  mesh formed"
for i in 2 3; do
  ep=$(ip netns exec "dlt$T-n$i" wg show "dl${T}c$i" endpoints | awk -v k="$PUB1" '$1 == k {print $2}')
  [ "$ep" = "$NET.11:51820" ] || fail "node$i's tunnel to node1 uses $ep, not $NET.11:51820"
  ip netns exec "dlt$T-n$i" wg show "dl${T}c$i" peers | grep -qxF "$FAKE" && fail "node$i made the made-up key a peer"
  ip netns exec "dlt$T-n$i" wg show "dl${T}c$i" endpoints | grep -q "$NET.14" && fail "node$i has a peer at the attacker's address"
done
log "  tunnels to node1 use its true address; no false key is a peer"

sleep 1
ip netns exec "dlt$T-n2" ping -c 20 -i 0.05 -q "$A1" >/dev/null || fail "ping node2 -> node1"
ip netns exec "dlt$T-n2" ping -c 20 -i 0.05 -q "$A3" >/dev/null || fail "ping node2 -> node3"
# Control: the capture sees what is sent to the attacker (one datagram, not WireGuard).
ip netns exec "dlt$T-n2" python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"probe", ("'$NET.14'", 51820))'
sleep 1
kill -INT "$DUMP" 2>/dev/null; wait "$DUMP" 2>/dev/null || true
# WireGuard transport data (type 4) that reached the attacker, from any member.
data=$(tcpdump -n -r "$WORK/evil.pcap" -x 2>/dev/null | python3 -c '
import re, sys
n, pkt = 0, []
def done():
    global n
    b = bytes.fromhex("".join(pkt))
    if len(b) > 28 and b[28] == 4 and b[29:32] == b"\0\0\0": n += 1
for line in sys.stdin:
    m = re.match(r"\s+0x[0-9a-f]+:\s+((?:[0-9a-f]{4}\s?)+)", line)
    if m: pkt.append(m.group(1).replace(" ", "")); continue
    if pkt: done(); pkt = []
if pkt: done()
print(n)')
all=$(tcpdump -n -r "$WORK/evil.pcap" 2>/dev/null | wc -l)
log "  the attacker received $all datagrams on 51820 (the control and any join attempts), $data of them WireGuard data"
[ "$all" -ge 1 ] || fail "the capture at the attacker saw nothing, not even the control datagram"
[ "$data" = 0 ] || fail "WireGuard data reached the attacker"
log "PASS"
