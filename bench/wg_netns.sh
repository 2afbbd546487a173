#!/usr/bin/env bash
# wg_netns.sh — WireGuard tunnel benchmark, DLog beside wireguard-go in one run.
#
# For each implementation (dlog-wg, wireguard-go) the same two-namespace topology as
# ../shared/anchors/wireguard-go-netns.sh: a veth, the implementation on both ends,
# then iperf3 TCP (single stream and 4 streams) through the tunnel, and ping round
# trips through the tunnel and over the bare veth. Prints a table and the ratios.
#   DUR=10 (seconds per iperf3 run)  PINGS=200  BUILD_DIR=build
# Needs root. Not a test: numbers go to docs/BENCHMARKS.md with this command.
set -euo pipefail
source "$(dirname "$0")/../tests/netns/lib.sh"
DUR=${DUR:-10}
PINGS=${PINGS:-200}
need_tools
command -v iperf3 >/dev/null || fail "missing iperf3"

# rtt_stats NS DST: "median p99" in ms over $PINGS pings.
rtt_stats() {
  ip netns exec "$1" ping -c "$PINGS" -i 0.01 -q -W 1 "$2" >/dev/null
  ip netns exec "$1" ping -c "$PINGS" -i 0.01 -W 1 "$2" |
    awk -F'time=' '/time=/{split($2,a," "); print a[1]}' | sort -n |
    awk '{v[NR]=$1} END{printf "%.3f %.3f", v[int(NR*0.5)], v[int(NR*0.99)]}'
}
# iperf NS_SRV ADDR NS_CLI [args]: receiver Gbit/s.
iperf() {
  local nss=$1 addr=$2 nsc=$3; shift 3
  ip netns exec "$nss" iperf3 -s -1 -B "$addr" >/dev/null 2>&1 &
  local srv=$!; PIDS+=("$srv"); sleep 0.5
  ip netns exec "$nsc" iperf3 -c "$addr" -t "$DUR" -J "$@" >"$WORK/iperf.json"
  wait "$srv" 2>/dev/null || true
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.2f" % (d["end"]["sum_received"]["bits_per_second"]/1e9))' "$WORK/iperf.json"
}

declare -A RES
run_impl() {
  local impl=$1 A=dlba$TAG$1 B=dlbb$TAG$1 IA=ba$TAG$1 IB=bb$TAG$1
  A=${A:0:15}; B=${B:0:15}; IA=${IA:0:15}; IB=${IB:0:15}
  make_ns "$A"; make_ns "$B"
  veth_pair "$A" va "$B" vb
  ip -n "$A" addr add 192.168.241.1/24 dev va; ip -n "$B" addr add 192.168.241.2/24 dev vb
  start_wg "$impl" "$A" "$IA"; start_wg "$impl" "$B" "$IB"
  keypair a; keypair b
  ip netns exec "$A" wg set "$IA" private-key "$WORK/a.key" \
    peer "$(cat "$WORK/b.pub")" allowed-ips 10.99.0.2/32 endpoint 192.168.241.2:51821
  ip netns exec "$B" wg set "$IB" private-key "$WORK/b.key" listen-port 51821 \
    peer "$(cat "$WORK/a.pub")" allowed-ips 10.99.0.1/32
  iface_up "$A" "$IA" 10.99.0.1/24 fd99::1/64
  iface_up "$B" "$IB" 10.99.0.2/24 fd99::2/64
  ip netns exec "$A" ping -c 2 -W 3 10.99.0.2 >/dev/null || fail "$impl tunnel did not come up"
  RES[$impl,tcp1]=$(iperf "$B" 10.99.0.2 "$A")
  RES[$impl,tcp4]=$(iperf "$B" 10.99.0.2 "$A" -P 4)
  RES[$impl,rtt]=$(rtt_stats "$A" 10.99.0.2)
  RES[veth,rtt]=$(rtt_stats "$A" 192.168.241.2)
  [ -n "${RES[veth,tcp1]:-}" ] || RES[veth,tcp1]=$(iperf "$B" 192.168.241.2 "$A")
  log "$impl: tcp1 ${RES[$impl,tcp1]} Gbit/s, tcp4 ${RES[$impl,tcp4]} Gbit/s, rtt(median p99 ms) ${RES[$impl,rtt]}"
}

run_impl go
run_impl dlog

echo
echo "| path | TCP 1 stream (Gbit/s) | TCP 4 streams (Gbit/s) | ping median (ms) | ping p99 (ms) |"
echo "| --- | --- | --- | --- | --- |"
for i in veth go dlog; do
  read -r med p99 <<<"${RES[$i,rtt]}"
  name=$i; [ $i = go ] && name=wireguard-go; [ $i = dlog ] && name=dlog-wg; [ $i = veth ] && name="bare veth"
  echo "| $name | ${RES[$i,tcp1]:-} | ${RES[$i,tcp4]:--} | $med | $p99 |"
done
ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }
echo
echo "dlog-wg / wireguard-go throughput: 1 stream $(ratio "${RES[dlog,tcp1]}" "${RES[go,tcp1]}")x, 4 streams $(ratio "${RES[dlog,tcp4]}" "${RES[go,tcp4]}")x"
echo "ceiling (openssl speed -evp chacha20-poly1305 -bytes 1420, one core):"
openssl speed -evp chacha20-poly1305 -bytes 1420 -seconds 2 2>/dev/null | tail -1
