#!/usr/bin/env bash
# t_dpi_classify.sh — DPI classifiers we did not write judge dlog-wg's wire traffic.
#
# Two namespaces, dlog-wg and dlog-pq in each (UDP GSO off, so the capture shows each
# datagram as a NIC would send it, not the veth's 64 KB super-packets); WireGuard on UDP
# 41820/41821 (not 51820, so no classifier can go by the port), the PQ exchange on 41830.
# Each mode captures, on the veth: the PQ exchange that puts the first PSK in place, five
# WireGuard handshakes (the peer is removed and re-added, PSK kept, before each), pings,
# and a 4 MB TCP transfer. Then:
#   vanilla (no DLOG_WG_OBFS_*):  ndpiReader (default and -d) must report WireGuard and
#       tshark's heuristic dissector must decode the frames as wg — proof the check works;
#       handshakes are 148/92 bytes.
#   dpi (cluster secret, random_padding, padding_range [0, 256]): neither tool may see
#       WireGuard; the handshake datagrams have no fixed size; every datagram (PQ ones
#       included) starts with six printable bytes; the PQ datagrams, of a few fixed sizes
#       in vanilla mode, take many; ping datagrams spread over their padding range and no
#       datagram exceeds max_datagram.
# A run with decoys and shaping on is classified too (all options but hopping, which
# t_dpi_hop.sh covers). The PQ exchange runs in dlog-wg on the WireGuard port in the dpi
# run, and as dlog-pq on its own port in the others. Needs root, ndpiReader
# (libndpi-bin), tshark and dlog-pq.
source "$(dirname "$0")/lib.sh"
DLOG_PQ=${DLOG_PQ:-$BUILD_DIR/src/programs/dlog-pq}
need_tools
[ -x "$DLOG_PQ" ] || fail "missing $DLOG_PQ (build first)"
for t in ndpiReader tshark; do command -v "$t" >/dev/null || fail "missing tool: $t"; done

