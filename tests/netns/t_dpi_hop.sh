#!/usr/bin/env bash
# t_dpi_hop.sh — port hopping: a 24-second TCP stream through disguised dlog-wg tunnels
# crosses about eight hops (hop_interval 3 s) without a reset.
#
# Checks, from a capture on the veth:
#   - every datagram goes to and from a port inside port_range (the configured
#     listen-ports 41820/41821 never carry anything: even the first handshake goes to
#     the hop port), with source port = destination port = the epoch's port;
#   - the port changes at the interval: while traffic flows, every change comes within
#     50 ms after an epoch boundary (Unix time a multiple of 3 s), at least 7 of them;
#   - iperf3 finishes its whole stream (no reset, no stall) and both daemons count no
#     dropped datagrams of their peer.
source "$(dirname "$0")/lib.sh"
need_tools
command -v iperf3 >/dev/null || fail "missing tool: iperf3"
command -v tshark >/dev/null || fail "missing tool: tshark"
save_artifacts() { if [ -n "${OUT:-}" ]; then mkdir -p "$OUT"; cp "$WORK"/*.{pcap,txt,stats,log} "$OUT"/ 2>/dev/null || true; fi; }
trap 'save_artifacts; cleanup' EXIT INT TERM

SECRET="$WORK/cluster.key"
(umask 077; head -c 32 /dev/urandom | base64 >"$SECRET")
OPTIONS="port_hopping=true;port_range=[20000,20999];hop_interval=3s;random_padding=true"
A=dlta$TAG B=dltb$TAG IA=wga$TAG IB=wgb$TAG
make_ns "$A"; make_ns "$B"
veth_pair "$A" va "$B" vb
ip -n "$A" addr add 192.168.241.1/24 dev va
ip -n "$B" addr add 192.168.241.2/24 dev vb
DLOG_WG_DISABLE_GSO=1 DLOG_WG_OBFS_SECRET_FILE=$SECRET DLOG_WG_OBFS_OPTIONS=$OPTIONS \
  DLOG_WG_OBFS_STATS_FILE=$WORK/a.stats start_wg dlog "$A" "$IA"
DLOG_WG_DISABLE_GSO=1 DLOG_WG_OBFS_SECRET_FILE=$SECRET DLOG_WG_OBFS_OPTIONS=$OPTIONS \
  DLOG_WG_OBFS_STATS_FILE=$WORK/b.stats start_wg dlog "$B" "$IB"
keypair a; keypair b
ip netns exec "$A" wg set "$IA" private-key "$WORK/a.key" listen-port 41821 \
  peer "$(cat "$WORK/b.pub")" allowed-ips 10.99.0.2/32 endpoint 192.168.241.2:41820
ip netns exec "$B" wg set "$IB" private-key "$WORK/b.key" listen-port 41820 \
  peer "$(cat "$WORK/a.pub")" allowed-ips 10.99.0.1/32
for x in "$A $IA 10.99.0.1" "$B $IB 10.99.0.2"; do
  set -- $x
  ip -n "$1" addr add "$3/24" dev "$2"
  ip -n "$1" link set "$2" mtu 1380 up
done

PCAP=$WORK/hop.pcap
ip netns exec "$A" tcpdump -i va -s 128 -U -n -w "$PCAP" udp >"$WORK/tcpdump.log" 2>&1 &
DUMP=$!
PIDS+=("$DUMP")
sleep 1
ip netns exec "$A" ping -c 2 -W 3 10.99.0.2 >/dev/null || fail "no tunnel"
ip netns exec "$B" iperf3 -s -1 -B 10.99.0.2 >"$WORK/iperf-server.log" 2>&1 &
PIDS+=($!)
SRV=$!
sleep 0.5
ip netns exec "$A" iperf3 -c 10.99.0.2 -t 24 -b 20M -l 1300 -J >"$WORK/iperf.json" 2>"$WORK/iperf-client.log" \
  || { cat "$WORK/iperf-client.log" >&2; fail "iperf3 stream broke"; }
wait "$SRV" || fail "iperf3 server failed"
sleep 0.5
kill -INT "$DUMP"; wait "$DUMP" 2>/dev/null || true

python3 - "$WORK/iperf.json" <<'EOF' || fail "iperf3 stream incomplete"
import json, sys
r = json.load(open(sys.argv[1]))
end = r["end"]
sent, got = end["sum_sent"]["bytes"], end["sum_received"]["bytes"]
secs = end["sum_received"]["seconds"]
intervals = [i["sum"]["bytes"] for i in r["intervals"]]
stalls = sum(1 for b in intervals if b == 0)
print("iperf3: %.1f MB sent, %.1f MB received in %.1f s, %d retransmits, %d empty 1-s intervals"
      % (sent / 1e6, got / 1e6, secs, end["sum_sent"].get("retransmits", -1), stalls),
      file=sys.stderr)
assert secs >= 23 and got >= sent * 0.98, (sent, got, secs)
assert stalls == 0, "the stream stalled"
EOF

tshark -r "$PCAP" -T fields -e frame.time_epoch -e ip.src -e udp.srcport -e udp.dstport \
  2>/dev/null >"$WORK/ports.txt"
python3 - "$WORK/ports.txt" <<'EOF' || fail "hop schedule"
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
assert len(rows) > 1000, len(rows)
for t, src, sp, dp in rows:
    sp, dp = int(sp), int(dp)
    assert 20000 <= sp <= 20999 and 20000 <= dp <= 20999, (src, sp, dp)
# A → B datagrams: the port in use over time, and when it changed.
a = [(float(t), int(dp)) for t, src, sp, dp in rows if src == "192.168.241.1"]
# Changes while traffic flows (the previous datagram < 50 ms before): epochs start at
# Unix times that are multiples of hop_interval, so each must come right after one.
changes = [a[i][0] for i in range(1, len(a))
           if a[i][1] != a[i - 1][1] and a[i][0] - a[i - 1][0] < 0.05]
late = [round(t % 3.0, 3) for t in changes]
gaps = [round(changes[i] - changes[i - 1], 2) for i in range(1, len(changes))]
print("ports used: %d; hops at intervals %s, %s s after the epoch boundary"
      % (len({p for _, p in a}), gaps, late), file=sys.stderr)
assert len(changes) >= 7, changes
assert all(x < 0.05 for x in late), late
assert all(abs(g - 3.0) < 0.1 for g in gaps), gaps
EOF

for side in a b; do
  stats=$WORK/$side.stats
  [ -s "$stats" ] || fail "no stats from $side"
  drops=$(awk '/^drop_/{s += $2} END{print s + 0}' "$stats")
  log "  $side: $(grep -E '^(sealed|opened|drop_tag|drop_replay) ' "$stats" | tr '\n' ' ')"
  [ "$drops" = 0 ] || fail "$side dropped $drops datagrams of its peer"
done
log "PASS port hopping: stream crossed the hops at the interval"
