#!/usr/bin/env bash
# cluster_netns.sh — whole dlog-server nodes in network namespaces (issue 4, performance).
#
# 1. Time to a full mesh. N namespaces on one bridge (underlay 192.168.79.0/24). node 1
#    starts with --bootstrap; the moment its join token appears the N-1 others start at
#    once with --join TOKEN and either --seed <node 1>:51820 (JOIN=seed) or nothing else
#    (JOIN=mdns: mDNS finds node 1); for N > 17, with a token for N-1 uses that node 1
#    issues through its status socket (the printed one admits 16). Clock: from node 1's start to the moment every node's
#    status socket lists N members and a WireGuard handshake with each of the other N-1
#    (N*(N-1) handshakes: data can only flow after the PQ exchange, since the PSK is random
#    until then). For tun, every pair then also pings (one ping each, all pairs) as a check
#    of the data path; that check is not in the time. Each run gives up after LIMIT s.
# 2. One mixed cluster of three: node 1 (tun) measures against node 2 (tun: kernel TCP
#    behind a TUN) and node 3 (userspace: lwIP in dlog-server), round-robin in one run:
#    ICMP echo round trip, TCP connect round trip (SYN → SYN-ACK) and one HTTP request
#    (connect, GET /v1/status, response, close) to the admin API on overlay :8080 — the
#    one TCP service dlog-server serves on both stacks — and 64 KiB request bodies
#    uploaded to it (the API's largest body) as a TCP throughput both stacks can serve.
#    iperf3 (bulk TCP, kernel on both ends) for tun only: lwIP has no iperf3 server.
#
# Usage: sudo BUILD_DIR=build bash bench/cluster_netns.sh [N...]        (default: 3 20)
#   STACKS="tun userspace"  JOINS="seed mdns"  RUNS=3 (rounds of every N/stack/join, the
#   configurations round-robin in each round)  LIMIT=120  PAIR=1  PINGS=50  REQS=200
#   NODE_LOG_LEVEL=error (the nodes' LOG_LEVEL)  KEEP=DIR (copy the nodes' output of a
#   failed run there: the rest of the work directory is deleted on exit)
# This is a benchmark, not a test: nothing asserts on time.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
SERVER=${SERVER_BIN:-$BUILD_DIR/src/programs/dlog-server}
STACKS=${STACKS:-tun userspace}
JOINS=${JOINS:-seed mdns}
LIMIT=${LIMIT:-120}
PAIR=${PAIR:-1}
PINGS=${PINGS:-50}
REQS=${REQS:-200}
RUNS=${RUNS:-3}
NODE_LOG_LEVEL=${NODE_LOG_LEVEL:-error}
KEEP=${KEEP:-}
SIZES=("$@")
[ ${#SIZES[@]} = 0 ] && SIZES=(3 20)
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)" >&2; exit 1; }
[ -x "$SERVER" ] || { echo "missing $SERVER (ninja dlog-server)" >&2; exit 1; }
for t in ip ping python3 iperf3; do command -v $t >/dev/null || { echo "missing $t" >&2; exit 1; }; done

T=${TAG:-$$}
T=${T: -5}
NET=192.168.79
BR=dlb$T-br
OUT=$(mktemp -d /tmp/dlb-cluster.XXXX)
chmod 700 "$OUT"
PIDS=()
NSS=()
IFS_=()
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

stop_nodes() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null; done
  PIDS=()
  for i in "${IFS_[@]:-}"; do [ -n "$i" ] && rm -f "/var/run/wireguard/$i.sock"; done
  IFS_=()
}
teardown() {
  stop_nodes
  for ns in "${NSS[@]:-}"; do [ -n "$ns" ] && ip netns del "$ns" 2>/dev/null; done
  NSS=()
}
cleanup() {
  set +e
  teardown
  rm -rf "$OUT"
}
trap cleanup EXIT INT TERM

