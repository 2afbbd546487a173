#!/usr/bin/env bash
# dpi_netns.sh — cost of each DPI option: TCP throughput (iperf3) and round trip (ping)
# through dlog-wg between two network namespaces, plain WireGuard and each option on
# its own and all together, in the same run on the same machine.
#
#   BUILD_DIR=build bash bench/dpi_netns.sh            (root; DUR=10 s per iperf3 run,
#                                                       ROUNDS=3 rounds of every config)
#   BUILD_DIR=build AB=5 bash bench/dpi_netns.sh       (only plain vs disguise + padding,
#                                                       alternately, 5 rounds)
#   BUILD_DIR=build PAR=5 bash bench/dpi_netns.sh      (plain and disguise + padding side
#                                                       by side, at the same time, 5 rounds)
#
# Every configuration gets fresh namespaces and daemons; the tunnel MTU is 1380 in all
# of them (room for the disguise's overhead and some padding under a 1500-byte path),
# and plain WireGuard is also measured at its usual 1420. UDP GSO/GRO stay as dlog-wg
# chooses (on). Shaping is measured at target_rate 100mbit: its throughput is the rate.
# The configurations run round-robin, ROUNDS times, and the table shows medians: load
# from other work on the host drifts over minutes, and round-robin spreads it over all of
# them. The CPU time both daemons spent per byte carried (from /proc/PID/stat) is shown
# beside the throughput, being less sensitive to that load. Output: a line per run, and a
# Markdown table in $OUT/dpi-bench.md.
source "$(dirname "$0")/../tests/netns/lib.sh"
need_tools
command -v iperf3 >/dev/null || fail "missing tool: iperf3"
DUR=${DUR:-10}
ROUNDS=${ROUNDS:-3}
OUT=${OUT:-$WORK}
mkdir -p "$OUT"
SECRET="$WORK/cluster.key"
(umask 077; head -c 32 /dev/urandom | base64 >"$SECRET")

# daemon_ticks PID...: user + system clock ticks the processes have used.
daemon_ticks() {
  local t=0 p
  for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
  echo "$t"
}

# tunnel_up NAME MTU OPTIONS — namespaces dlba$N/dlbb$N with dlog-wg at both ends
# (OPTIONS "-" for plain WireGuard), the tunnel up. Sets A B DAEMONS.
N=0
tunnel_up() {
  local name=$1 mtu=$2 options=$3
  N=$((N + 1))
  A=dlba$N$TAG B=dlbb$N$TAG
  local IA=wba$N$TAG IB=wbb$N$TAG
  make_ns "$A"; make_ns "$B"
  veth_pair "$A" va "$B" vb
  ip -n "$A" addr add 192.168.241.1/24 dev va
  ip -n "$B" addr add 192.168.241.2/24 dev vb
  DAEMONS=()
  for side in a b; do
    local ns=$A ifn=$IA
    [ $side = b ] && ns=$B ifn=$IB
    if [ "$options" = - ]; then
      start_wg dlog "$ns" "$ifn"
    else
      DLOG_WG_OBFS_SECRET_FILE=$SECRET DLOG_WG_OBFS_OPTIONS=$options start_wg dlog "$ns" "$ifn"
    fi
    DAEMONS+=("${PIDS[-1]}")
  done
  keypair "b$N-a"; keypair "b$N-b"
  ip netns exec "$A" wg set "$IA" private-key "$WORK/b$N-a.key" listen-port 41821 \
    peer "$(cat "$WORK/b$N-b.pub")" allowed-ips 10.99.0.2/32 endpoint 192.168.241.2:41820
  ip netns exec "$B" wg set "$IB" private-key "$WORK/b$N-b.key" listen-port 41820 \
    peer "$(cat "$WORK/b$N-a.pub")" allowed-ips 10.99.0.1/32
  ip -n "$A" addr add 10.99.0.1/24 dev "$IA"; ip -n "$A" link set "$IA" mtu "$mtu" up
  ip -n "$B" addr add 10.99.0.2/24 dev "$IB"; ip -n "$B" link set "$IB" mtu "$mtu" up
  # A tunnel that does not come up within the first handshake's 5 s is retried (WireGuard
  # resends its initiation), counted and reported; a third failure ends the run.
  local tries=0
  until ip netns exec "$A" ping -c 2 -W 3 10.99.0.2 >/dev/null; do
    tries=$((tries + 1))
    cp "$WORK/$IA.log" "$OUT/no-tunnel-$N-a.log"; cp "$WORK/$IB.log" "$OUT/no-tunnel-$N-b.log"
    log "$name: no tunnel after attempt $tries (daemon logs in $OUT/no-tunnel-$N-*.log)"
    [ "$tries" -lt 3 ] || fail "$name: no tunnel"
  done
}

