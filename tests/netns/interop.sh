#!/usr/bin/env bash
# interop.sh IMPL_A IMPL_B INITIATOR PSK UNDERLAY [BYTES]
#
# Two namespaces joined by a veth; a WireGuard implementation in each (dlog | go),
# configured only with the stock `wg` tool. INITIATOR (a|b) is the only side that knows
# the other's endpoint, so it sends the first handshake. PSK (0|1) adds a preshared
# key; UNDERLAY (4|6) picks the outer address family. Checks: ping over IPv4 and IPv6
# inside the tunnel, a TCP transfer of BYTES (default 100 MB) checked byte for byte,
# and `wg show` on both sides (handshake time, transfer counters that agree).
source "$(dirname "$0")/lib.sh"
IMPL_A=$1 IMPL_B=$2 INIT=$3 PSK=$4 UNDER=$5 BYTES=${6:-100000000}
need_tools

A=dlta$TAG B=dltb$TAG IA=wga$TAG IB=wgb$TAG
make_ns "$A"; make_ns "$B"
veth_pair "$A" va "$B" vb
ip -n "$A" addr add 192.168.241.1/24 dev va; ip -n "$B" addr add 192.168.241.2/24 dev vb
ip -n "$A" addr add fd00:241::1/64 dev va nodad; ip -n "$B" addr add fd00:241::2/64 dev vb nodad
if [ "$UNDER" = 6 ]; then EP_A="[fd00:241::1]"; EP_B="[fd00:241::2]"; else EP_A=192.168.241.1; EP_B=192.168.241.2; fi

start_wg "$IMPL_A" "$A" "$IA"
start_wg "$IMPL_B" "$B" "$IB"
keypair a; keypair b
psk_args=()
if [ "$PSK" = 1 ]; then (umask 077; wg genpsk >"$WORK/psk"); psk_args=(preshared-key "$WORK/psk"); fi
ep_a=(); ep_b=()
if [ "$INIT" = a ]; then ep_a=(endpoint "$EP_B:51821"); else ep_b=(endpoint "$EP_A:51820"); fi
ip netns exec "$A" wg set "$IA" private-key "$WORK/a.key" listen-port 51820 \
  peer "$(cat "$WORK/b.pub")" allowed-ips 10.99.0.2/32,fd99::2/128 "${psk_args[@]}" "${ep_a[@]}"
ip netns exec "$B" wg set "$IB" private-key "$WORK/b.key" listen-port 51821 \
  peer "$(cat "$WORK/a.pub")" allowed-ips 10.99.0.1/32,fd99::1/128 "${psk_args[@]}" "${ep_b[@]}"
iface_up "$A" "$IA" 10.99.0.1/24 fd99::1/64
iface_up "$B" "$IB" 10.99.0.2/24 fd99::2/64

log "$IMPL_A(a) <-> $IMPL_B(b): initiator $INIT, psk $PSK, underlay IPv$UNDER"
if [ "$INIT" = a ]; then SRC=$A DST_IP4=10.99.0.2 DST_IP6=fd99::2; else SRC=$B DST_IP4=10.99.0.1 DST_IP6=fd99::1; fi
ip netns exec "$SRC" ping -c 3 -i 0.2 -W 3 "$DST_IP4" >/dev/null || fail "IPv4 ping through the tunnel"
ip netns exec "$SRC" ping -6 -c 3 -i 0.2 -W 3 "$DST_IP6" >/dev/null || fail "IPv6 ping through the tunnel"
log "  ping IPv4 and IPv6 ok"

[ "$(latest_handshake "$A" "$IA")" -gt 0 ] || fail "a: wg show reports no handshake"
[ "$(latest_handshake "$B" "$IB")" -gt 0 ] || fail "b: wg show reports no handshake"
now=$(date +%s)
for side in "$A $IA" "$B $IB"; do
  hs=$(latest_handshake $side)
  [ $((now - hs)) -lt 30 ] || fail "$side: latest handshake $hs is not recent (now $now)"
done

# The transfer runs from the non-initiator to the initiator over IPv4, then back over
# IPv6, so both directions carry bulk data.
xfer "$A" 10.99.0.1 "$B" "$BYTES"
xfer "$B" fd99::2 "$A" $((BYTES / 10)) 5202

read -r rx_a tx_a < <(transfer_bytes "$A" "$IA")
read -r rx_b tx_b < <(transfer_bytes "$B" "$IB")
log "  wg show transfer: a rx $rx_a tx $tx_a, b rx $rx_b tx $tx_b"
[ "$rx_a" -ge "$BYTES" ] || fail "a received $rx_a < $BYTES"
[ "$tx_b" -ge "$BYTES" ] || fail "b sent $tx_b < $BYTES"
# Counters are of datagrams on the wire; a receiver cannot have taken in more than
# its peer sent (a few handshake bytes of slack), though under load some may be lost.
[ "$rx_a" -le $((tx_b + 10000)) ] || fail "a received $rx_a but b sent only $tx_b"
[ "$rx_b" -le $((tx_a + 10000)) ] || fail "b received $rx_b but a sent only $tx_a"
[ "$tx_a" -gt 0 ] && [ "$rx_b" -gt 0 ] || fail "no traffic counted from a to b"
ip netns exec "$A" wg show "$IA" endpoints | grep -q "$EP_B" || fail "a: endpoint of b not $EP_B"
ip netns exec "$B" wg show "$IB" endpoints | grep -q "$EP_A" || fail "b: endpoint of a not $EP_A"
log "PASS interop $IMPL_A<->$IMPL_B init=$INIT psk=$PSK underlay=v$UNDER"