ns_of() { echo "dlb$T-n$1"; }
# underlay N: a bridge namespace and N node namespaces on it (192.168.79.(10+i)/24).
underlay() {
  ip netns add "$BR" && NSS+=("$BR")
  ip -n "$BR" link set lo up
  ip -n "$BR" link add br0 type bridge
  ip -n "$BR" link set br0 up
  for i in $(seq "$1"); do
    local ns
    ns=$(ns_of "$i")
    ip netns add "$ns" && NSS+=("$ns")
    ip -n "$ns" link set lo up
    ip link add eth0 netns "$ns" type veth peer name p$i netns "$BR"
    ip -n "$BR" link set p$i master br0 up
    ip -n "$ns" addr add $NET.$((10 + i))/24 dev eth0
    ip -n "$ns" link set eth0 up
  done
}
# start_node I STACK ARGS...: dlog-server in namespace I (data dir $OUT/dI, log level error).
start_node() {
  local i=$1 stack=$2; shift 2
  IFS_+=("dlb${T}n$i")
  ip netns exec "$(ns_of "$i")" env LOG_LEVEL="$NODE_LOG_LEVEL" "$SERVER" --data-dir "$OUT/d$i" \
    --name "node-$i" --stack "$stack" --interface "dlb${T}n$i" "$@" \
    >"$OUT/n$i.out" 2>"$OUT/n$i.err" &
  PIDS+=($!)
}
now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$(now) - $1:.2f}')"; }

# mesh_wait N T0: polls every status socket (unix paths: no namespace needed) until each
# lists N members with a handshake with every other one; prints "seconds" or "FAIL ...".
mesh_wait() {
  python3 - "$OUT" "$1" "$2" "$LIMIT" <<'PY'
import json, socket, sys, time
out, n, t0, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
done = {}
def status(i):
    s = socket.socket(socket.AF_UNIX); s.settimeout(2)
    try:
        s.connect(f"{out}/d{i}/status.sock"); s.sendall(b"status\n"); s.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            b = s.recv(65536)
            if not b: break
            data += b
        return json.loads(data)
    except (OSError, ValueError):
        return None
    finally:
        s.close()
last, overlay = {}, {}
while len(done) < n and time.time() - t0 < limit:
    for i in range(1, n + 1):
        if i in done: continue
        st = status(i)
        if st is None: continue
        peers = [m for m in st["members"] if not m["self"]]
        up = sum(1 for m in peers if m["last_handshake"] > 0)
        last[i] = (len(st["members"]), up)
        if len(st["members"]) == n and up == n - 1:
            done[i] = time.time() - t0
            overlay[i] = st["overlay"]
    time.sleep(0.1)
with open(f"{out}/overlays", "w") as f:
    for i in sorted(overlay): print(i, overlay[i], file=f)
if len(done) == n:
    print(f"{max(done.values()):.2f} first_node={min(done.values()):.2f}")
else:
    missing = {i: last.get(i, "no status") for i in range(1, n + 1) if i not in done}
    hs = sum(last.get(i, (0, 0))[1] for i in range(1, n + 1))
    print(f"FAIL after {limit:.0f} s: {hs}/{n*(n-1)} handshakes; (members, handshakes) of the "
          f"unfinished nodes: {dict(list(missing.items())[:6])}")
PY
}
# ping_all N: every node pings every other overlay address once (namespaces in parallel);
# prints the number of pairs that answered.
ping_all() {
  local n=$1 i
  for i in $(seq "$n"); do
    (
      ok=0
      for j in $(seq "$n"); do
        [ "$i" = "$j" ] && continue
        ip netns exec "$(ns_of "$i")" ping -c1 -W2 -q "${ADDR[$j]}" >/dev/null 2>&1 && ok=$((ok + 1))
      done
      echo $ok >"$OUT/ping$i"
    ) &
  done
  wait
  cat "$OUT"/ping* | awk '{s += $1} END {print s}'
  rm -f "$OUT"/ping*
}
cpu_total() {  # CPU seconds (user + system) used so far by the running nodes
  local t=0 p
  for p in "${PIDS[@]}"; do t=$((t + $(awk '{print $14 + $15}' /proc/$p/stat 2>/dev/null || echo 0))); done
  awk -v t=$t -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", t / hz}'
}
rss_total() {  # total RSS of the running nodes in MB
  local kb=0 p
  for p in "${PIDS[@]}"; do kb=$((kb + $(awk '/VmRSS/ {print $2}' /proc/$p/status 2>/dev/null || echo 0))); done
  echo $((kb / 1024))
}

