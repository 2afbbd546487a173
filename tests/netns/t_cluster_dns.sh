#!/usr/bin/env bash
# t_cluster_dns — where multicast does not reach: discovery = "dns". node2 joins with the
# token and cluster.dns_name only (DLOG_CLUSTER_DISCOVERY=dns, DLOG_CLUSTER_DNS_NAME): no
# mDNS, no seed. The name resolves to node1's underlay address in node2's namespace
# (ip netns exec mounts /etc/netns/<ns>/hosts over /etc/hosts), as a Kubernetes headless
# Service name would; node2 finds node1 through it and the tunnel comes up.
source "$(dirname "$0")/lib.sh"
source "$HERE/cluster_lib.sh"
need_tools
[ -x "$DLOG_SERVER" ] || fail "missing $DLOG_SERVER (build first)"
NET=192.168.84
cluster_net $NET 2
HOSTS_DIR=/etc/netns/dlt$T-n2
trap 'rm -rf "$HOSTS_DIR"; cleanup' EXIT INT TERM
mkdir -p "$HOSTS_DIR"
printf '127.0.0.1 localhost\n%s dlog-seed.cluster.test\n' "$NET.11" >"$HOSTS_DIR/hosts"

start_node 1 --bootstrap
TOKEN=$(wait_line 1 '^Join token: ' 15 | awk '{print $3}')
A1=$(overlay_of 1)
ip netns exec "dlt$T-n2" env DLOG_CLUSTER_DISCOVERY=dns DLOG_CLUSTER_DNS_NAME=dlog-seed.cluster.test \
  LOG_LEVEL=info "$DLOG_SERVER" --data-dir "$WORK/d2" --name node-2 --interface "dl${T}c2" \
  --join "$TOKEN" >"$WORK/n2.out" 2>"$WORK/n2.err" &
PIDS+=($!); IFACES+=("dl${T}c2")
overlay_of 2 >/dev/null
reaches "dlt$T-n2" "$A1" 15 || fail "node2 does not reach node1 through a DNS-found endpoint"
grep -q "Found node-1 at $NET.11" "$WORK/n2.out" || { cat "$WORK/n2.out" >&2; fail "node2 did not report node1 found"; }
log "node2 found node1 by the DNS name and reached it through the tunnel"
log "PASS"
