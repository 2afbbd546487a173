#!/usr/bin/env bash
# demo.sh — DLog's main job as it stands: install, build, then bring up DLog's
# userspace WireGuard device (dlog-wg) in one network namespace and stock wireguard-go
# in another, configure both only with the stock `wg` tool, and show them talking:
# handshake, ping, a 50 MB transfer checked byte for byte, and `wg show` on each side.
# Everything happens inside two namespaces this script creates and removes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export BUILD_DIR=$PWD/build
source tests/netns/lib.sh
need_tools

A=dlta$TAG B=dltb$TAG IA=dlog$TAG IB=wggo$TAG
echo
echo "==> two namespaces ($A, $B) joined by a veth: 192.168.241.1 <-> 192.168.241.2"
make_ns "$A"; make_ns "$B"
veth_pair "$A" va "$B" vb
ip -n "$A" addr add 192.168.241.1/24 dev va; ip -n "$B" addr add 192.168.241.2/24 dev vb
echo "==> $A: dlog-wg $IA      $B: wireguard-go $IB"
start_wg dlog "$A" "$IA"; start_wg go "$B" "$IB"
keypair a; keypair b
ip netns exec "$A" wg set "$IA" private-key "$WORK/a.key" listen-port 51820 \
  peer "$(cat "$WORK/b.pub")" allowed-ips 10.99.0.2/32 endpoint 192.168.241.2:51821
ip netns exec "$B" wg set "$IB" private-key "$WORK/b.key" listen-port 51821 \
  peer "$(cat "$WORK/a.pub")" allowed-ips 10.99.0.1/32
iface_up "$A" "$IA" 10.99.0.1/24 fd99::1/64
iface_up "$B" "$IB" 10.99.0.2/24 fd99::2/64
echo "==> ping 10.99.0.2 through the tunnel (the first packet triggers the handshake)"
ip netns exec "$A" ping -c 3 -i 0.2 10.99.0.2
echo "==> 50 MB over TCP from wireguard-go's side to DLog's, checked by SHA-256"
xfer "$A" 10.99.0.1 "$B" 50000000
echo "==> wg show on DLog's side"
ip netns exec "$A" wg show "$IA" | grep -v 'private key'
echo "==> wg show on wireguard-go's side"
ip netns exec "$B" wg show "$IB" | grep -v 'private key'
echo
echo "DLog's WireGuard device and stock wireguard-go completed a handshake and moved data."
