#!/usr/bin/env bash
# t_dpi_rate.sh — traffic shaping and decoys, measured on the wire.
#
#   shaping (target_rate 8mbit, padding on): from a capture on the veth, a→b carries
#     8 Mbit/s of UDP payload (± 10%) while the tunnel is idle (cover only), while it
#     carries a ping every 100 ms, and while a TCP transfer tries to go as fast as it can.
#   decoys (decoy_ratio 0.2): over a 20 s TCP stream plus pings, the datagrams a sends
#     (counted in the capture) exceed the real ones (a's `sealed` counter) by 0.2 ± 10%,
#     and b discards exactly the decoys a sent.
source "$(dirname "$0")/lib.sh"
need_tools
command -v iperf3 >/dev/null || fail "missing tool: iperf3"
command -v tshark >/dev/null || fail "missing tool: tshark"
save_artifacts() { if [ -n "${OUT:-}" ]; then mkdir -p "$OUT"; cp "$WORK"/*.{txt,stats,log} "$OUT"/ 2>/dev/null || true; fi; }
trap 'save_artifacts; cleanup' EXIT INT TERM

SECRET="$WORK/cluster.key"
(umask 077; head -c 32 /dev/urandom | base64 >"$SECRET")

# tunnel MODE OPTIONS: namespaces dlt<m>a/b with dlog-wg disguised by OPTIONS; starts a
# capture of a's veth into $WORK/MODE.pcap before the first datagram. Sets A B DUMP.
tunnel() {
  local mode=$1 options=$2
  A=dlt${mode:0:1}a$TAG B=dlt${mode:0:1}b$TAG
  local IA=w${mode:0:1}a$TAG IB=w${mode:0:1}b$TAG
  make_ns "$A"; make_ns "$B"
  veth_pair "$A" va "$B" vb
  ip -n "$A" addr add 192.168.241.1/24 dev va
  ip -n "$B" addr add 192.168.241.2/24 dev vb
  for side in a b; do
    local ns=$A ifn=$IA
    [ $side = b ] && ns=$B ifn=$IB
    DLOG_WG_DISABLE_GSO=1 DLOG_WG_OBFS_SECRET_FILE=$SECRET DLOG_WG_OBFS_OPTIONS=$options \
      DLOG_WG_OBFS_STATS_FILE=$WORK/$mode-$side.stats start_wg dlog "$ns" "$ifn"
  done
  ip netns exec "$A" tcpdump -i va -s 64 -B 16384 -n -w "$WORK/$mode.pcap" udp \
    >"$WORK/$mode-tcpdump.log" 2>&1 &
  DUMP=$!
  PIDS+=("$DUMP")
  sleep 1
  keypair "$mode-a"; keypair "$mode-b"
  ip netns exec "$A" wg set "$IA" private-key "$WORK/$mode-a.key" listen-port 41821 \
    peer "$(cat "$WORK/$mode-b.pub")" allowed-ips 10.99.0.2/32 endpoint 192.168.241.2:41820
  ip netns exec "$B" wg set "$IB" private-key "$WORK/$mode-b.key" listen-port 41820 \
    peer "$(cat "$WORK/$mode-a.pub")" allowed-ips 10.99.0.1/32
  ip -n "$A" addr add 10.99.0.1/24 dev "$IA"; ip -n "$A" link set "$IA" mtu 1380 up
  ip -n "$B" addr add 10.99.0.2/24 dev "$IB"; ip -n "$B" link set "$IB" mtu 1380 up
  ip netns exec "$A" ping -c 2 -W 3 10.99.0.2 >/dev/null || fail "$mode: no tunnel"
}

# After a pause, so tcpdump has drained its ring buffer.
stop_capture() { sleep 2; kill -INT "$DUMP"; wait "$DUMP" 2>/dev/null || true; }

# a→b datagrams of MODE's capture: "time udp_payload_bytes" per line.
a_to_b() {
  tshark -r "$WORK/$1.pcap" -Y 'ip.src == 192.168.241.1' -T fields -e frame.time_epoch \
    -e udp.length 2>/dev/null | awk '{print $1, $2 - 8}'
}

mark() { date +%s.%N >>"$WORK/$1-marks.txt"; }

# ---------------------------------------------------------------- shaping
tunnel shaping "traffic_shaping=true;target_rate=8mbit;random_padding=true"
: >"$WORK/shaping-marks.txt"
sleep 1; mark shaping; sleep 5; mark shaping                      # idle
ip netns exec "$A" ping -c 50 -i 0.1 -W 2 10.99.0.2 >/dev/null &
PING=$!
sleep 0.2; mark shaping; sleep 4; mark shaping                    # light
wait "$PING" || fail "shaping: pings lost"
ip netns exec "$B" iperf3 -s -1 -B 10.99.0.2 >/dev/null 2>&1 &
PIDS+=($!)
sleep 0.5
ip netns exec "$A" iperf3 -c 10.99.0.2 -t 8 -J >"$WORK/shaping-iperf.json" 2>&1 &
IPERF=$!
sleep 2; mark shaping; sleep 5; mark shaping                      # saturated
wait "$IPERF" || fail "shaping: TCP through the shaper failed"
stop_capture
a_to_b shaping >"$WORK/shaping-a2b.txt"
python3 - "$WORK/shaping-a2b.txt" "$WORK/shaping-marks.txt" "$WORK/shaping-iperf.json" <<'EOF' \
  || fail "shaped rate"
import json, sys
rows = [(float(t), int(n)) for t, n in (l.split() for l in open(sys.argv[1]) if l.strip())]
m = [float(l) for l in open(sys.argv[2]) if l.strip()]
goodput = json.load(open(sys.argv[3]))["end"]["sum_received"]["bits_per_second"]
for name, (t0, t1) in zip(["idle", "pings", "saturated"], [m[0:2], m[2:4], m[4:6]]):
    b = sum(n for t, n in rows if t0 <= t < t1)
    rate = b * 8 / (t1 - t0)
    print("%-9s a->b %.2f Mbit/s of UDP payload (target 8)" % (name, rate / 1e6), file=sys.stderr)
    assert abs(rate - 8e6) <= 0.8e6, (name, rate)
print("TCP goodput through the shaper: %.2f Mbit/s" % (goodput / 1e6), file=sys.stderr)
assert goodput < 8e6, goodput
EOF
log "  shaping: $(grep -E '^(sealed|cover_sent|shaping_dropped) ' "$WORK/shaping-a.stats" | tr '\n' ' ')"

# ---------------------------------------------------------------- decoys
tunnel decoys "decoy_traffic=true;decoy_ratio=0.2;random_padding=true"
ip netns exec "$A" ping -c 100 -i 0.05 -W 2 10.99.0.2 >/dev/null || fail "decoys: pings"
ip netns exec "$B" iperf3 -s -1 -B 10.99.0.2 >/dev/null 2>&1 &
PIDS+=($!)
sleep 0.5
ip netns exec "$A" iperf3 -c 10.99.0.2 -t 20 -b 30M -l 1300 >/dev/null 2>&1 || fail "decoys: iperf3"
sleep 0.5
stop_capture  # after 2 s: the stats files (rewritten every second) are final too
wire=$(a_to_b decoys | wc -l)
sealed=$(awk '$1 == "sealed" {print $2}' "$WORK/decoys-a.stats")
decoys=$(awk '$1 == "decoys_sent" {print $2}' "$WORK/decoys-a.stats")
chaff=$(awk '$1 == "chaff_received" {print $2}' "$WORK/decoys-b.stats")
python3 - "$wire" "$sealed" "$decoys" "$chaff" <<'EOF' || fail "decoy ratio"
import sys
wire, sealed, decoys, chaff = map(int, sys.argv[1:])
ratio = (wire - sealed) / sealed
print("decoys: %d datagrams on the wire, %d real: measured ratio %.4f (setting 0.2); "
      "a counted %d decoys, b discarded %d" % (wire, sealed, ratio, decoys, chaff), file=sys.stderr)
assert sealed > 10000, sealed
assert abs(ratio - 0.2) <= 0.02, ratio
assert wire >= (sealed + decoys) * 0.998, "the capture lost datagrams"
assert chaff == decoys, "b discarded every decoy and nothing else"
EOF
log "PASS shaping holds the target rate; decoys at the configured ratio"
