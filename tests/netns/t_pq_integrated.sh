#!/usr/bin/env bash
# t_pq_integrated.sh — dlog-wg runs the PQ PSK exchange on its own WireGuard port
# (DLOG_WG_PQ_CONFIG), so two dlog-wg are quantum-resistant with no other daemon.
#
#  1. In step: rekey interval 5 s. The PSK that `wg show <if> preshared-keys` reports
#     changes every epoch and is the same on both sides, while a paced TCP transfer runs
#     across several epochs without a reset and checks out byte for byte.
#  2. Blocked: b's dlog-wg restarts WITHOUT DLOG_WG_PQ_CONFIG (classical WireGuard, no
#     PSK). a's slot holds a PQ or random key, so no handshake completes: no data passes.
#  3. Unblocked: b's dlog-wg restarts WITH its PQ config; data flows within one
#     retransmission interval (the exchange completes at once; WireGuard retries its
#     handshake every 5 s).
#  4. Disguised: both restart with the DPI disguise on (DLOG_WG_OBFS_SECRET_FILE); the
#     exchange runs inside it, agrees on a fresh PSK, and data flows.
source "$(dirname "$0")/lib.sh"
need_tools
DLOG_KEYGEN=${DLOG_KEYGEN:-$BUILD_DIR/src/programs/dlog-keygen}
[ -x "$DLOG_KEYGEN" ] || fail "missing $DLOG_KEYGEN (build first)"

EPOCH=5
A=dlta$TAG B=dltb$TAG IA=wga$TAG IB=wgb$TAG
ADDR_A=192.168.241.1 ADDR_B=192.168.241.2

# psk NS IF: the PSK of the interface's single peer (base64, "(none)" when unset).
psk() { ip netns exec "$1" wg show "$2" preshared-keys | awk '{print $2}'; }

# same_psk: both sides show one PSK (re-read: a read may fall between the two installs
# of one exchange, half a round trip apart).
same_psk() {
  local x y
  for _ in 1 2 3; do
    x=$(psk "$A" "$IA"); y=$(psk "$B" "$IB")
    [ "$x" = "$y" ] && { echo "$x"; return 0; }
    sleep 0.2
  done
  return 1
}

# start_side SIDE PQ(0|1): dlog-wg in the side's namespace (with DLOG_WG_PQ_CONFIG
# when PQ=1), configured over UAPI like wg-quick would, interface up.
start_side() {
  local me=$1 pq=$2 ns ifname port peer addr4 addr6 peer_ip endpoint env_pq=()
  if [ "$me" = a ]; then
    ns=$A ifname=$IA port=51820 peer=b peer_ip=10.99.0.2 endpoint=$ADDR_B:51821
    addr4=10.99.0.1/24 addr6=fd99::1/64
  else
    ns=$B ifname=$IB port=51821 peer=a peer_ip=10.99.0.1 endpoint=$ADDR_A:51820
    addr4=10.99.0.2/24 addr6=fd99::2/64
  fi
  [ "$pq" = 1 ] && env_pq=(DLOG_WG_PQ_CONFIG="$WORK/pq-$me.conf")
  env_pq+=("${EXTRA_ENV[@]}")
  IFACES+=("$ifname")
  ip netns exec "$ns" env WG_PROCESS_FOREGROUND=1 LOG_LEVEL=info "${env_pq[@]}" "$DLOG_WG" \
    "$ifname" >>"$WORK/dlog-wg-$me.log" 2>&1 &
  PIDS+=($!)
  eval "PID_$me=$!"
  for _ in $(seq 100); do
    ip netns exec "$ns" wg show "$ifname" >/dev/null 2>&1 && break
    sleep 0.05
  done
  ip netns exec "$ns" wg show "$ifname" >/dev/null 2>&1 ||
    fail "dlog-wg did not bring up $ifname: $(tail -5 "$WORK/dlog-wg-$me.log")"
  ip netns exec "$ns" wg set "$ifname" private-key "$WORK/$me.key" listen-port "$port" \
    peer "$(cat "$WORK/$peer.pub")" allowed-ips "$peer_ip/32" endpoint "$endpoint"
  if [ "$pq" = 1 ]; then
    [ "$(psk "$ns" "$ifname")" != "(none)" ] || fail "PQ peer created over UAPI without a PSK"
  fi
  iface_up "$ns" "$ifname" "$addr4" "$addr6"
}

# stop_side SIDE: ends that side's dlog-wg and waits until its interface is gone.
stop_side() {
  local pid ns ifname
  eval "pid=\$PID_$1"
  if [ "$1" = a ]; then ns=$A ifname=$IA; else ns=$B ifname=$IB; fi
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  for _ in $(seq 100); do
    ip -n "$ns" link show "$ifname" >/dev/null 2>&1 || return 0
    sleep 0.05
  done
  fail "$ifname still exists after dlog-wg exited"
}

pq_keys
pq_conf a "$ADDR_B:51821" ${EPOCH}s; pq_conf b "$ADDR_A:51820" ${EPOCH}s
EXTRA_ENV=()

make_ns "$A"; make_ns "$B"
veth_pair "$A" va "$B" vb
ip -n "$A" addr add $ADDR_A/24 dev va; ip -n "$B" addr add $ADDR_B/24 dev vb

