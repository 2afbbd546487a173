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
  rm -rf "$WORK"
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
  for _ in $(seq 100); do
    ip netns exec "$ns" wg show "$ifname" >/dev/null 2>&1 && return 0
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
