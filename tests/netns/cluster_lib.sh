# cluster_lib.sh — sourced after lib.sh by the dlog-server namespace tests: N namespaces
# on one bridge (in a namespace of its own), dlog-server started in them, and waits on
# what the servers print.
DLOG_SERVER=${DLOG_SERVER:-$BUILD_DIR/src/programs/dlog-server}
DLOG=${DLOG:-$BUILD_DIR/src/programs/dlog}
T=${TAG: -5}

# cluster_net NET COUNT: namespaces dlt$T-n1..COUNT with eth0 = NET.1<i>/24 on a bridge.
cluster_net() {
  local net=$1 count=$2 i
  make_ns "dlt$T-br"
  ip -n "dlt$T-br" link add br0 type bridge
  ip -n "dlt$T-br" link set br0 up
  for i in $(seq "$count"); do
    make_ns "dlt$T-n$i"
    ip link add eth0 netns "dlt$T-n$i" type veth peer name p$i netns "dlt$T-br"
    ip -n "dlt$T-br" link set p$i master br0 up
    ip -n "dlt$T-n$i" addr add "$net.1$i/24" dev eth0
    ip -n "dlt$T-n$i" link set eth0 up
    ip -n "dlt$T-n$i" link set lo up
  done
}

# start_node I ARGS...: dlog-server (tun stack, interface dl$T<i>) in namespace I; its
# output in $WORK/nI.out and .err, its pid in PID<i>.
start_node() {
  local i=$1; shift
  IFACES+=("dl${T}c$i")
  ip netns exec "dlt$T-n$i" env LOG_LEVEL=${NODE_LOG_LEVEL:-info} "$DLOG_SERVER" \
    --data-dir "$WORK/d$i" --name "node-$i" --interface "dl${T}c$i" "$@" \
    >"$WORK/n$i.out" 2>"$WORK/n$i.err" &
  PIDS+=($!)
  eval "PID$i=$!"
}

# wait_line I REGEX SECONDS: the first line of node I's output matching REGEX.
wait_line() {
  local i=$1 re=$2 n=$(($3 * 10))
  for _ in $(seq "$n"); do
    grep -m1 -E "$re" "$WORK/n$i.out" 2>/dev/null && return 0
    sleep 0.1
  done
  cat "$WORK/n$i.out" "$WORK/n$i.err" >&2
  fail "node$i: no line matching '$re' within $3 s"
}
overlay_of() { wait_line "$1" '^WireGuard endpoint: ' 40 | awk '{print $3}'; }

# reaches NS ADDR [SECONDS]: a ping from NS to ADDR answers within SECONDS (default 10).
reaches() {
  local ns=$1 addr=$2 limit=${3:-10} t0=$SECONDS
  until ip netns exec "$ns" ping -c1 -W1 -q "$addr" >/dev/null 2>&1; do
    [ $((SECONDS - t0)) -ge "$limit" ] && return 1
    sleep 0.2
  done
}