# tunnel_down NS...: ends the processes of the namespaces and deletes them.
tunnel_down() {
  for ns in "$@"; do ip netns pids "$ns" | xargs -r kill 2>/dev/null || true; done
  sleep 0.5
  for ns in "$@"; do ip netns del "$ns"; done
}

# run NAME MTU OPTIONS — one configuration alone: iperf3 for DUR s, then 50 pings.
run() {
  local name=$1 mtu=$2
  tunnel_up "$@"
  local daemons=("${DAEMONS[@]}")
  local r bytes cpu0 cpu1 cpu_ns_per_byte
  ip netns exec "$B" iperf3 -s -1 -B 10.99.0.2 >/dev/null 2>&1 &
  local srv=$!
  PIDS+=("$srv")
  sleep 0.3
  cpu0=$(daemon_ticks "${daemons[@]}")
  read -r r bytes < <(ip netns exec "$A" iperf3 -c 10.99.0.2 -t "$DUR" -J 2>/dev/null |
    python3 -c 'import json,sys; e=json.load(sys.stdin)["end"]["sum_received"]; print(int(e["bits_per_second"]), int(e["bytes"]))')
  cpu1=$(daemon_ticks "${daemons[@]}")
  wait "$srv" 2>/dev/null || true
  # CPU time of both daemons per byte carried.
  cpu_ns_per_byte=$(echo "($cpu1 - $cpu0) * 1000000000 / $(getconf CLK_TCK) / $bytes" | bc -l)
  local bps=$r
  local rtt
  rtt=$(ip netns exec "$A" ping -c 50 -i 0.02 -q 10.99.0.2 | awk -F/ '/^rtt/{print $5}')
  printf '%-28s %8.0f Mbit/s  %5.2f CPU ns/byte  rtt %s ms\n' "$name" \
    "$(echo "$bps / 1000000" | bc -l)" "$cpu_ns_per_byte" "$rtt" >&2
  echo "$name|$mtu|$bps|$cpu_ns_per_byte|$rtt" >>"$WORK/results.txt"
  # Tear this configuration down before the next, so runs do not share the CPU.
  tunnel_down "$A" "$B"
}

: >"$WORK/results.txt"
if [ "${PAR:-0}" -gt 0 ]; then
  # Side by side: plain WireGuard and disguise + padding in two pairs of namespaces at the
  # same time, one iperf3 stream each, PAR rounds. Both see the same load from the rest of
  # the host at every instant and share the cores evenly (the same threads on each side),
  # so the ratio of their throughputs is the inverse ratio of the CPU each needs per byte
  # — the cost of the disguise — even on a shared machine whose load drifts.
  log "side by side: plain vs disguise + padding, $PAR rounds of $DUR s"
  for i in $(seq "$PAR"); do
    tunnel_up "plain WireGuard" 1380 -
    PA=$A PB=$B
    tunnel_up "disguise + padding" 1380 "random_padding=true"
    DA=$A DB=$B
    ip netns exec "$PB" iperf3 -s -1 -B 10.99.0.2 >/dev/null 2>&1 &
    PIDS+=($!)
    ip netns exec "$DB" iperf3 -s -1 -B 10.99.0.2 >/dev/null 2>&1 &
    PIDS+=($!)
    sleep 0.5
    ip netns exec "$PA" iperf3 -c 10.99.0.2 -t "$DUR" -J >"$WORK/par-plain.json" 2>/dev/null &
    p1=$!
    ip netns exec "$DA" iperf3 -c 10.99.0.2 -t "$DUR" -J >"$WORK/par-dpi.json" 2>/dev/null &
    p2=$!
    wait "$p1" "$p2" || true
    python3 - "$WORK/par-plain.json" "$WORK/par-dpi.json" <<'EOF' | tee -a "$WORK/par.txt" >&2
import json, sys
p, d = (json.load(open(f))["end"]["sum_received"]["bits_per_second"] for f in sys.argv[1:])
print("%.0f %.0f %.4f" % (p / 1e6, d / 1e6, d / p))
EOF
    tunnel_down "$PA" "$PB" "$DA" "$DB"
  done
  python3 - "$WORK/par.txt" <<'EOF' | tee "$OUT/dpi-par.md" >&2
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
ratios = [float(r[2]) for r in rows]
print("side by side, %d rounds: plain %s Mbit/s; disguise + padding %s Mbit/s" %
      (len(rows), " ".join(r[0] for r in rows), " ".join(r[1] for r in rows)))
