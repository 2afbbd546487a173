#!/usr/bin/env bash
# pq_netns.sh — throughput of dlog-wg alone against dlog-wg with the post-quantum PSK
# exchange running on its port (DLOG_WG_PQ_CONFIG, ML-KEM-1024, a new PSK every
# EPOCH seconds), in one run on the same two-namespace topology.
#   DUR=20 (iperf3 seconds, spanning several epochs)  EPOCH=5  BUILD_DIR=build
# Needs root. Not a test: numbers go to docs/BENCHMARKS.md with this command.
set -euo pipefail
source "$(dirname "$0")/../tests/netns/lib.sh"
DUR=${DUR:-20}
EPOCH=${EPOCH:-5}
DLOG_KEYGEN=${DLOG_KEYGEN:-$BUILD_DIR/src/programs/dlog-keygen}
need_tools
pq_keys
pq_conf a 192.168.241.2:51821 ${EPOCH}s; pq_conf b 192.168.241.1:51820 ${EPOCH}s

declare -A RES
run_mode() {  # run_mode plain|pq
  local mode=$1 A=dlqa$TAG$1 B=dlqb$TAG$1 IA=qa$TAG$1 IB=qb$TAG$1 env_a=() env_b=()
  A=${A:0:15}; B=${B:0:15}; IA=${IA:0:15}; IB=${IB:0:15}
  if [ "$mode" = pq ]; then
    env_a=(DLOG_WG_PQ_CONFIG="$WORK/pq-a.conf"); env_b=(DLOG_WG_PQ_CONFIG="$WORK/pq-b.conf")
  fi
  make_ns "$A"; make_ns "$B"
  veth_pair "$A" va "$B" vb
  ip -n "$A" addr add 192.168.241.1/24 dev va; ip -n "$B" addr add 192.168.241.2/24 dev vb
  IFACES+=("$IA" "$IB")
  ip netns exec "$A" env WG_PROCESS_FOREGROUND=1 "${env_a[@]}" "$DLOG_WG" "$IA" >"$WORK/$IA.log" 2>&1 &
  PIDS+=($!)
  ip netns exec "$B" env WG_PROCESS_FOREGROUND=1 "${env_b[@]}" "$DLOG_WG" "$IB" >"$WORK/$IB.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do
    ip netns exec "$A" wg show "$IA" >/dev/null 2>&1 && ip netns exec "$B" wg show "$IB" >/dev/null 2>&1 && break
    sleep 0.05
  done
  ip netns exec "$A" wg set "$IA" private-key "$WORK/a.key" listen-port 51820 \
    peer "$(cat "$WORK/b.pub")" allowed-ips 10.99.0.2/32 endpoint 192.168.241.2:51821
  ip netns exec "$B" wg set "$IB" private-key "$WORK/b.key" listen-port 51821 \
    peer "$(cat "$WORK/a.pub")" allowed-ips 10.99.0.1/32 endpoint 192.168.241.1:51820
  iface_up "$A" "$IA" 10.99.0.1/24 fd99::1/64
  iface_up "$B" "$IB" 10.99.0.2/24 fd99::2/64
  local ok=0
  for _ in $(seq 40); do
    ip netns exec "$A" ping -c 1 -W 1 10.99.0.2 >/dev/null 2>&1 && { ok=1; break; }
  done
  [ $ok = 1 ] || fail "$mode tunnel did not come up"
  local psk0 psk1
  psk0=$(ip netns exec "$A" wg show "$IA" preshared-keys | awk '{print $2}')
  ip netns exec "$B" iperf3 -s -1 -B 10.99.0.2 >/dev/null 2>&1 &
  PIDS+=($!); sleep 0.5
  ip netns exec "$A" iperf3 -c 10.99.0.2 -t "$DUR" -J >"$WORK/iperf-$mode.json"
  psk1=$(ip netns exec "$A" wg show "$IA" preshared-keys | awk '{print $2}')
  RES[$mode]=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); e=d["end"]; print("%.2f %d" % (e["sum_received"]["bits_per_second"]/1e9, e["sum_sent"].get("retransmits", 0)))' "$WORK/iperf-$mode.json")
  if [ "$mode" = pq ]; then
    [ "$psk0" != "$psk1" ] || fail "the PSK did not change during the PQ run"
    [ "$psk0" != "(none)" ] || fail "no PQ PSK during the PQ run"
  fi
  log "$mode: ${RES[$mode]} (Gbit/s, retransmits); PSK changed during the run: $([ "$psk0" != "$psk1" ] && echo yes || echo no)"
}
run_mode plain
run_mode pq
read -r g_plain r_plain <<<"${RES[plain]}"
read -r g_pq r_pq <<<"${RES[pq]}"
echo
echo "| dlog-wg | TCP 1 stream, ${DUR} s (Gbit/s) | retransmits |"
echo "| --- | --- | --- |"
echo "| WireGuard alone | $g_plain | $r_plain |"
echo "| WireGuard + PQ PSK every ${EPOCH} s | $g_pq | $r_pq |"
echo "with PQ / without: $(python3 -c "print('%.2f' % ($g_pq / $g_plain))")"
