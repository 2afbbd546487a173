#!/usr/bin/env bash
# t_pq_standalone.sh — dlog-pq keeps two stock wireguard-go interfaces quantum-resistant.
#
#  1. In step: a dlog-pq beside each wireguard-go, rekey interval 5 s. The PSK that
#     `wg show <if> preshared-keys` reports changes every epoch and is the same on both
#     sides, while a ping and a paced TCP transfer run across several epochs without a
#     reset and check out byte for byte.
#  2. Blocked: only a's dlog-pq runs (b's exchange never answers). Both PSK slots hold
#     different random keys, so no WireGuard handshake completes and no data passes. Once
#     b's dlog-pq starts, data flows within one retransmission interval (the exchange
#     completes at once; WireGuard retries its handshake every 5 s).
source "$(dirname "$0")/lib.sh"
DLOG_PQ=${DLOG_PQ:-$BUILD_DIR/src/programs/dlog-pq}
[ "$(id -u)" = 0 ] || fail "needs root (network namespaces)"
for t in ip wg wireguard-go ping python3 timeout; do
  command -v "$t" >/dev/null || fail "missing tool: $t (run scripts/setup.sh)"
done
[ -x "$DLOG_PQ" ] || fail "missing $DLOG_PQ (build first)"

EPOCH=5

# psk NS IF: the PSK of the interface's single peer (base64).
psk() { ip netns exec "$1" wg show "$2" preshared-keys | awk '{print $2}'; }

# pair N: namespaces, veth, wireguard-go on both sides with different random PSKs
# (Rosenpass's rule: never start a PQ-protected peer without a PSK).
pair() {
  local n=$1
  A=dlta$n$TAG B=dltb$n$TAG IA=wga$n$TAG IB=wgb$n$TAG
  make_ns "$A"; make_ns "$B"
  veth_pair "$A" va "$B" vb
  ip -n "$A" addr add 192.168.241.1/24 dev va; ip -n "$B" addr add 192.168.241.2/24 dev vb
  start_wg go "$A" "$IA"; start_wg go "$B" "$IB"
  (umask 077; wg genpsk >"$WORK/psk-a$n"; wg genpsk >"$WORK/psk-b$n")
  ip netns exec "$A" wg set "$IA" private-key "$WORK/a.key" listen-port 51820 \
    peer "$(cat "$WORK/b.pub")" allowed-ips 10.99.0.2/32 endpoint 192.168.241.2:51821 \
    preshared-key "$WORK/psk-a$n"
  ip netns exec "$B" wg set "$IB" private-key "$WORK/b.key" listen-port 51821 \
    peer "$(cat "$WORK/a.pub")" allowed-ips 10.99.0.1/32 endpoint 192.168.241.1:51820 \
    preshared-key "$WORK/psk-b$n"
  iface_up "$A" "$IA" 10.99.0.1/24 fd99::1/64
  iface_up "$B" "$IB" 10.99.0.2/24 fd99::2/64
}

# start_pq SIDE NS IF: dlog-pq for side a or b, peer = the other side.
start_pq() {
  local me=$1 ns=$2 ifname=$3 other addr other_addr
  if [ "$me" = a ]; then other=b addr=192.168.241.1 other_addr=192.168.241.2
  else other=a addr=192.168.241.2 other_addr=192.168.241.1; fi
  ip netns exec "$ns" "$DLOG_PQ" run --interface "$ifname" --listen "$addr:51830" \
    --secret-key "$WORK/pq-$me.key" --rekey-interval ${EPOCH}s \
    --peer "$WORK/pq-$other.pub,$(cat "$WORK/$other.pub"),$other_addr:51830" \
    >>"$WORK/dlog-pq-$me.log" 2>&1 &
  PIDS+=($!)
  PQ_PID=$!
}

# same_psk: both sides show one PSK (re-read once: a read may fall between the two
# installs of one exchange, half a round trip apart).
same_psk() {
  local x y
  for _ in 1 2 3; do
    x=$(psk "$A" "$IA"); y=$(psk "$B" "$IB")
    [ "$x" = "$y" ] && { echo "$x"; return 0; }
    sleep 0.2
  done
  return 1
}

keypair a; keypair b
"$DLOG_PQ" genkey "$WORK/pq-a.key" "$WORK/pq-a.pub"
DLOG_KEYGEN=${DLOG_KEYGEN:-$BUILD_DIR/src/programs/dlog-keygen}
"$DLOG_KEYGEN" genpq "$WORK/pq-b.key" >"$WORK/pq-b.pub"  # either tool makes PQ keys
for k in a b; do
  [ "$(stat -c %a "$WORK/pq-$k.key")" = 600 ] || fail "secret key file pq-$k.key not 0600"
