# lib.sh — shared helpers for DLog's network-namespace tests. Source it.
#
# Every test builds its own namespaces (names start with "dlt"), sends traffic only
# inside them, and tears them down (and every process it started) on exit.
#
# Implementations of a WireGuard side: "dlog" (our dlog-wg) or "go" (Debian's
# wireguard-go). Both are driven only through the stock `wg` tool.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
DLOG_WG=${DLOG_WG:-$BUILD_DIR/src/programs/dlog-wg}
TAG=${TAG:-$$}
WORK=$(mktemp -d "/tmp/dlt-$TAG.XXXX")
chmod 700 "$WORK"
PIDS=()
NAMESPACES=()
IFACES=()

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }

need_tools() {
  [ "$(id -u)" = 0 ] || fail "needs root (network namespaces)"
  for t in ip wg wireguard-go ping python3 tcpdump timeout; do
    command -v "$t" >/dev/null || fail "missing tool: $t (run scripts/setup.sh)"
  done
  [ -x "$DLOG_WG" ] || fail "missing $DLOG_WG (build first)"
}

cleanup() {
  set +e
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && wait "$pid" 2>/dev/null; done
  for ns in "${NAMESPACES[@]:-}"; do [ -n "$ns" ] && ip netns del "$ns" 2>/dev/null; done
  for i in "${IFACES[@]:-}"; do [ -n "$i" ] && rm -f "/var/run/wireguard/$i.sock"; done
  [ -n "${KEEP_WORK:-}" ] && echo "kept $WORK" >&2 || rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# make_ns NAME: a fresh namespace with loopback up.
make_ns() {
  ip netns add "$1"
  NAMESPACES+=("$1")
  ip -n "$1" link set lo up
}

# veth_pair NS_A DEV_A NS_B DEV_B: a veth between two namespaces, both ends up.
veth_pair() {
  ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
  ip -n "$1" link set "$2" up
  ip -n "$3" link set "$4" up
}

# start_wg IMPL NS IFNAME: run a userspace WireGuard in NS, wait for its UAPI socket.
start_wg() {
  local impl=$1 ns=$2 ifname=$3 bin
  case "$impl" in
    dlog) bin=$DLOG_WG ;;
    go) bin=wireguard-go ;;
    *) fail "unknown implementation $impl" ;;
  esac
  IFACES+=("$ifname")
  ip netns exec "$ns" env WG_PROCESS_FOREGROUND=1 LOG_LEVEL=error "$bin" "$ifname" \
    >"$WORK/$ifname.log" 2>&1 &
  PIDS+=($!)
  local pid=$! sock=/var/run/wireguard/$ifname.sock
  # Only ask `wg` once the socket listens: `wg` unlinks a socket that refuses its
  # connection, and a socket between the daemon's bind() and listen() does, so polling
  # with `wg show` alone could delete it under the starting daemon ("Failed to start:
  # lstat ...sock: No such file"). Listening unix sockets are listed per namespace, under
  # the name they were bound to: dlog-wg binds "$sock.tmp-PID" and renames it into place
  # once it listens (src/net/uapi_server.cc), hence the prefix match.
  for _ in $(seq 200); do
    kill -0 "$pid" 2>/dev/null || break
    if ip netns exec "$ns" ss -xlH 2>/dev/null | grep -qF " $sock"; then
      ip netns exec "$ns" wg show "$ifname" >/dev/null 2>&1 && return 0
    fi
    sleep 0.05
  done
  cat "$WORK/$ifname.log" >&2
  fail "$impl did not bring up $ifname"
}

# keypair NAME: writes $WORK/NAME.key and $WORK/NAME.pub (wg genkey/pubkey).
keypair() {
  (umask 077; wg genkey >"$WORK/$1.key")
  wg pubkey <"$WORK/$1.key" >"$WORK/$1.pub"
}

# iface_up NS IFNAME ADDR4/LEN ADDR6/LEN: address and raise a WireGuard interface.
iface_up() {
  ip -n "$1" addr add "$3" dev "$2"
  ip -n "$1" addr add "$4" dev "$2" nodad
  ip -n "$1" link set "$2" mtu 1420 up
}

