#!/usr/bin/env bash
# t_stack_tun_relay.sh — lwIP (the userspace stack) against the kernel's TCP, with raw IP
# packets between them: stack_peer runs a UserspaceStack whose packets go to and come
# from a kernel TUN in a namespace, and the kernel side (python3 sockets) talks to it.
#   1. kernel client → lwIP sink: 20 MB, SHA-256 checked; the service reports the
#      kernel's address and port as the remote.
#   2. lwIP client → kernel sink (a second stack_peer on its own TUN): 20 MB, SHA-256
#      checked; the kernel server sees the lwIP overlay address.
#   3. kernel server → lwIP client (recv): 20 MB, SHA-256 checked.
#   4. who / callback services: each side reports the other's address and port.
#   5. a closed lwIP port refuses (RST) a kernel client at once.
#   6. lwIP answers ping on both addresses; IPv6: 5 MB kernel → lwIP, who, and lwIP
#      connecting out over IPv6 (callback).
source "$(dirname "$0")/lib.sh"

STACK_PEER=${STACK_PEER:-$BUILD_DIR/tests/stack_peer}
BYTES=${STACK_BYTES:-20971520}
[ "$(id -u)" = 0 ] || fail "needs root (network namespaces)"
for t in ip python3 timeout ping; do command -v "$t" >/dev/null || fail "missing tool: $t"; done
[ -x "$STACK_PEER" ] || fail "missing $STACK_PEER (build the stack_peer target)"

NS=dlt-stk-$TAG
make_ns "$NS"
nsx() { ip netns exec "$NS" "$@"; }

cat >"$WORK/k.py" <<'PY'
import hashlib, os, socket, sys

def fmt(a):  # "10.0.0.1:5" or "[fd00::1]:5", as stack::SocketAddress prints
    return ("[%s]:%d" if ":" in a[0] else "%s:%d") % (a[0], a[1])

def read_all(c):
    h, n = hashlib.sha256(), 0
    while True:
        b = c.recv(1 << 16)
        if not b:
            return n, h.hexdigest()
        h.update(b); n += len(b)

def line(c):
    out = b""
    while not out.endswith(b"\n"):
        b = c.recv(1)
        if not b: break
        out += b
    return out.decode().strip()

def listener(host, port):
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port)); s.listen(4); s.settimeout(30)
    return s

mode = sys.argv[1]
if mode == "client-sink":          # HOST PORT N: send N random bytes, FIN, read reply
    host, port, n = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    c = socket.create_connection((host, port), timeout=30)
    h, left = hashlib.sha256(), n
    while left:
        b = os.urandom(min(left, 1 << 16)); h.update(b); c.sendall(b); left -= len(b)
    c.shutdown(socket.SHUT_WR)
    me = fmt(c.getsockname())
    print(n, h.hexdigest(), me, "|", line(c))
elif mode == "who":                # HOST PORT
    c = socket.create_connection((sys.argv[2], int(sys.argv[3])), timeout=30)
    print(fmt(c.getsockname()), "|", line(c))
elif mode == "refused":            # HOST PORT
    try:
        socket.create_connection((sys.argv[2], int(sys.argv[3])), timeout=5)
        print("connected")
    except ConnectionRefusedError:
        print("refused")
elif mode == "server-sink":        # HOST PORT: one connection, read to EOF, answer
    s = listener(sys.argv[2], int(sys.argv[3])); print("listening", flush=True)
    c, peer = s.accept(); n, d = read_all(c)
    c.sendall(("%d %s %s\n" % (n, d, fmt(peer))).encode()); c.close()
elif mode == "server-source":      # HOST PORT: one connection, read "N\n", send N bytes
    s = listener(sys.argv[2], int(sys.argv[3])); print("listening", flush=True)
    c, peer = s.accept(); n = int(line(c)); h, left = hashlib.sha256(), n
    while left:
        b = os.urandom(min(left, 1 << 16)); h.update(b); c.sendall(b); left -= len(b)
    c.close()
    print(n, h.hexdigest(), fmt(peer), flush=True)
elif mode == "callback":           # LHOST LPORT HOST PORT: lwIP connects back to us
    s = listener(sys.argv[2], int(sys.argv[3]))
    c = socket.create_connection((sys.argv[4], int(sys.argv[5])), timeout=30)
    c.sendall(b"%d\n" % int(sys.argv[3]))
    a, peer = s.accept()
    print(fmt(peer), "|", line(a))
PY

# start_peer NAME TUN ADDR CMD...: stack_peer in the namespace on its own TUN; the kernel
# side of the TUN gets .1 of the same /24.
start_peer() {
  local name=$1 tun=$2 addr=$3; shift 3
  # `ip netns exec` execs the program, so $! is stack_peer itself (cleanup kills it)
  ip netns exec "$NS" "$STACK_PEER" --stack userspace --tun "$tun" --addr "$addr" "$@" \
    >"$WORK/$name.out" 2>"$WORK/$name.err" &
  PIDS+=($!)
  for _ in $(seq 100); do
    nsx ip link show "$tun" >/dev/null 2>&1 && break
    sleep 0.05
  done
  nsx ip addr add "${addr%.*}.1/24" dev "$tun"
  nsx ip link set "$tun" up
}

