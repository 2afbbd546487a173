#!/usr/bin/env bash
# t_pq_blocked.sh — quantum_resistant policy with the PQ exchange blocked on the wire.
# Two dlog-wg with DLOG_WG_PQ_CONFIG. An nftables rule in b's namespace drops every
# PQ datagram (first UDP payload byte 0x81..0x86) before the first exchange: the PSK
# slots hold unrelated random keys, so no WireGuard session forms and no data passes.
# The rule is removed: the exchange completes and data flows; the time is reported.
source "$(dirname "$0")/lib.sh"
need_tools
command -v nft >/dev/null || fail "missing nft (nftables)"
DLOG_KEYGEN=${DLOG_KEYGEN:-$BUILD_DIR/src/programs/dlog-keygen}
A=dlta$TAG B=dltb$TAG IA=wga$TAG IB=wgb$TAG
pq_keys
pq_conf a 192.168.241.2:51821 30s; pq_conf b 192.168.241.1:51820 30s
make_ns "$A"; make_ns "$B"
veth_pair "$A" va "$B" vb
ip -n "$A" addr add 192.168.241.1/24 dev va; ip -n "$B" addr add 192.168.241.2/24 dev vb
ip netns exec "$B" nft -f - <<'NFT'
table inet dlogtest {
  chain input {
    type filter hook input priority 0; policy accept;
    udp dport 51821 @th,64,8 >= 0x81 @th,64,8 <= 0x86 counter drop
  }
}
NFT
IFACES+=("$IA" "$IB")
for s in a b; do
  ns=$A; ifn=$IA; [ $s = b ] && ns=$B ifn=$IB
  ip netns exec "$ns" env WG_PROCESS_FOREGROUND=1 DLOG_WG_PQ_CONFIG="$WORK/pq-$s.conf" \
    "$DLOG_WG" "$ifn" >"$WORK/$ifn.log" 2>&1 &
  PIDS+=($!)
done
for _ in $(seq 100); do
  ip netns exec "$A" wg show "$IA" >/dev/null 2>&1 && ip netns exec "$B" wg show "$IB" >/dev/null 2>&1 && break
  sleep 0.05
done
ip netns exec "$A" wg set "$IA" private-key "$WORK/a.key" listen-port 51820 \
  peer "$(cat "$WORK/b.pub")" allowed-ips 10.99.0.2/32 endpoint 192.168.241.2:51821
ip netns exec "$B" wg set "$IB" private-key "$WORK/b.key" listen-port 51821 \
  peer "$(cat "$WORK/a.pub")" allowed-ips 10.99.0.1/32
iface_up "$A" "$IA" 10.99.0.1/24 fd99::1/64
iface_up "$B" "$IB" 10.99.0.2/24 fd99::2/64

log "1. PQ datagrams dropped: no data may pass"
if ip netns exec "$A" ping -c 8 -i 1 -W 1 10.99.0.2 >/dev/null 2>&1; then fail "data passed with the PQ exchange blocked"; fi
dropped=$(ip netns exec "$B" nft list ruleset | awk '/counter packets/{for(i=1;i<=NF;i++) if($i=="packets") print $(i+1)}')
[ "${dropped:-0}" -gt 0 ] || fail "the rule dropped no PQ datagram (test would prove nothing)"
[ "$(latest_handshake "$A" "$IA")" = 0 ] || fail "a WireGuard handshake completed without a PQ PSK"
psk_a=$(ip netns exec "$A" wg show "$IA" preshared-keys | awk '{print $2}')
psk_b=$(ip netns exec "$B" wg show "$IB" preshared-keys | awk '{print $2}')
[ "$psk_a" != "(none)" ] && [ "$psk_b" != "(none)" ] || fail "a PSK slot is empty while blocked"
[ "$psk_a" != "$psk_b" ] || fail "both sides hold the same PSK while blocked"
log "  blocked: $dropped PQ datagrams dropped, no handshake, ping failed, PSK slots random"

log "2. rule removed: the exchange completes and data flows"
ip netns exec "$B" nft delete table inet dlogtest
t0=$(date +%s.%N)
ok=0
for _ in $(seq 30); do
  ip netns exec "$A" ping -c 1 -W 1 10.99.0.2 >/dev/null 2>&1 && { ok=1; break; }
done
[ $ok = 1 ] || fail "no data within 30 s after unblocking"
t=$(python3 -c "import time; print('%.1f' % (time.time() - $t0))")
psk_a=$(ip netns exec "$A" wg show "$IA" preshared-keys | awk '{print $2}')
psk_b=$(ip netns exec "$B" wg show "$IB" preshared-keys | awk '{print $2}')
[ "$psk_a" = "$psk_b" ] || fail "PSKs differ after unblocking"
# PQ retransmission is capped at 5 s and WireGuard's handshake retry is 5 s: data must
# flow within one of each.
python3 -c "import sys; sys.exit(0 if $t <= 11 else 1)" || fail "data took $t s after unblocking"
log "PASS pq blocked/unblocked (data flowed $t s after unblocking)"