print("disguised/plain per round: %s; median %.3f: cost of disguise + padding %+.1f%%" %
      (" ".join("%.3f" % x for x in ratios), statistics.median(ratios),
       100 * (statistics.median(ratios) - 1)))
EOF
  exit 0
fi
if [ "${AB:-0}" -gt 0 ]; then
  # A/B: plain WireGuard and disguise + padding alternately, AB rounds each, one iperf3
  # run per round; the medians tell the cost with the host's load drifting under both.
  log "A/B: plain vs disguise + padding, $AB rounds of $DUR s each"
  for i in $(seq "$AB"); do
    run "plain WireGuard" 1380 -
    run "disguise + padding" 1380 "random_padding=true"
  done
  python3 - "$WORK/results.txt" <<'EOF' | tee "$OUT/dpi-ab.md" >&2
import statistics, sys
rows = [l.strip().split("|") for l in open(sys.argv[1]) if l.strip()]
get = lambda name, col: [float(r[col]) for r in rows if r[0] == name]
pt, dt = get("plain WireGuard", 2), get("disguise + padding", 2)
pc, dc = get("plain WireGuard", 3), get("disguise + padding", 3)
print("plain:     throughput median %.0f Mbit/s (%s), CPU %.2f ns/byte" %
      (statistics.median(pt) / 1e6, " ".join("%.0f" % (x / 1e6) for x in pt), statistics.median(pc)))
print("disguised: throughput median %.0f Mbit/s (%s), CPU %.2f ns/byte" %
      (statistics.median(dt) / 1e6, " ".join("%.0f" % (x / 1e6) for x in dt), statistics.median(dc)))
print("cost of disguise + padding: throughput %+.1f%%, CPU per byte %+.1f%%" %
      (100 * (statistics.median(dt) / statistics.median(pt) - 1),
       100 * (statistics.median(dc) / statistics.median(pc) - 1)))
EOF
  exit 0
fi
log "DPI options: $ROUNDS rounds of every configuration: $DUR s iperf3 TCP, 50 pings"
for round in $(seq "$ROUNDS"); do
  run "plain WireGuard (MTU 1420)" 1420 -
  run "plain WireGuard" 1380 -
  run "disguise" 1380 "dpi_resistance=true"
  run "disguise + padding" 1380 "random_padding=true"
  run "disguise + hopping (5s)" 1380 "port_hopping=true;hop_interval=5s"
  run "disguise + decoys 0.2" 1380 "decoy_traffic=true;decoy_ratio=0.2"
  run "disguise + shaping 100mbit" 1380 "traffic_shaping=true;target_rate=100mbit"
  run "all four" 1380 \
    "random_padding=true;port_hopping=true;hop_interval=5s;decoy_traffic=true;traffic_shaping=true;target_rate=100mbit"
done

python3 - "$WORK/results.txt" "$(nproc)" "$DUR" "$ROUNDS" >"$OUT/dpi-bench.md" <<'EOF'
import statistics, sys
rows = [l.strip().split("|") for l in open(sys.argv[1]) if l.strip()]
names = list(dict.fromkeys(r[0] for r in rows))  # in order of first appearance
med = {}
for n in names:
    rs = [r for r in rows if r[0] == n]
    med[n] = (rs[0][1], statistics.median(float(r[2]) for r in rs),
              statistics.median(float(r[3]) for r in rs),
              statistics.median(float(r[4]) for r in rs), [float(r[2]) / 1e6 for r in rs])
_, base, base_cpu, _, _ = med["plain WireGuard"]
print("| configuration | tunnel MTU | TCP throughput (median) | vs plain (MTU 1380) "
      "| runs (Mbit/s) | dlog-wg CPU per byte (both ends) | vs plain | ping RTT avg |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
for n in names:
    mtu, bps, cpu, rtt, runs = med[n]
    print("| %s | %s | %.0f Mbit/s | %+.1f%% | %s | %.2f ns | %+.1f%% | %.3f ms |" % (
        n, mtu, bps / 1e6, 100.0 * (bps - base) / base, " ".join("%.0f" % x for x in runs),
        cpu, 100.0 * (cpu - base_cpu) / base_cpu, rtt))
print("\n%s cores; iperf3 -t %s; medians of %s rounds, configurations round-robin; "
      "namespaces joined by a veth." % tuple(sys.argv[2:]))
EOF
cat "$OUT/dpi-bench.md" >&2
