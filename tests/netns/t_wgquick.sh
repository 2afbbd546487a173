#!/usr/bin/env bash
# t_wgquick.sh — `WG_QUICK_USERSPACE_IMPLEMENTATION=dlog-wg wg-quick up <conf>` in a
# namespace brings up DLog's device; it talks to wireguard-go on the other side;
# `wg-quick down` removes it.
source "$(dirname "$0")/lib.sh"
need_tools
command -v wg-quick >/dev/null || fail "missing wg-quick (wireguard-tools)"
A=dlta$TAG B=dltb$TAG IA=wq$TAG IB=wgb$TAG
make_ns "$A"; make_ns "$B"
veth_pair "$A" va "$B" vb
ip -n "$A" addr add 192.168.241.1/24 dev va; ip -n "$B" addr add 192.168.241.2/24 dev vb
start_wg go "$B" "$IB"
keypair a; keypair b
ip netns exec "$B" wg set "$IB" private-key "$WORK/b.key" listen-port 51821 \
  peer "$(cat "$WORK/a.pub")" allowed-ips 10.99.0.1/32
iface_up "$B" "$IB" 10.99.0.2/24 fd99::2/64
mkdir -p "$WORK/bin"; ln -s "$DLOG_WG" "$WORK/bin/dlog-wg"
cat >"$WORK/$IA.conf" <<CONF
[Interface]
PrivateKey = $(cat "$WORK/a.key")
Address = 10.99.0.1/24

[Peer]
PublicKey = $(cat "$WORK/b.pub")
AllowedIPs = 10.99.0.2/32
Endpoint = 192.168.241.2:51821
CONF
chmod 600 "$WORK/$IA.conf"
IFACES+=("$IA")
ip netns exec "$A" env PATH="$WORK/bin:$PATH" WG_QUICK_USERSPACE_IMPLEMENTATION=dlog-wg \
  wg-quick up "$WORK/$IA.conf" >"$WORK/wgquick.log" 2>&1 || { cat "$WORK/wgquick.log" >&2; fail "wg-quick up"; }
grep -q "dlog-wg $IA" "$WORK/wgquick.log" || { cat "$WORK/wgquick.log" >&2; fail "wg-quick did not run dlog-wg"; }
pgrep -f "dlog-wg $IA" >/dev/null || fail "dlog-wg is not running after wg-quick up"
ip netns exec "$A" ping -c 3 -i 0.2 -W 3 10.99.0.2 >/dev/null || fail "ping through the wg-quick tunnel"
ip netns exec "$A" wg-quick down "$WORK/$IA.conf" >>"$WORK/wgquick.log" 2>&1 || fail "wg-quick down"
for _ in $(seq 50); do pgrep -f "dlog-wg $IA" >/dev/null || break; sleep 0.1; done
pgrep -f "dlog-wg $IA" >/dev/null && fail "dlog-wg still running after wg-quick down"
[ -e "/var/run/wireguard/$IA.sock" ] && fail "UAPI socket left behind"
log "PASS wg-quick up/down with dlog-wg"
