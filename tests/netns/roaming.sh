#!/usr/bin/env bash
# roaming.sh IMPL_A IMPL_B — the initiator (a) changes its underlay address in the
# middle of a bulk TCP transfer towards b; the transfer must complete byte for byte and
# b must have learnt a's new endpoint from authenticated packets alone.
source "$(dirname "$0")/lib.sh"
IMPL_A=$1 IMPL_B=$2 BYTES=${3:-300000000}
need_tools

A=dlta$TAG B=dltb$TAG IA=wga$TAG IB=wgb$TAG
make_ns "$A"; make_ns "$B"
veth_pair "$A" va "$B" vb
ip -n "$A" addr add 192.168.241.1/24 dev va; ip -n "$B" addr add 192.168.241.2/24 dev vb
start_wg "$IMPL_A" "$A" "$IA"; start_wg "$IMPL_B" "$B" "$IB"
keypair a; keypair b
ip netns exec "$A" wg set "$IA" private-key "$WORK/a.key" \
  peer "$(cat "$WORK/b.pub")" allowed-ips 10.99.0.2/32 endpoint 192.168.241.2:51821
ip netns exec "$B" wg set "$IB" private-key "$WORK/b.key" listen-port 51821 \
  peer "$(cat "$WORK/a.pub")" allowed-ips 10.99.0.1/32
iface_up "$A" "$IA" 10.99.0.1/24 fd99::1/64
iface_up "$B" "$IB" 10.99.0.2/24 fd99::2/64
ip netns exec "$A" ping -c 1 -W 3 10.99.0.2 >/dev/null || fail "tunnel did not come up"
ip netns exec "$B" wg show "$IB" endpoints | grep -q '192.168.241.1:' || fail "b has no endpoint for a"
log "$IMPL_A(a, roaming) -> $IMPL_B(b): $BYTES bytes, a moves 192.168.241.1 -> .11 mid-transfer"

( sleep 0.4
  ip -n "$A" addr del 192.168.241.1/24 dev va
  ip -n "$A" addr add 192.168.241.11/24 dev va
  ip -n "$A" route add default dev va 2>/dev/null || true ) &
PIDS+=($!)
xfer "$B" 10.99.0.2 "$A" "$BYTES"
ip netns exec "$B" wg show "$IB" endpoints | grep -q '192.168.241.11:' \
  || fail "b did not roam: $(ip netns exec "$B" wg show "$IB" endpoints)"
log "PASS roaming $IMPL_A->$IMPL_B (b now sees a at $(ip netns exec "$B" wg show "$IB" endpoints | awk '{print $2}'))"
