#!/usr/bin/env bash
# t_dpi_silence.sh — a host without the cluster secret gets no reply from a disguised
# dlog-wg, whatever well-formed traffic it sends.
#
#   v (victim): dlog-wg, disguised; peers: m (a member) and s (a stranger's WireGuard
#       key — configured, so only the missing secret keeps s out)
#   m (member): dlog-wg with the cluster secret; its handshake and pings are captured
#   s (stranger), on its own link to v, sends in turn:
#     1. stock WireGuard handshakes (wireguard-go, configured with v's public key),
#     2. handshakes disguised under another secret (dlog-wg),
#     3. replays of m's captured datagrams (handshake and data), from s's address,
#     4. junk: printable-prefixed random bytes and stock-form garbage.
# v must send nothing at all on s's link, and count the drops; m's tunnel keeps working.
source "$(dirname "$0")/lib.sh"
need_tools
command -v tshark >/dev/null || fail "missing tool: tshark"

SECRET="$WORK/cluster.key" OTHER="$WORK/other.key"
(umask 077; head -c 32 /dev/urandom | base64 >"$SECRET"; head -c 32 /dev/urandom | base64 >"$OTHER")
V=dltv$TAG M=dltm$TAG S=dlts$TAG IV=wgv$TAG IM=wgm$TAG IS=wgs$TAG IS2=wgx$TAG
make_ns "$V"; make_ns "$M"; make_ns "$S"
veth_pair "$V" vm "$M" mv
veth_pair "$V" vs "$S" sv
ip -n "$V" addr add 192.168.241.1/24 dev vm; ip -n "$M" addr add 192.168.241.2/24 dev mv
ip -n "$V" addr add 192.168.242.1/24 dev vs; ip -n "$S" addr add 192.168.242.2/24 dev sv

disguised() { # NS IFNAME SECRET_FILE
  DLOG_WG_OBFS_SECRET_FILE=$3 DLOG_WG_OBFS_OPTIONS="random_padding=true" \
    DLOG_WG_OBFS_STATS_FILE=$WORK/$2.stats start_wg dlog "$1" "$2"
}
disguised "$V" "$IV" "$SECRET"
disguised "$M" "$IM" "$SECRET"
keypair v; keypair m; keypair s
ip netns exec "$V" wg set "$IV" private-key "$WORK/v.key" listen-port 41820 \
  peer "$(cat "$WORK/m.pub")" allowed-ips 10.99.0.2/32 \
  peer "$(cat "$WORK/s.pub")" allowed-ips 10.99.0.3/32
ip netns exec "$M" wg set "$IM" private-key "$WORK/m.key" listen-port 41821 \
  peer "$(cat "$WORK/v.pub")" allowed-ips 10.99.0.1/32 endpoint 192.168.241.1:41820
ip -n "$V" addr add 10.99.0.1/24 dev "$IV"; ip -n "$V" link set "$IV" mtu 1380 up
ip -n "$M" addr add 10.99.0.2/24 dev "$IM"; ip -n "$M" link set "$IM" mtu 1380 up

# The member's session, captured for the replays.
ip netns exec "$V" tcpdump -i vm -s 0 -U -n -w "$WORK/member.pcap" udp >/dev/null 2>&1 &
DUMP=$!; PIDS+=("$DUMP")
ip netns exec "$V" tcpdump -i vs -s 0 -U -n -w "$WORK/stranger.pcap" >/dev/null 2>&1 &
DUMP_S=$!; PIDS+=("$DUMP_S")
sleep 1
ip netns exec "$M" ping -c 5 -i 0.2 -W 3 10.99.0.1 >/dev/null || fail "member cannot reach v"
sleep 0.5
kill -INT "$DUMP"; wait "$DUMP" 2>/dev/null || true

# 1. Stock WireGuard from a configured key.
start_wg go "$S" "$IS"
ip netns exec "$S" wg set "$IS" private-key "$WORK/s.key" listen-port 40000 \
  peer "$(cat "$WORK/v.pub")" allowed-ips 10.99.0.1/32 endpoint 192.168.242.1:41820
