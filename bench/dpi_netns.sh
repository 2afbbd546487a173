#!/usr/bin/env bash
# dpi_netns.sh — cost of each DPI option: TCP throughput (iperf3) and round trip (ping)
# through dlog-wg between two network namespaces, plain WireGuard and each option on
# its own and all together, in the same run on the same machine.
#
#   BUILD_DIR=build bash bench/dpi_netns.sh            (root; DUR=10 s per iperf3 run)
#
# Every configuration gets fresh namespaces and daemons; the tunnel MTU is 1380 in all
# of them (room for the disguise's overhead and some padding under a 1500-byte path),
# and plain WireGuard is also measured at its usual 1420. UDP GSO/GRO stay as dlog-wg
# chooses (on). Shaping is measured at target_rate 100mbit: its throughput is the rate.
# Throughput is the best of REPEAT runs; the CPU time both daemons spent per byte carried
# (from /proc/PID/stat) is reported beside it, being far less sensitive to other load on
# the host. Output: a line per configuration, and a Markdown table in $OUT/dpi-bench.md.
source "$(dirname "$0")/../tests/netns/lib.sh"
need_tools
command -v iperf3 >/dev/null || fail "missing tool: iperf3"
DUR=${DUR:-10}
REPEAT=${REPEAT:-2}
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

# run NAME MTU OPTIONS — OPTIONS "-" for plain WireGuard.
N=0
run() {
  local name=$1 mtu=$2 options=$3
  N=$((N + 1))
  local A=dlba$N$TAG B=dlbb$N$TAG IA=wba$N$TAG IB=wbb$N$TAG
  make_ns "$A"; make_ns "$B"
  veth_pair "$A" va "$B" vb
  ip -n "$A" addr add 192.168.241.1/24 dev va
  ip -n "$B" addr add 192.168.241.2/24 dev vb
  local daemons=()
  for side in a b; do
    local ns=$A ifn=$IA
    [ $side = b ] && ns=$B ifn=$IB
    if [ "$options" = - ]; then
      start_wg dlog "$ns" "$ifn"
    else
      DLOG_WG_OBFS_SECRET_FILE=$SECRET DLOG_WG_OBFS_OPTIONS=$options start_wg dlog "$ns" "$ifn"
    fi
    daemons+=("${PIDS[-1]}")
  done
  keypair "b$N-a"; keypair "b$N-b"
  ip netns exec "$A" wg set "$IA" private-key "$WORK/b$N-a.key" listen-port 41821 \
    peer "$(cat "$WORK/b$N-b.pub")" allowed-ips 10.99.0.2/32 endpoint 192.168.241.2:41820
  ip netns exec "$B" wg set "$IB" private-key "$WORK/b$N-b.key" listen-port 41820 \
    peer "$(cat "$WORK/b$N-a.pub")" allowed-ips 10.99.0.1/32
  ip -n "$A" addr add 10.99.0.1/24 dev "$IA"; ip -n "$A" link set "$IA" mtu "$mtu" up
  ip -n "$B" addr add 10.99.0.2/24 dev "$IB"; ip -n "$B" link set "$IB" mtu "$mtu" up
  ip netns exec "$A" ping -c 2 -W 3 10.99.0.2 >/dev/null || fail "$name: no tunnel"

  local best=0 r bytes cpu0 cpu1 cpu_ns_per_byte=0
  for _ in $(seq "$REPEAT"); do
    ip netns exec "$B" iperf3 -s -1 -B 10.99.0.2 >/dev/null 2>&1 &
    local srv=$!
    PIDS+=("$srv")
    sleep 0.3
    cpu0=$(daemon_ticks "${daemons[@]}")
    read -r r bytes < <(ip netns exec "$A" iperf3 -c 10.99.0.2 -t "$DUR" -J 2>/dev/null |
      python3 -c 'import json,sys; e=json.load(sys.stdin)["end"]["sum_received"]; print(int(e["bits_per_second"]), int(e["bytes"]))')
    cpu1=$(daemon_ticks "${daemons[@]}")
    wait "$srv" 2>/dev/null || true
    if [ "$r" -gt "$best" ]; then
      best=$r
      # CPU time of both daemons per byte carried: insensitive to other load on the host.
      cpu_ns_per_byte=$(echo "($cpu1 - $cpu0) * 1000000000 / $(getconf CLK_TCK) / $bytes" | bc -l)
    fi
  done
  local rtt
  rtt=$(ip netns exec "$A" ping -c 50 -i 0.02 -q 10.99.0.2 | awk -F/ '/^rtt/{print $5}')
  printf '%-28s %8.0f Mbit/s  %5.2f CPU ns/byte  rtt %s ms\n' "$name" \
    "$(echo "$best / 1000000" | bc -l)" "$cpu_ns_per_byte" "$rtt" >&2
  echo "$name|$mtu|$best|$cpu_ns_per_byte|$rtt" >>"$WORK/results.txt"
  # Tear this configuration down before the next, so runs do not share the CPU.
  for ns in "$A" "$B"; do ip netns pids "$ns" | xargs -r kill 2>/dev/null; done
  sleep 0.5
  ip netns del "$A"; ip netns del "$B"
}

: >"$WORK/results.txt"
log "DPI options: $DUR s iperf3 TCP (best of $REPEAT) and 50 pings per configuration"
run "plain WireGuard (MTU 1420)" 1420 -
run "plain WireGuard" 1380 -
run "disguise" 1380 "dpi_resistance=true"
run "disguise + padding" 1380 "random_padding=true"
run "disguise + hopping (5s)" 1380 "port_hopping=true;hop_interval=5s"
run "disguise + decoys 0.2" 1380 "decoy_traffic=true;decoy_ratio=0.2"
run "disguise + shaping 100mbit" 1380 "traffic_shaping=true;target_rate=100mbit"
run "all four" 1380 \
  "random_padding=true;port_hopping=true;hop_interval=5s;decoy_traffic=true;traffic_shaping=true;target_rate=100mbit"

python3 - "$WORK/results.txt" "$(nproc)" "$DUR" "$REPEAT" >"$OUT/dpi-bench.md" <<'EOF'
import sys
rows = [l.strip().split("|") for l in open(sys.argv[1]) if l.strip()]
plain = next(r for r in rows if r[0] == "plain WireGuard" and r[1] == "1380")
base, base_cpu = int(plain[2]), float(plain[3])
print("| configuration | tunnel MTU | TCP throughput | vs plain (MTU 1380) "
      "| dlog-wg CPU per byte (both ends) | vs plain | ping RTT avg |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for name, mtu, bps, cpu, rtt in rows:
    print("| %s | %s | %.0f Mbit/s | %+.1f%% | %.2f ns | %+.1f%% | %s ms |" % (
        name, mtu, int(bps) / 1e6, 100.0 * (int(bps) - base) / base, float(cpu),
        100.0 * (float(cpu) - base_cpu) / base_cpu, rtt))
print("\n%s cores; iperf3 -t %s, best of %s; namespaces joined by a veth." % tuple(sys.argv[2:]))
EOF
cat "$OUT/dpi-bench.md" >&2
