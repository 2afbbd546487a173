#!/usr/bin/env bash
# stack_netns.sh — TCP throughput and round trip through the userspace stack (lwIP)
# against the kernel stack (what `tun` uses), in one run, over the same packet path.
#
#   userspace:  kernel client (ns U) → TUN → stack_peer: lwIP server (UserspaceStack,
#               InputMode::kQueued: packets posted to lwIP's tcpip thread)
#   inline:     the same with InputMode::kInline (lwIP input in the TUN reader's thread)
#   kernel:     kernel client (ns K1) → TUN → stack_peer relay → TUN → kernel server (ns K2,
#               KernelStack)
# Both paths cross exactly one userspace process that reads and writes IP packets on
# TUNs, so the difference is lwIP (in that process) against the kernel's TCP (behind a
# second TUN). Client and server are the same program (tests/stack_peer) in both.
#
# Measures: send (client → server sink, MB/s), recv (server source → client, MB/s) and
# ping-pong of 64-byte messages through the echo service (µs per round trip). Each
# number is the median of RUNS rounds; each round measures the three paths one after
# the other (round-robin), so load changes hit all three alike. Prints ratios to kernel.
#
# Usage: sudo BUILD_DIR=build bash bench/stack_netns.sh   [BYTES=200000000 RUNS=3 PINGS=5000]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
STACK_PEER=${STACK_PEER:-$BUILD_DIR/tests/stack_peer}
BYTES=${BYTES:-200000000}
RUNS=${RUNS:-3}
PINGS=${PINGS:-5000}
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)" >&2; exit 1; }
[ -x "$STACK_PEER" ] || { echo "missing $STACK_PEER (ninja stack_peer)" >&2; exit 1; }

TAG=$$
U=dlb-su-$TAG I=dlb-si-$TAG K1=dlb-sk1-$TAG K2=dlb-sk2-$TAG
PIDS=()
cleanup() {
  set +e
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null; done
  for ns in $U $I $K1 $K2; do ip netns del "$ns" 2>/dev/null; done
}
trap cleanup EXIT INT TERM
for ns in $U $I $K1 $K2; do ip netns add "$ns"; ip -n "$ns" link set lo up; done

wait_ready() {  # FILE
  for _ in $(seq 100); do grep -q ready "$1" 2>/dev/null && return 0; sleep 0.05; done
  echo "not ready: $1" >&2; exit 1
}
OUT=$(mktemp -d /tmp/dlb-stack.XXXX)

# userspace: lwIP 10.80.0.2 behind TUN bsu0 (kernel 10.80.0.1) in ns U
ip netns exec $U "$STACK_PEER" --stack userspace --tun bsu0 --addr 10.80.0.2/24 serve \
  >"$OUT/u.out" 2>&1 &
PIDS+=($!); PID_U=$!
wait_ready "$OUT/u.out"
ip -n $U addr add 10.80.0.1/24 dev bsu0
ip -n $U link set bsu0 up

# inline: lwIP 10.82.0.2 behind TUN bsi0 (kernel 10.82.0.1) in ns I
ip netns exec $I "$STACK_PEER" --stack userspace --tun bsi0 --addr 10.82.0.2/24 --input inline \
  serve >"$OUT/i.out" 2>&1 &
PIDS+=($!); PID_I=$!
wait_ready "$OUT/i.out"
ip -n $I addr add 10.82.0.1/24 dev bsi0
ip -n $I link set bsi0 up

# kernel: relay between bsk0 (ns K1, 10.81.0.1) and bsk1 (moved to ns K2, 10.81.0.2)
ip netns exec $K1 "$STACK_PEER" relay bsk0 bsk1 >"$OUT/r.out" 2>&1 &
PIDS+=($!); PID_R=$!
wait_ready "$OUT/r.out"
ip -n $K1 link set bsk1 netns $K2
ip -n $K1 addr add 10.81.0.1/24 dev bsk0
ip -n $K1 link set bsk0 up
ip -n $K2 addr add 10.81.0.2/24 dev bsk1
ip -n $K2 link set bsk1 up
ip netns exec $K2 "$STACK_PEER" --stack kernel --addr 10.81.0.2/24 serve >"$OUT/k.out" 2>&1 &
PIDS+=($!); PID_K=$!
wait_ready "$OUT/k.out"