start_peer server dstk0 10.66.0.2/24 --addr6 fd66::2/64 serve
SERVER_PID=${PIDS[-1]}
nsx ip -6 addr add fd66::1/64 dev dstk0 nodad
for _ in $(seq 100); do grep -q ready "$WORK/server.out" 2>/dev/null && break; sleep 0.05; done
grep -q ready "$WORK/server.out" || { cat "$WORK/server.err" >&2; fail "stack_peer serve did not start"; }
log "lwIP 10.66.0.2 behind TUN dstk0 (kernel 10.66.0.1)"

# 1. kernel client → lwIP sink
out=$(nsx timeout 60 python3 "$WORK/k.py" client-sink 10.66.0.2 9 "$BYTES")
read -r n sha me _ rn rsha rremote <<<"$out"
[ "$rn" = "$BYTES" ] && [ "$rsha" = "$sha" ] || fail "kernel→lwIP: sent $n $sha, lwIP got $rn $rsha"
[ "$rremote" = "$me" ] || fail "lwIP service saw remote $rremote, the client is $me"
log "kernel→lwIP: $BYTES bytes, SHA-256 equal, service saw $rremote"

# 2. lwIP client → kernel sink
ip netns exec "$NS" timeout 60 python3 "$WORK/k.py" server-sink 10.67.0.1 5001 >"$WORK/ksink.out" &
PIDS+=($!)
start_peer client dstk1 10.67.0.2/24 send 10.67.0.1:5001 "$BYTES"
for _ in $(seq 600); do [ -s "$WORK/client.out" ] && break; sleep 0.1; done
read -r word n sha secs kn ksha kpeer <"$WORK/client.out" ||
  { cat "$WORK/client.err" >&2; fail "lwIP client printed nothing"; }
[ "$word" = sent ] && [ "$kn" = "$BYTES" ] && [ "$ksha" = "$sha" ] ||
  fail "lwIP→kernel: sent $n $sha, kernel got $kn $ksha"
[ "${kpeer%:*}" = 10.67.0.2 ] || fail "kernel server saw $kpeer, not 10.67.0.2"
log "lwIP→kernel: $BYTES bytes, SHA-256 equal, kernel saw $kpeer ($secs s)"

# 3. kernel server → lwIP client
ip netns exec "$NS" timeout 60 python3 "$WORK/k.py" server-source 10.68.0.1 5002 \
  >"$WORK/ksrc.out" &
PIDS+=($!)
start_peer recv dstk2 10.68.0.2/24 recv 10.68.0.1:5002 "$BYTES"
for _ in $(seq 600); do [ -s "$WORK/recv.out" ] && [ -s "$WORK/ksrc.out" ] && break; sleep 0.1; done
read -r word n sha _ <"$WORK/recv.out" || { cat "$WORK/recv.err" >&2; fail "lwIP recv printed nothing"; }
grep -v listening "$WORK/ksrc.out" | { read -r kn ksha kpeer; echo "$kn $ksha $kpeer"; } >"$WORK/ksrc.res"
read -r kn ksha kpeer <"$WORK/ksrc.res"
[ "$n" = "$BYTES" ] && [ "$sha" = "$ksha" ] || fail "kernel→lwIP client: sent $kn $ksha, got $n $sha"
[ "${kpeer%:*}" = 10.68.0.2 ] || fail "kernel source saw $kpeer"
log "kernel server→lwIP client: $BYTES bytes, SHA-256 equal"

# 4. addresses both ways
out=$(nsx timeout 20 python3 "$WORK/k.py" who 10.66.0.2 8)
[ "${out%% |*}" = "${out##*| }" ] || fail "who: $out"
out=$(nsx timeout 20 python3 "$WORK/k.py" callback 10.66.0.1 5003 10.66.0.2 10)
[ "${out%% |*}" = "${out##*| }" ] && [ "${out%%:*}" = 10.66.0.2 ] || fail "callback: $out"
log "addresses: who and callback agree ($out)"

# 5. a closed port refuses at once
out=$(nsx timeout 10 python3 "$WORK/k.py" refused 10.66.0.2 5555)
[ "$out" = refused ] || fail "closed lwIP port: $out"

# 6. ICMP echo and IPv6
nsx ping -c 2 -i 0.2 -W 2 10.66.0.2 >/dev/null || fail "lwIP does not answer ping"
nsx ping -6 -c 2 -i 0.2 -W 2 fd66::2 >/dev/null || fail "lwIP does not answer ping over IPv6"
out=$(nsx timeout 60 python3 "$WORK/k.py" client-sink fd66::2 9 5000000)
read -r n sha me _ rn rsha rremote <<<"$out"
[ "$rn" = 5000000 ] && [ "$rsha" = "$sha" ] && [ "$rremote" = "$me" ] || fail "IPv6 sink: $out"
out=$(nsx timeout 20 python3 "$WORK/k.py" who fd66::2 8)
[ "${out%% |*}" = "${out##*| }" ] || fail "IPv6 who: $out"
out=$(nsx timeout 20 python3 "$WORK/k.py" callback fd66::1 5004 fd66::2 10)
[ "${out%% |*}" = "${out##*| }" ] && [ "${out%%]:*}" = "[fd66::2" ] || fail "IPv6 callback: $out"
log "IPv6 lwIP client: $out"
log "ping v4/v6 answered; IPv6: 5 MB SHA-256 equal, service saw $rremote"
kill "$SERVER_PID"  # stack_peer prints its counters on SIGTERM
wait "$SERVER_PID" 2>/dev/null || true
grep -q "dropped_invalid=0 " "$WORK/server.err" || fail "lwIP dropped packets: $(cat "$WORK/server.err")"
log "$(grep counters "$WORK/server.err")"
log "PASS t_stack_tun_relay"