ip -n "$S" addr add 10.99.0.3/24 dev "$IS"; ip -n "$S" link set "$IS" up
ip netns exec "$S" ping -c 3 -W 1 10.99.0.1 >/dev/null 2>&1 && fail "stock WireGuard got through"
sleep 6  # a retransmitted initiation too
ip link del "$IS" netns "$S" 2>/dev/null || ip -n "$S" link del "$IS"

# 2. Disguised under another secret.
disguised "$S" "$IS2" "$OTHER"
ip netns exec "$S" wg set "$IS2" private-key "$WORK/s.key" listen-port 40001 \
  peer "$(cat "$WORK/v.pub")" allowed-ips 10.99.0.1/32 endpoint 192.168.242.1:41820
ip -n "$S" addr add 10.99.0.3/24 dev "$IS2"; ip -n "$S" link set "$IS2" up
ip netns exec "$S" ping -c 3 -W 1 10.99.0.1 >/dev/null 2>&1 && fail "another secret got through"

# 3 and 4. Replays of the member's datagrams, and junk, from a plain UDP socket.
tshark -r "$WORK/member.pcap" -Y 'ip.src == 192.168.241.2' -T fields -e udp.payload \
  2>/dev/null >"$WORK/member-payloads.txt"
ip netns exec "$S" python3 - "$WORK/member-payloads.txt" <<'EOF' || fail "replay sender"
import os, random, socket, sys, time
payloads = [bytes.fromhex(l.strip()) for l in open(sys.argv[1]) if l.strip()]
assert len(payloads) >= 6, len(payloads)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.168.242.2", 40002))
v = ("192.168.242.1", 41820)
for p in payloads * 3:                      # every captured datagram, three times
    s.sendto(p, v)
    time.sleep(0.005)
alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
for n in range(500):                        # printable prefix, separator, random rest
    pre = bytes(random.choice(alphabet) for _ in range(8 + n % 9))
    s.sendto(pre + b"\x80" + os.urandom(20 + n), v)
for t, size in [(1, 148), (2, 92), (3, 64), (4, 32), (4, 1440)]:  # stock-form garbage
    s.sendto(bytes([t, 0, 0, 0]) + os.urandom(size - 4), v)
s.settimeout(2)
try:
    data, addr = s.recvfrom(2048)
    sys.exit("v answered %d bytes from %s" % (len(data), addr))
except socket.timeout:
    print("replays and junk: no answer within 2 s", file=sys.stderr)
EOF
sleep 1
kill -INT "$DUMP_S"; wait "$DUMP_S" 2>/dev/null || true

from_v=$(tshark -r "$WORK/stranger.pcap" -Y 'ip.src == 192.168.242.1 && !arp && !icmpv6' 2>/dev/null | wc -l)
to_v=$(tshark -r "$WORK/stranger.pcap" -Y 'ip.dst == 192.168.242.1 && udp' 2>/dev/null | wc -l)
log "stranger's link: $to_v datagrams to v, $from_v packets from v"
[ "$to_v" -gt 500 ] || fail "the stranger's traffic did not reach v's link"
[ "$from_v" = 0 ] || {
  tshark -r "$WORK/stranger.pcap" -Y 'ip.src == 192.168.242.1' 2>/dev/null | head >&2
  fail "v answered the stranger"
}
sleep 1  # stats are rewritten every second
log "  v: $(grep -E '^(opened|drop_[a-z]+) ' "$WORK/$IV.stats" | tr '\n' ' ')"
# Under a wrong key the unmasked kind byte is random, so most fail as drop_header before
# the tag is even computed; either counts as "not sealed under our secret".
count() { awk -v re="^($1)\$" '$1 ~ re {s += $2} END {print s + 0}' "$WORK/$IV.stats"; }
[ "$(count drop_stock)" -ge 2 ] || fail "v counted no stock-form drops"
[ "$(count 'drop_tag|drop_header')" -ge 500 ] || fail "v counted too few foreign datagrams"
[ "$(count drop_replay)" -ge 3 ] || fail "v counted no replayed handshakes"
ip netns exec "$M" ping -c 2 -W 2 10.99.0.1 >/dev/null || fail "the member's tunnel broke"
log "PASS silence: no reply to stock WireGuard, another secret, replays or junk"