client() {  # NS LOCAL SERVER CMD ARGS...
  local ns=$1 local=$2 server=$3 cmd=$4; shift 4
  ip netns exec "$ns" timeout 120 "$STACK_PEER" --stack kernel --addr "$local/24" "$cmd" "$server" "$@"
}
# CPU ticks (utime + stime, all threads) of the server-side processes of a path: the
# lwIP process, or the relay plus the kernel-stack server (the kernel's TCP work for a
# TUN write runs mostly in the writer's context). Load-insensitive, unlike MB/s.
ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' /proc/$p/stat))); done; echo $t; }
cpu_ms_per_100mb() { awk -v t="$1" -v b="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.0f", t * 1000 / hz / (b / 1e8)}'; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN {printf "%.1f", b / s / 1e6}'; }

declare -A SEND RECV RTT CPUS CPUR
for _ in $(seq "$RUNS"); do
  for kind in kernel userspace inline; do
    case $kind in
      kernel) ns=$K1 local=10.81.0.1 srv=10.81.0.2 pids="$PID_R $PID_K" ;;
      userspace) ns=$U local=10.80.0.1 srv=10.80.0.2 pids=$PID_U ;;
      inline) ns=$I local=10.82.0.1 srv=10.82.0.2 pids=$PID_I ;;
    esac
    t0=$(ticks $pids)
    read -r _ n sha secs rn rsha _ < <(client $ns $local $srv:9 send "$BYTES")
    t1=$(ticks $pids)
    CPUS[$kind]+="$(cpu_ms_per_100mb $((t1 - t0)) "$BYTES") "
    [ "$rn" = "$n" ] && [ "$rsha" = "$sha" ] || { echo "$kind send: mismatch" >&2; exit 1; }
    SEND[$kind]+="$(mbps "$n" "$secs") "
    read -r _ n _ secs < <(client $ns $local $srv:19 recv "$BYTES")
    t2=$(ticks $pids)
    CPUR[$kind]+="$(cpu_ms_per_100mb $((t2 - t1)) "$BYTES") "
    [ "$n" = "$BYTES" ] || { echo "$kind recv: got $n" >&2; exit 1; }
    RECV[$kind]+="$(mbps "$n" "$secs") "
    line=$(client $ns $local $srv:7 pingpong "$PINGS")
    RTT[$kind]+="$(sed -E 's/.*median=([0-9.]+).*/\1/' <<<"$line") "
  done
done
declare -A R
for kind in kernel userspace inline; do
  echo "$kind: send ${SEND[$kind]}MB/s, recv ${RECV[$kind]}MB/s, rtt ${RTT[$kind]}µs," \
    "server CPU ms/100MB send ${CPUS[$kind]}recv ${CPUR[$kind]}" >&2
  R[$kind.send]=$(tr ' ' '\n' <<<"${SEND[$kind]}" | grep . | median)
  R[$kind.recv]=$(tr ' ' '\n' <<<"${RECV[$kind]}" | grep . | median)
  R[$kind.rtt]=$(tr ' ' '\n' <<<"${RTT[$kind]}" | grep . | median)
  R[$kind.cpus]=$(tr ' ' '\n' <<<"${CPUS[$kind]}" | grep . | median)
  R[$kind.cpur]=$(tr ' ' '\n' <<<"${CPUR[$kind]}" | grep . | median)
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
echo "stack bench: bytes=$BYTES runs=$RUNS pings=$PINGS (medians; CPU: server side, ms per 100 MB)"
row() { printf '%-16s %10s %10s %10s %12s %12s\n' "$@"; }
row stack "send MB/s" "recv MB/s" "rtt64 µs" "CPU send" "CPU recv"
for kind in kernel userspace inline; do
  row $kind "${R[$kind.send]}" "${R[$kind.recv]}" "${R[$kind.rtt]}" "${R[$kind.cpus]}" "${R[$kind.cpur]}"
done
for kind in userspace inline; do
  row "$kind/kernel" "$(ratio "${R[$kind.send]}" "${R[kernel.send]}")" \
    "$(ratio "${R[$kind.recv]}" "${R[kernel.recv]}")" "$(ratio "${R[$kind.rtt]}" "${R[kernel.rtt]}")" \
    "$(ratio "${R[$kind.cpus]}" "${R[kernel.cpus]}")" "$(ratio "${R[$kind.cpur]}" "${R[kernel.cpur]}")"
done
kill "$PID_U" "$PID_I"  # each prints its stack's counters (drops) on the way out
wait "$PID_U" "$PID_I" 2>/dev/null || true
echo "userspace $(grep counters "$OUT/u.out")"
echo "inline    $(grep counters "$OUT/i.out")"
rm -rf "$OUT"
