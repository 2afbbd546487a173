#!/usr/bin/env bash
# demo.sh — DLog's main job as it stands: install, build, then
#  1. a zero-configuration cluster: three dlog-server nodes, each in its own network
#     namespace on one bridge. node-1 bootstraps a new cluster and prints a join token;
#     node-2 and node-3 get nothing but that token — they find node-1 by mDNS, enrol,
#     and bring up a full mesh of WireGuard tunnels with post-quantum (ML-KEM) PSKs.
#     `dlog status` shows the members, handshakes, bytes and PQ state.
#  2. an operator's laptop with stock WireGuard: `dlog admin invite` prints a wg-quick
#     configuration (and a QR code); wireguard-go brings it into the mesh, and the
#     laptop asks a node for the cluster's status through the tunnel.
#  3. DLog's WireGuard device (dlog-wg) and stock wireguard-go, configured with the
#     stock `wg` tool: handshake, ping and a 50 MB transfer checked byte for byte.
# Everything happens inside namespaces this script creates and removes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export BUILD_DIR=$PWD/build
source tests/netns/lib.sh
source tests/netns/cluster_lib.sh
need_tools
NET=192.168.90

echo
echo "==> 1. three namespaces on a bridge: $NET.11, $NET.12, $NET.13 (and $NET.14 for a laptop)"
cluster_net $NET 4
echo "==> node-1: dlog-server --bootstrap"
start_node 1 --bootstrap
TOKEN=$(wait_line 1 '^Join token: ' 20 | awk '{print $3}')
wait_line 1 '^WireGuard endpoint: ' 20 >/dev/null
sed 's/^/    node-1 | /' "$WORK/n1.out"
echo "==> node-2, node-3: dlog-server --join <token>   (no address given: mDNS finds node-1)"
start_node 2 --join "$TOKEN"
start_node 3 --join "$TOKEN"
A2=$(overlay_of 2); A3=$(overlay_of 3)
wait_line 3 '^Cluster ready' 30 >/dev/null
sed 's/^/    node-3 | /' "$WORK/n3.out"
reaches "dlt$T-n2" "$A3" 15 || fail "node-2 does not reach node-3 at $A3"
echo "==> ping node-3 ($A3) from node-2, through their tunnel"
ip netns exec "dlt$T-n2" ping -c 3 -i 0.2 "$A3"
sleep 1
echo "==> dlog status on node-1"
ip netns exec "dlt$T-n1" "$DLOG" --data-dir "$WORK/d1" status

echo
echo "==> 2. dlog admin invite --role admin --name laptop --qr"
ip netns exec "dlt$T-n1" "$DLOG" --data-dir "$WORK/d1" admin invite --role admin --name laptop \
  --qr -o "$WORK/lap$T.conf"
echo "==> the laptop ($NET.14): stock wireguard-go, wg-quick up"
IFACES+=("lap$T")
ip netns exec "dlt$T-n4" env -u WG_PROCESS_FOREGROUND WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go \
  wg-quick up "$WORK/lap$T.conf" >"$WORK/wgquick.out" 2>&1 || { cat "$WORK/wgquick.out"; fail "wg-quick up"; }
reaches "dlt$T-n4" "$A3" 15 || fail "the laptop does not reach node-3"
echo "==> dlog --node $A3 status, from the laptop through the mesh"
ip netns exec "dlt$T-n4" "$DLOG" --node "$A3" status
ip netns exec "dlt$T-n4" wg-quick down "$WORK/lap$T.conf" >/dev/null 2>&1 || true

echo
A=dlta$TAG B=dltb$TAG IA=dlog$TAG IB=wggo$TAG
echo "==> 3. two namespaces ($A, $B) joined by a veth: 192.168.241.1 <-> 192.168.241.2"
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
echo "A three-node cluster formed with no configuration but a token, a stock WireGuard"
echo "admin joined it, and DLog's WireGuard device interoperated with wireguard-go."