log "1. dlog-wg with DLOG_WG_PQ_CONFIG on both sides, rekey interval ${EPOCH}s"
start_side a 1; start_side b 1
k=""
for _ in $(seq 50); do
  k=$(same_psk) && [ "$k" != "(none)" ] && break
  sleep 0.1
done
k=$(same_psk) || fail "PSKs differ after start-up: $(tail -5 "$WORK"/dlog-wg-*.log)"
[ "$k" != "(none)" ] || fail "no PSK installed"
log "  first PSK agreed"
(umask 077; wg genpsk >"$WORK/classical.psk")
ip netns exec "$A" wg set "$IA" peer "$(cat "$WORK/b.pub")" preshared-key "$WORK/classical.psk"
[ "$(psk "$A" "$IA")" != "$(cat "$WORK/classical.psk")" ] || fail "wg set replaced the PQ PSK"
same_psk >/dev/null || fail "PSKs differ after a wg set preshared-key"
ip netns exec "$A" ping -c 3 -i 0.2 -W 3 10.99.0.2 >/dev/null || fail "ping through the tunnel"

# A TCP transfer paced to last ~22 s (four epochs and more).
paced_start "$B" 10.99.0.2 "$A" 22

declare -A seen=()
changes=0 prev=$k
for i in $(seq 22); do
  sleep 1
  k=$(same_psk) || fail "PSKs differ at second $i: a $(psk "$A" "$IA") b $(psk "$B" "$IB")"
  seen[$k]=1
  [ "$k" != "$prev" ] && changes=$((changes + 1))
  prev=$k
done
paced_check
log "  PSK changed $changes times in 22 s, ${#seen[@]} distinct values, equal on both sides"
[ "$changes" -ge 3 ] || fail "PSK changed only $changes times in 22 s (epoch ${EPOCH}s)"
[ "$changes" -le 6 ] || fail "PSK changed $changes times in 22 s: more than once per epoch"
[ "${#seen[@]}" -eq "$changes" ] || [ "${#seen[@]}" -eq $((changes + 1)) ] ||
  fail "a PSK value came back"

log "2. blocked: b restarts as classical WireGuard (no DLOG_WG_PQ_CONFIG)"
stop_side b
start_side b 0
[ "$(psk "$B" "$IB")" = "(none)" ] || fail "classical b shows a PSK"
[ "$(psk "$A" "$IA")" != "(none)" ] || fail "a's PSK slot is empty"
if ip netns exec "$B" ping -c 8 -i 0.5 -W 1 10.99.0.1 >/dev/null 2>&1; then
  fail "data passed between PQ a and classical b"
fi
[ "$(latest_handshake "$B" "$IB")" = 0 ] || fail "classical b completed a handshake with a"
log "  blocked: classical b completes no handshake, ping fails"

log "3. unblocked: b restarts with DLOG_WG_PQ_CONFIG"
stop_side b
t0=$(date +%s.%N)
start_side b 1
ip netns exec "$B" ping -i 0.2 -W 1 10.99.0.1 >"$WORK/ping2.out" 2>&1 &
PING=$!; PIDS+=("$PING")
ok=0
for _ in $(seq 150); do
  if grep -q "bytes from" "$WORK/ping2.out"; then ok=1; break; fi
  sleep 0.1
done
t1=$(date +%s.%N)
kill "$PING" 2>/dev/null || true
[ "$ok" = 1 ] || fail "no data 15 s after b restarted with PQ: $(tail -5 "$WORK"/dlog-wg-*.log)"
elapsed=$(python3 -c "print(f'{$t1 - $t0:.1f}')")
log "  unblocked: data flows ${elapsed} s after b's dlog-wg started with PQ"
python3 -c "import sys; sys.exit(0 if $t1 - $t0 <= 6.5 else 1)" ||
  fail "data took ${elapsed} s (more than one retransmission interval, 5 s + jitter)"
same_psk >/dev/null || fail "PSKs differ after unblocking"
grep -q "pq: peer .* PSK exchanged" "$WORK/dlog-wg-b.log" || fail "b logged no exchange"
for k in "${!seen[@]}"; do
  ! grep -qF "$k" "$WORK"/dlog-wg-*.log || fail "a PSK appears in dlog-wg's log"
done

log "4. both sides restart with the DPI disguise on"
stop_side a; stop_side b
(umask 077; head -c 32 /dev/urandom | base64 >"$WORK/cluster.key")
EXTRA_ENV=(DLOG_WG_OBFS_SECRET_FILE="$WORK/cluster.key")
start_side a 1; start_side b 1
for _ in $(seq 50); do
  k=$(same_psk) && [ "$k" != "(none)" ] && break
  sleep 0.1
done
k=$(same_psk) || fail "PSKs differ under the disguise: $(tail -5 "$WORK"/dlog-wg-*.log)"
[ "$k" != "(none)" ] && [ -z "${seen[$k]:-}" ] || fail "no fresh PSK under the disguise"
ip netns exec "$A" ping -c 3 -i 0.2 -W 3 10.99.0.2 >/dev/null || fail "ping under the disguise"
log "  disguised: PSK agreed, ping ok"
log "PASS t_pq_integrated"