declare -A ADDR
read_overlays() {  # ADDR[i] from the status sockets (written by mesh_wait)
  local i a
  while read -r i a; do ADDR[$i]=${a%/*}; done <"$OUT/overlays"
}
RESULTS=()
# mesh_run N STACK JOIN
mesh_run() {
  local n=$1 stack=$2 join=$3 t0 tok="" i result extra=""
  underlay "$n"
  t0=$(now)
  start_node 1 "$stack" --bootstrap
  for _ in $(seq 300); do
    tok=$(awk '/^Join token: / {print $3; exit}' "$OUT/n1.out" 2>/dev/null)
    [ -n "$tok" ] && break
    sleep 0.05
  done
  if [ -z "$tok" ]; then
    cat "$OUT/n1.err" >&2
    RESULTS+=("N=$n $stack $join: FAIL (no join token from node 1)")
    teardown
    return
  fi
  local ttok
  ttok=$(elapsed "$t0")
  # The printed token admits 16 joins (node role, 24 h): for more, node 1 issues one
  # for N-1 through its status socket, as an operator would.
  if [ "$n" -gt 17 ]; then
    tok=$(python3 - "$OUT/d1/status.sock" "$((n - 1))" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(f"invite node 3600 {sys.argv[2]}\n".encode()); s.shutdown(socket.SHUT_WR)
print(s.recv(65536).decode().strip())
PY
)
    case "$tok" in dlog1.*) ttok="$ttok, token for $((n - 1)) uses after $(elapsed "$t0")" ;;
      *) RESULTS+=("N=$n $stack $join: FAIL (invite: $tok)"); teardown; return ;; esac
  fi
  for i in $(seq 2 "$n"); do
    if [ "$join" = seed ]; then
      start_node "$i" "$stack" --join "$tok" --seed $NET.11:51820
    else
      start_node "$i" "$stack" --join "$tok"
    fi
  done
  result=$(mesh_wait "$n" "$t0")
  local rss ncpu
  rss=$(rss_total)
  ncpu=$(cpu_total)
  if [ "$stack" = tun ] && [ "${result#FAIL}" = "$result" ]; then
    read_overlays
    extra=", pings $(ping_all "$n")/$((n * (n - 1))) pairs"
  fi
  TIMES["$n $stack $join"]+="${result%% *} "
  RESULTS+=("N=$n $stack $join: full mesh $result s (token after $ttok s$extra; RSS of all nodes ${rss} MB; CPU of all nodes ${ncpu} s)")
  log "${RESULTS[-1]}"
  if [ "${result#FAIL}" != "$result" ]; then
    for i in $(seq "$n"); do
      [ -s "$OUT/n$i.err" ] && { log "  node $i stderr:"; tail -3 "$OUT/n$i.err" >&2; }
    done
    if [ -n "$KEEP" ]; then
      local k
      k=$KEEP/fail-$n-$stack-$join-$(date +%H%M%S)
      mkdir -p "$k" && cp "$OUT"/n*.out "$OUT"/n*.err "$OUT/overlays" "$k"/ 2>/dev/null
      log "  node logs kept in $k"
    fi
  fi
  for i in $(seq "$n"); do
    if ! kill -0 "${PIDS[$((i - 1))]}" 2>/dev/null; then
      log "  node $i exited:"; tail -3 "$OUT/n$i.err" >&2
    fi
  done
  teardown
  rm -rf "$OUT"/d* "$OUT"/n*.out "$OUT"/n*.err
}

# pair: node1 (tun) measures node2 (tun) and node3 (userspace), round-robin.
pair_run() {
  underlay 3
  start_node 1 tun --bootstrap
  local tok=""
  for _ in $(seq 300); do
    tok=$(awk '/^Join token: / {print $3; exit}' "$OUT/n1.out" 2>/dev/null)
    [ -n "$tok" ] && break
    sleep 0.05
  done
  [ -n "$tok" ] || { log "pair: no token"; teardown; return; }
  start_node 2 tun --join "$tok" --seed $NET.11:51820
  start_node 3 userspace --join "$tok" --seed $NET.11:51820
  local r
  r=$(mesh_wait 3 "$(now)")
  if [ "${r#FAIL}" != "$r" ]; then RESULTS+=("pair: mesh $r"); teardown; return; fi
  read_overlays
  local ns1 ns2
  ns1=$(ns_of 1) ns2=$(ns_of 2)
  ip netns exec "$ns2" iperf3 -s -D -1 -B "${ADDR[2]}" --pidfile "$OUT/iperf.pid" >/dev/null 2>&1
  sleep 0.5
  local ip2=${ADDR[2]} ip3=${ADDR[3]}
  ip netns exec "$ns1" python3 - "$ip2" "$ip3" "$PINGS" "$REQS" <<'PY' >"$OUT/pair.txt" 2>&1
import socket, statistics, subprocess, sys, time
ip2, ip3, pings, reqs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
targets = {"tun (kernel TCP)": ip2, "userspace (lwIP)": ip3}
res = {k: {"icmp": [], "connect": [], "http": [], "up": []} for k in targets}
def icmp(ip):
    o = subprocess.run(["ping", "-c", "1", "-W", "2", ip], capture_output=True, text=True).stdout
    for w in o.split():
        if w.startswith("time="): return float(w[5:])
    return None
def get(ip, body=b""):
    t = time.perf_counter()
    s = socket.create_connection((ip, 8080), timeout=5)
    tc = time.perf_counter() - t
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.sendall(b"GET /v1/status HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    data = b""
    while True:
        b = s.recv(65536)
        if not b: break
        data += b
    s.close()
    assert data.startswith(b"HTTP/1.1 200"), data[:80]
    return tc, time.perf_counter() - t
for k, ip in targets.items():  # warm up (ARP, sessions)
    icmp(ip); get(ip)
body = b"x" * 65536
for r in range(max(pings, reqs)):
    for k, ip in targets.items():
        if r < pings:
            v = icmp(ip)
            if v is not None: res[k]["icmp"].append(v * 1000)
        if r < reqs:
            tc, th = get(ip)
            res[k]["connect"].append(tc * 1e6); res[k]["http"].append(th * 1e6)
        if r < reqs // 4:
            _, tu = get(ip, body)
            res[k]["up"].append(len(body) / tu / 1e6)
med = lambda v: statistics.median(v) if v else float("nan")
print("| path | ICMP echo (µs) | TCP connect (µs) | HTTP GET, new connection (µs) | 64 KiB upload per connection (MB/s) |")
print("| --- | --- | --- | --- | --- |")
for k in targets:
    d = res[k]
    print(f"| {k} | {med(d['icmp']):.0f} | {med(d['connect']):.0f} | {med(d['http']):.0f} | {med(d['up']):.1f} |")
a, b = res["userspace (lwIP)"], res["tun (kernel TCP)"]
print(f"| **userspace / tun** | {med(a['icmp'])/med(b['icmp']):.2f} | {med(a['connect'])/med(b['connect']):.2f} | "
      f"{med(a['http'])/med(b['http']):.2f} | {med(a['up'])/med(b['up']):.2f} |")
print(f"(medians; {len(a['icmp'])}/{len(b['icmp'])} echoes, {len(a['http'])} requests, {len(a['up'])} uploads per path)")
PY
  cat "$OUT/pair.txt" >&2
  local ip_out
  ip_out=$(ip netns exec "$ns1" timeout 30 iperf3 -c "$ip2" -t 5 -J 2>/dev/null |
    python3 -c '
import json, sys
j = json.load(sys.stdin)["end"]
s, r = j["sum_sent"], j["sum_received"]
print("%.0f Mbit/s sent, %.0f Mbit/s received, %d retransmits" % (s["bits_per_second"] / 1e6, r["bits_per_second"] / 1e6, s.get("retransmits", 0)))' 2>&1)
  RESULTS+=("pair (node1 tun → node2 tun, node3 userspace):" "$(cat "$OUT/pair.txt")" "iperf3 -t 5, node1 → node2 (tun only): $ip_out")
  [ -f "$OUT/iperf.pid" ] && kill "$(cat "$OUT/iperf.pid")" 2>/dev/null
  teardown
}

log "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A TIMES
for r in $(seq "$RUNS"); do
  for n in "${SIZES[@]}"; do
    for stack in $STACKS; do
      for join in $JOINS; do
        log "round $r: N=$n stack=$stack join=$join"
        mesh_run "$n" "$stack" "$join"
      done
    done
  done
done
[ "$PAIR" = 1 ] && { log "pair"; pair_run; }
echo "load average: $LOAD0 at start, $(cut -d' ' -f1-3 /proc/loadavg) at end; $(nproc) cores"
printf '%s\n' "${RESULTS[@]}"
echo "time to full mesh (s): median [each round]"
for n in "${SIZES[@]}"; do
  for stack in $STACKS; do
    for join in $JOINS; do
      python3 - "N=$n $stack $join" ${TIMES["$n $stack $join"]} <<'PY'
import statistics, sys
v = sys.argv[2:]
ok = sorted(float(x) for x in v if x != "FAIL")
med = f"{statistics.median(ok):.1f}" if len(ok) == len(v) else f"{len(v) - len(ok)}/{len(v)} FAILED"
print(f"{sys.argv[1]}: {med} [{' '.join(v)}]")
PY
    done
  done
done