done

log "1. dlog-pq on both sides, rekey interval ${EPOCH}s"
pair 1
initial_a=$(psk "$A" "$IA")
start_pq a "$A" "$IA"; start_pq b "$B" "$IB"
for _ in $(seq 50); do k=$(same_psk) && [ "$k" != "$initial_a" ] && break; sleep 0.1; done
k=$(same_psk) || fail "PSKs differ after start-up: $(cat "$WORK"/dlog-pq-*.log)"
log "  first PSK agreed"
ip netns exec "$A" ping -c 3 -i 0.2 -W 3 10.99.0.2 >/dev/null || fail "ping through the tunnel"

# A TCP transfer paced to last ~25 s (five epochs), and a ping alongside it.
paced_start "$B" 10.99.0.2 "$A" 25
ip netns exec "$A" ping -i 0.5 -c 50 -W 2 10.99.0.2 >"$WORK/ping.out" 2>&1 &
PING=$!; PIDS+=("$PING")

declare -A seen=()
changes=0 prev=$k
for i in $(seq 26); do
  sleep 1
  k=$(same_psk) || fail "PSKs differ at second $i: a $(psk "$A" "$IA") b $(psk "$B" "$IB")"
  seen[$k]=1
  [ "$k" != "$prev" ] && changes=$((changes + 1))
  prev=$k
done
paced_check
wait "$PING" || true
loss=$(grep -o '[0-9.]*% packet loss' "$WORK/ping.out" | cut -d% -f1)
log "  ping loss ${loss}% over 25 s"
[ "${loss%.*}" -le 4 ] || fail "ping lost ${loss}% across epochs"
log "  PSK changed $changes times in 26 s, ${#seen[@]} distinct values, equal on both sides"
[ "$changes" -ge 4 ] || fail "PSK changed only $changes times in 26 s (epoch ${EPOCH}s)"
[ "$changes" -le 6 ] || fail "PSK changed $changes times in 26 s: more than once per epoch"
[ "${#seen[@]}" -eq "$changes" ] || [ "${#seen[@]}" -eq $((changes + 1)) ] ||
  fail "a PSK value came back"
kill "${PQ_PID}" 2>/dev/null || true

log "2. b's exchange blocked: only a's dlog-pq runs"
pair 2
start_pq a "$A" "$IA"
sleep 3
[ "$(psk "$A" "$IA")" != "$(psk "$B" "$IB")" ] || fail "PSKs equal while blocked"
if ip netns exec "$A" ping -c 6 -i 0.5 -W 1 10.99.0.2 >/dev/null 2>&1; then
  fail "data passed while the PQ exchange was blocked"
fi
[ "$(latest_handshake "$A" "$IA")" = 0 ] || fail "a completed a handshake while blocked"
[ "$(latest_handshake "$B" "$IB")" = 0 ] || fail "b completed a handshake while blocked"
read -r rx_b _ < <(transfer_bytes "$B" "$IB")
log "  blocked: no handshake, ping fails, PSKs differ (b received $rx_b bytes of handshakes)"
ip netns exec "$A" ping -i 0.2 -W 1 10.99.0.2 >"$WORK/ping2.out" 2>&1 &
PING=$!; PIDS+=("$PING")
t0=$(date +%s.%N)
start_pq b "$B" "$IB"
ok=0
for _ in $(seq 150); do
  if grep -q "bytes from" "$WORK/ping2.out"; then ok=1; break; fi
  sleep 0.1
done
t1=$(date +%s.%N)
kill "$PING" 2>/dev/null || true
[ "$ok" = 1 ] || fail "no data 15 s after b's dlog-pq started: $(tail -5 "$WORK"/dlog-pq-*.log)"
elapsed=$(python3 -c "print(f'{$t1 - $t0:.1f}')")
log "  unblocked: data flows ${elapsed} s after b's dlog-pq started"
python3 -c "import sys; sys.exit(0 if $t1 - $t0 <= 6.5 else 1)" ||
  fail "data took ${elapsed} s (more than one retransmission interval, 5 s + jitter)"
same_psk >/dev/null || fail "PSKs differ after unblocking"
grep -q "new post-quantum PSK" "$WORK/dlog-pq-b.log" || fail "b logged no exchange"
for k in "${!seen[@]}"; do
  ! grep -qF "$k" "$WORK"/dlog-pq-*.log || fail "a PSK appears in dlog-pq's log"
done
log "PASS t_pq_standalone"
