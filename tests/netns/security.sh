#!/usr/bin/env bash
# security.sh IMPL_UNDER_TEST PEER_IMPL — silence and cryptokey routing.
#  1. A host with a key that b does not know sends handshakes: nothing gets through,
#     and b sends not a single datagram back.
#  2. A legitimate peer sends packets whose inner source is outside its allowed IPs:
#     b delivers none of them and answers none.
source "$(dirname "$0")/lib.sh"
IMPL=$1 OTHER=$2
need_tools

A=dlta$TAG B=dltb$TAG IA=wga$TAG IB=wgb$TAG
make_ns "$A"; make_ns "$B"
veth_pair "$A" va "$B" vb
ip -n "$A" addr add 192.168.241.1/24 dev va; ip -n "$B" addr add 192.168.241.2/24 dev vb
start_wg "$OTHER" "$A" "$IA"; start_wg "$IMPL" "$B" "$IB"
keypair a; keypair b; keypair stranger
iface_up "$A" "$IA" 10.99.0.1/24 fd99::1/64
iface_up "$B" "$IB" 10.99.0.2/24 fd99::2/64

# capture NS DEV FILTER: start tcpdump; prints nothing, records its PID.
capture() {
  ip netns exec "$1" tcpdump -i "$2" -n -U -w "$WORK/$2.pcap" "$3" >"$WORK/$2.tcpdump" 2>&1 &
  CAP=$!; PIDS+=("$CAP")
  for _ in $(seq 50); do grep -q listening "$WORK/$2.tcpdump" && return 0; sleep 0.05; done
  fail "tcpdump did not start"
}
count() { kill -INT "$CAP"; wait "$CAP" 2>/dev/null || true; tcpdump -r "$WORK/$1.pcap" -n 2>/dev/null | wc -l; }

log "1. $OTHER(a) with a stranger's key -> $IMPL(b)"
ip netns exec "$B" wg set "$IB" private-key "$WORK/b.key" listen-port 51821 \
  peer "$(cat "$WORK/a.pub")" allowed-ips 10.99.0.1/32
ip netns exec "$A" wg set "$IA" private-key "$WORK/stranger.key" \
  peer "$(cat "$WORK/b.pub")" allowed-ips 10.99.0.2/32 endpoint 192.168.241.2:51821
capture "$B" vb "udp and src host 192.168.241.2"
if ip netns exec "$A" ping -c 3 -i 0.3 -W 1 10.99.0.2 >/dev/null 2>&1; then fail "stranger got through"; fi
sleep 1
n=$(count vb)
[ "$n" = 0 ] || fail "b answered the stranger with $n datagrams"
[ "$(latest_handshake "$B" "$IB")" = 0 ] || fail "b records a handshake with the stranger"
log "  stranger: no handshake, $n datagrams sent back"

log "2. inner source outside allowed IPs"
ip netns exec "$A" wg set "$IA" private-key "$WORK/a.key"
ip netns exec "$A" ping -c 1 -W 3 10.99.0.2 >/dev/null || fail "legitimate tunnel did not come up"
ip -n "$A" addr add 10.99.0.50/24 dev "$IA"
capture "$B" "$IB" "src host 10.99.0.50"
if ip netns exec "$A" ping -I 10.99.0.50 -c 3 -i 0.3 -W 1 10.99.0.2 >/dev/null 2>&1; then
  fail "spoofed inner source got an answer"
fi
n=$(count "$IB")
[ "$n" = 0 ] || fail "b delivered $n packets from a disallowed inner source"
log "  disallowed source: $n packets delivered, no echo reply"
log "PASS security $IMPL (peer $OTHER)"