# OUT=DIR keeps the captures, classifier outputs and counters (also when a check fails).
save_artifacts() { if [ -n "${OUT:-}" ]; then mkdir -p "$OUT"; cp "$WORK"/*.{pcap,txt,stats} "$OUT"/ 2>/dev/null || true; fi; }
trap 'save_artifacts; cleanup' EXIT INT TERM

SECRET="$WORK/cluster.key"
(umask 077; head -c 32 /dev/urandom | base64 >"$SECRET")

# session MODE OPTIONS MTU PQ: runs one capture in fresh namespaces (OPTIONS "-": no
# disguise, stock WireGuard on the wire); leaves
# $WORK/MODE.pcap and $WORK/MODE-hs.txt (the time each handshake round starts). PQ is
# "integrated" (the exchange on dlog-wg's port, DLOG_WG_PQ_CONFIG) or "standalone"
# (dlog-pq beside dlog-wg on UDP 41830, DLOG_PQ_OBFS_*).
session() {
  local mode=$1 options=$2 mtu=$3 pq=$4
  local A=dlt${mode:0:1}a$TAG B=dlt${mode:0:1}b$TAG IA=w${mode:0:1}a$TAG IB=w${mode:0:1}b$TAG
  make_ns "$A"; make_ns "$B"
  veth_pair "$A" va "$B" vb
  ip -n "$A" addr add 192.168.241.1/24 dev va
  ip -n "$B" addr add 192.168.241.2/24 dev vb
  keypair "$mode-a"; keypair "$mode-b"
  for x in "a b 192.168.241.2:41820" "b a 192.168.241.1:41821"; do
    set -- $x
    "$DLOG_PQ" genkey "$WORK/$mode-pq-$1.key" "$WORK/$mode-pq-$1.pub"
  done
  for x in "a b 192.168.241.2:41820" "b a 192.168.241.1:41821"; do
    set -- $x
    printf 'secret_key = %s\nalgorithm = kyber1024\nrekey_interval = 300s\n[peer]\n%s\n%s\n%s\n' \
      "$WORK/$mode-pq-$1.key" "public_key = $WORK/$mode-pq-$2.pub" \
      "wireguard_public_key = $(cat "$WORK/$mode-$2.pub")" "endpoint = $3" >"$WORK/$mode-pq-$1.conf"
  done

  # The capture starts before the daemons: the PQ exchange runs as soon as they do.
  local pcap=$WORK/$mode.pcap
  ip netns exec "$A" tcpdump -i va -s 0 -U -n -w "$pcap" udp >"$WORK/$mode-tcpdump.log" 2>&1 &
  local dump=$!
  PIDS+=("$dump")
  sleep 1
  for x in "a $A $IA" "b $B $IB"; do
    set -- $x
    # Empty variables count as unset for dlog-wg.
    local pq_conf="" secret=""
    [ "$pq" = integrated ] && pq_conf=$WORK/$mode-pq-$1.conf
    [ "$options" = - ] || secret=$SECRET
    DLOG_WG_DISABLE_GSO=1 DLOG_WG_PQ_CONFIG=$pq_conf DLOG_WG_OBFS_SECRET_FILE=$secret \
      DLOG_WG_OBFS_OPTIONS=${options#-} DLOG_WG_OBFS_STATS_FILE=$WORK/$mode-$1.stats \
      start_wg dlog "$2" "$3"
  done
  local peer_b=(peer "$(cat "$WORK/$mode-b.pub")" allowed-ips 10.99.0.2/32 endpoint 192.168.241.2:41820)
  ip netns exec "$A" wg set "$IA" private-key "$WORK/$mode-a.key" listen-port 41821 "${peer_b[@]}"
  ip netns exec "$B" wg set "$IB" private-key "$WORK/$mode-b.key" listen-port 41820 \
    peer "$(cat "$WORK/$mode-a.pub")" allowed-ips 10.99.0.1/32 endpoint 192.168.241.1:41821
  for ns_if in "$A $IA 10.99.0.1" "$B $IB 10.99.0.2"; do
    set -- $ns_if
    ip -n "$1" addr add "$3/24" dev "$2"
    ip -n "$1" link set "$2" mtu "$mtu" up
  done
  if [ "$pq" = standalone ]; then
    for x in "a $A $IA 192.168.241.1 b 192.168.241.2" "b $B $IB 192.168.241.2 a 192.168.241.1"; do
      set -- $x
      local pq_env=()
      [ "$options" = - ] ||
        pq_env=(DLOG_PQ_OBFS_SECRET_FILE="$SECRET" DLOG_PQ_OBFS_OPTIONS="$options")
      ip netns exec "$2" env "${pq_env[@]}" "$DLOG_PQ" run --interface "$3" \
        --listen "$4:41830" --secret-key "$WORK/$mode-pq-$1.key" --rekey-interval 300s \
        --peer "$WORK/$mode-pq-$5.pub,$(cat "$WORK/$mode-$5.pub"),$6:41830" \
        >>"$WORK/$mode-dlog-pq-$1.log" 2>&1 &
      PIDS+=($!)
    done
  fi
  # The PQ exchange (disguised alike in the dpi modes) puts the PSK that lets WireGuard in.
  local psk_a="" psk_b="-"
  for _ in $(seq 100); do
    psk_a=$(ip netns exec "$A" wg show "$IA" preshared-keys | awk '{print $2}')
    psk_b=$(ip netns exec "$B" wg show "$IB" preshared-keys | awk '{print $2}')
    [ "$psk_a" = "$psk_b" ] && [ "$psk_a" != "(none)" ] && break
    sleep 0.1
  done
  [ "$psk_a" = "$psk_b" ] && [ "${#psk_a}" = 44 ] || fail "$mode: the PQ exchange did not agree on a PSK"
  (umask 077; echo "$psk_a" >"$WORK/$mode-psk")
  : >"$WORK/$mode-hs.txt"
  for round in 1 2 3 4 5; do
    # A fresh peer (same PSK): the next packet starts a new handshake. Its two datagrams
    # are the first one each way after the mark.
    ip netns exec "$A" wg set "$IA" peer "$(cat "$WORK/$mode-b.pub")" remove
    ip netns exec "$A" wg set "$IA" "${peer_b[@]}" preshared-key "$WORK/$mode-psk"
    local mark
    mark=$(date +%s.%N)
    ip netns exec "$A" ping -c 1 -W 3 10.99.0.2 >/dev/null || fail "$mode: handshake round $round"
    echo "$mark" >>"$WORK/$mode-hs.txt"
    sleep 0.3
  done
  sleep 0.5
  date +%s.%N >"$WORK/$mode-pings.txt"
  ip netns exec "$A" ping -c 40 -i 0.05 -W 2 10.99.0.2 >/dev/null || fail "$mode: pings"
  date +%s.%N >>"$WORK/$mode-pings.txt"
  rm -f "$WORK/xfer-srv.err"  # xfer waits for the server's "listening" in it
  xfer "$B" 10.99.0.2 "$A" 4000000
  sleep 1
  kill -INT "$dump"; wait "$dump" 2>/dev/null || true
  log "$mode: $(grep -E 'packets captured' "$WORK/$mode-tcpdump.log")"
}

# classify MODE: prints "ndpi_default ndpi_dpi_only tshark_wg_frames total_frames".
classify() {
  local pcap=$WORK/$1.pcap
  ndpiReader -i "$pcap" -v 2 >"$WORK/$1-ndpi.txt" 2>&1 || true
  ndpiReader -i "$pcap" -v 2 -d >"$WORK/$1-ndpi-d.txt" 2>&1 || true
  local wg_default wg_dpi frames wg_frames
  wg_default=$(grep '\[proto:' "$WORK/$1-ndpi.txt" | grep -c WireGuard || true)
  wg_dpi=$(grep '\[proto:' "$WORK/$1-ndpi-d.txt" | grep -c WireGuard || true)
  frames=$(tshark -r "$pcap" 2>/dev/null | wc -l)
  wg_frames=$(tshark -r "$pcap" -Y wg 2>/dev/null | wc -l)
  grep '\[proto:' "$WORK/$1-ndpi.txt" | sed "s/^/    $1 ndpi: /" | cut -c1-160 >&2
  echo "$wg_default $wg_dpi $wg_frames $frames"
}

# sizes MODE: per frame "time src udp_payload_length first6hex dstport"; the handshake
# checks look at WireGuard's ports only.
sizes() {
  tshark -r "$WORK/$1.pcap" -T fields -e frame.time_epoch -e ip.src -e udp.length \
    -e udp.payload -e udp.dstport 2>/dev/null | awk '{print $1, $2, $3 - 8, substr($4, 1, 12), $5}'
}

# ---------------------------------------------------------------- vanilla
# Stock WireGuard's flow, with the PQ exchange on dlog-pq's own port: nDPI stops looking
# for WireGuard in a flow whose first datagram is not WireGuard's, so the exchange on
# the WireGuard port would hide vanilla mode from nDPI 4.2 by accident (checked below).
session vanilla - 1420 standalone
read -r v_def v_dpi v_wg v_frames < <(classify vanilla)
log "vanilla: nDPI flows as WireGuard: $v_def (default), $v_dpi (-d); tshark wg frames: $v_wg of $v_frames"
[ "$v_def" -ge 1 ] && [ "$v_dpi" -ge 1 ] || fail "nDPI does not see WireGuard in vanilla mode: the check is broken"
[ "$v_wg" -ge $((v_frames * 9 / 10)) ] || fail "tshark decodes only $v_wg of $v_frames vanilla frames as wg"
sizes vanilla >"$WORK/vanilla-sizes.txt"
python3 - "$WORK/vanilla-sizes.txt" "$WORK/vanilla-hs.txt" <<'EOF' || fail "vanilla handshake sizes"
import collections, sys
frames = [l.split() for l in open(sys.argv[1]) if l.strip()]
is_pq = lambda f: 0x81 <= int(f[3][:2], 16) <= 0x86  # the exchange's message types
pq = collections.Counter(int(f[2]) for f in frames if is_pq(f))
frames = [f for f in frames if not is_pq(f)]
hist = collections.Counter(int(f[2]) for f in frames)
print("vanilla: %d WireGuard datagrams, %d distinct sizes; most common: %s"
      % (len(frames), len(hist), hist.most_common(3)), file=sys.stderr)
marks = [float(l) for l in open(sys.argv[2]) if l.strip()]
print("vanilla PQ exchange: %d datagrams, sizes %s" % (sum(pq.values()), sorted(pq)), file=sys.stderr)
assert sum(pq.values()) >= 4 and pq.most_common(1)[0][1] >= 3, pq  # fixed sizes repeat
for m in marks:
    after = [f for f in frames if float(f[0]) >= m]
    init = next(int(f[2]) for f in after if f[1] == "192.168.241.1")
    resp = next(int(f[2]) for f in after if f[1] == "192.168.241.2")
    assert (init, resp) == (148, 92), (init, resp)
print("vanilla handshakes: 148/92 as expected", file=sys.stderr)
EOF

# The exchange on the WireGuard port, undisguised: tshark still decodes WireGuard (nDPI's
# answer is logged, not asserted).
session pqport - 1420 integrated
read -r q_def q_dpi q_wg q_frames < <(classify pqport)
log "vanilla, PQ on the WireGuard port: nDPI flows as WireGuard: $q_def (default), $q_dpi (-d); tshark wg frames: $q_wg of $q_frames"
[ "$q_wg" -ge $((q_frames * 9 / 10)) ] || fail "tshark decodes only $q_wg of $q_frames frames as wg"

# ---------------------------------------------------------------- disguised
check_disguised() {
  local mode=$1
  read -r d_def d_dpi d_wg d_frames < <(classify "$mode")
  log "$mode: nDPI flows as WireGuard: $d_def (default), $d_dpi (-d); tshark wg frames: $d_wg of $d_frames"
  [ "$d_def" = 0 ] && [ "$d_dpi" = 0 ] || fail "$mode: nDPI identifies WireGuard"
  [ "$d_wg" = 0 ] || fail "$mode: tshark decodes $d_wg frames as wg"
  [ "$d_frames" -gt 1000 ] || fail "$mode: capture too small ($d_frames frames)"
  sizes "$mode" >"$WORK/$mode-sizes.txt"
  python3 - "$WORK/$mode-sizes.txt" "$WORK/$mode-hs.txt" "$WORK/$mode-pings.txt" "$2" \
    <<'EOF' || fail "$mode: size checks"
import sys, collections
frames = [l.split() for l in open(sys.argv[1]) if l.strip()]
marks = [float(l) for l in open(sys.argv[2]) if l.strip()]
ping_start, ping_end = [float(l) for l in open(sys.argv[3]) if l.strip()]
checks = sys.argv[4]  # "handshakes,pings" when each can be told apart on the wire
printable = lambda h: all(0x20 <= int(h[i:i+2], 16) <= 0x7e for i in range(0, 12, 2))
assert all(printable(f[3]) for f in frames), "a datagram without a printable start"
# dlog-pq's own port (standalone); on the WireGuard port the exchange is not told apart.
pq = [int(f[2]) for f in frames if f[4] == "41830"]
if pq:
    print("PQ exchange (port 41830): %d datagrams, %d distinct sizes" % (len(pq), len(set(pq))),
          file=sys.stderr)
    assert len(pq) >= 4 and len(set(pq)) >= len(pq) - 1, pq
frames = [f for f in frames if f[4] != "41830"]
sizes = [int(f[2]) for f in frames]
assert max(sizes) <= 1472, max(sizes)
hist = collections.Counter(sizes)
top = hist.most_common(3)
print("%d datagrams, %d distinct sizes; most common: %s" % (len(sizes), len(hist), top),
      file=sys.stderr)
buckets = collections.Counter(min(s // 128, 11) for s in sizes)
print("size histogram (128-byte buckets, last 1408+): %s"
      % " ".join("%d:%d" % (b * 128, buckets[b]) for b in sorted(buckets)), file=sys.stderr)
hs = []
for m in marks if "handshakes" in checks else []:
    after = [f for f in frames if float(f[0]) >= m]
    hs.append((int(next(f for f in after if f[1] == "192.168.241.1")[2]),
               int(next(f for f in after if f[1] == "192.168.241.2")[2])))
print("handshake sizes (init, resp):", hs, file=sys.stderr)
if hs:
    inits, resps = {h[0] for h in hs}, {h[1] for h in hs}
    assert 148 not in inits and 92 not in resps, "stock handshake sizes on the wire"
    assert len(inits) >= 4 and len(resps) >= 4, "handshake sizes repeat"
    # An initiation is 148 + 24..32 bytes of disguise + 0..256 of padding.
    assert all(172 <= i <= 148 + 32 + 256 for i in inits), inits
    assert all(116 <= r <= 92 + 32 + 256 for r in resps), resps
assert 148 not in hist or hist[148] < len(sizes) / 50, "many 148-byte datagrams"
if "pings" in checks:
    # Ping datagrams (ICMP 84 B → WireGuard 128 B) are 148..156 bytes before padding, so
    # with padding [0, 256] they spread over 148..412 and nothing small falls outside.
    pings = [int(f[2]) for f in frames if ping_start <= float(f[0]) <= ping_end]
    print("ping datagrams: %d, sizes %d..%d" % (len(pings), min(pings), max(pings)), file=sys.stderr)
    assert len(pings) >= 80, len(pings)
    assert min(pings) >= 148 and max(pings) <= 412, (min(pings), max(pings))
    assert max(pings) - min(pings) > 150, "padding does not spread"
    assert top[0][1] < len(sizes) / 5, "one size dominates"
EOF
}

session dpi "random_padding=true;padding_range=[0,256]" 1380 integrated
check_disguised dpi handshakes,pings

# With shaping and decoys, handshakes and pings cannot be told apart on the wire (cover
# and decoys look the same), so only the classifiers and the byte checks apply.
session all "random_padding=true;decoy_traffic=true;decoy_ratio=0.2;traffic_shaping=true;target_rate=20mbit" 1380 standalone
check_disguised all -
log "PASS dpi classification: vanilla seen as WireGuard by nDPI and tshark, disguised not"