# xfer NS_SRV SRV_ADDR NS_CLI NBYTES: byte-for-byte TCP transfer through the tunnel.
xfer() {
  local nss=$1 addr=$2 nsc=$3 n=$4 port=${5:-5201}
  ip netns exec "$nss" timeout 120 python3 "$HERE/tcpxfer.py" serve "$addr" "$port" \
    >"$WORK/xfer-srv.out" 2>"$WORK/xfer-srv.err" &
  local srv=$!
  PIDS+=("$srv")
  for _ in $(seq 200); do grep -q listening "$WORK/xfer-srv.err" 2>/dev/null && break; sleep 0.05; done
  ip netns exec "$nsc" timeout 120 python3 "$HERE/tcpxfer.py" send "$addr" "$port" "$n" 7 \
    >"$WORK/xfer-cli.out" || fail "transfer client failed"
  wait "$srv" || fail "transfer server failed"
  local sent got
  sent=$(cat "$WORK/xfer-cli.out"); got=$(cat "$WORK/xfer-srv.out")
  [ "$sent" = "$got" ] || fail "transfer mismatch: sent '$sent' received '$got'"
  log "  transfer ok: $sent"
}

# transfer_bytes NS IFNAME: "rx tx" of the single peer, from `wg show transfer`.
transfer_bytes() {
  ip netns exec "$1" wg show "$2" transfer | awk '{print $2, $3}'
}

# latest_handshake NS IFNAME: unix seconds of the peer's latest handshake (0 = none).
latest_handshake() {
  ip netns exec "$1" wg show "$2" latest-handshakes | awk '{print $2}'
}

# paced_start NS_SRV ADDR NS_CLI SECONDS: a TCP transfer paced to last SECONDS
# (paced.py) from NS_CLI to a tcpxfer.py server in NS_SRV, in the background;
# paced_check waits for it and compares both ends' byte count and SHA-256.
paced_start() {
  local nss=$1 addr=$2 nsc=$3 seconds=$4
  ip netns exec "$nss" timeout $((seconds + 40)) python3 "$HERE/tcpxfer.py" serve "$addr" 5201 \
    >"$WORK/paced-srv.out" 2>"$WORK/paced-srv.err" &
  PACED_SRV=$!; PIDS+=("$PACED_SRV")
  for _ in $(seq 200); do grep -q listening "$WORK/paced-srv.err" 2>/dev/null && break; sleep 0.05; done
  ip netns exec "$nsc" timeout $((seconds + 40)) python3 "$HERE/paced.py" "$addr" 5201 "$seconds" \
    >"$WORK/paced-cli.out" &
  PACED_CLI=$!; PIDS+=("$PACED_CLI")
}
paced_check() {
  wait "$PACED_CLI" || fail "paced TCP client failed (connection reset?)"
  wait "$PACED_SRV" || fail "paced TCP server failed"
  local sent got
  sent=$(cat "$WORK/paced-cli.out"); got=$(cat "$WORK/paced-srv.out")
  [ "$sent" = "$got" ] || fail "paced transfer mismatch: sent '$sent' received '$got'"
  log "  paced TCP transfer ok: $sent"
}

# pq_keys: WireGuard key pairs a and b ($WORK/{a,b}.{key,pub}) and ML-KEM key pairs
# ($WORK/pq-{a,b}.{key,pub}) made by dlog-keygen.
pq_keys() {
  local keygen=${DLOG_KEYGEN:-$BUILD_DIR/src/programs/dlog-keygen} side
  keypair a; keypair b
  for side in a b; do "$keygen" genpq "$WORK/pq-$side.key" >"$WORK/pq-$side.pub"; done
}

# pq_conf SIDE OTHER_ENDPOINT REKEY: $WORK/pq-SIDE.conf (dlog-pq's format, read by
# dlog-wg's DLOG_WG_PQ_CONFIG) naming the other side's keys and WireGuard endpoint.
pq_conf() {
  local me=$1 endpoint=$2 rekey=$3 other=b
  [ "$me" = b ] && other=a
  cat >"$WORK/pq-$me.conf" <<CONF
secret_key = $WORK/pq-$me.key
algorithm = kyber1024
rekey_interval = $rekey
[peer]
public_key = $WORK/pq-$other.pub
wireguard_public_key = $(cat "$WORK/$other.pub")
endpoint = $endpoint
CONF
}
