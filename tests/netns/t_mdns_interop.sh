#!/usr/bin/env bash
# t_mdns_interop.sh — mDNS/DNS-SD interoperability of dlog-mdns (discovery::Responder and
# Browser over net::MdnsSocket) with independent implementations, in three namespaces on
# a bridge that lives in a fourth (nothing is sent outside them):
#   (a) dig (BIND, legacy unicast queries, RFC 6762 §6.7) asks dlog-mdns's announcement
#       for PTR, SRV, TXT and A: right answers, query ID echoed (dig checks), no
#       cache-flush bit (dig would print CLASS32769), TTL <= 10.
#   (b) avahi-daemon announces a _dlog._udp service from a service file; dlog-mdns browse
#       finds it with its address, port and TXT.
#   (c) avahi-browse -rpt (through a private D-Bus system bus) finds and resolves
#       dlog-mdns's announcement; after dlog-mdns exits (goodbye) avahi forgets it.
#   (d) seeds through real DNS (res_nquery to a small DNS server in C): a name with three
#       A records (a Kubernetes headless Service) gives three candidates; an SRV name
#       gives its targets with their ports.
# avahi-daemon runs in a private mount namespace (tmpfs on /run, private services dir)
# and talks to a private dbus-daemon, so the host's avahi and D-Bus are untouched.
source "$(dirname "$0")/lib.sh"
[ -n "${DEBUG:-}" ] && set -x
DLOG_MDNS=${DLOG_MDNS:-$BUILD_DIR/src/programs/dlog-mdns}

[ "$(id -u)" = 0 ] || fail "needs root (network namespaces)"
for t in ip dig avahi-daemon avahi-browse dbus-daemon unshare timeout; do
  command -v "$t" >/dev/null || fail "missing tool: $t (run scripts/setup.sh)"
done
[ -x "$DLOG_MDNS" ] || fail "missing $DLOG_MDNS (build first)"

NA=dltmA$$ NB=dltmB$$ NC=dltmC$$ NBR=dltmR$$
make_ns "$NA"; make_ns "$NB"; make_ns "$NC"; make_ns "$NBR"
ip -n "$NBR" link add br0 type bridge
ip -n "$NBR" link set br0 type bridge mcast_snooping 0
ip -n "$NBR" link set br0 up
i=1
for ns in "$NA" "$NB" "$NC"; do
  veth_pair "$ns" eth0 "$NBR" "p$i"
  ip -n "$NBR" link set "p$i" master br0
  ip -n "$ns" addr add "10.77.0.$i/24" dev eth0
  ip -n "$ns" route add 224.0.0.0/4 dev eth0  # dig sends to the group by route
  i=$((i + 1))
done

KEY_A="q2mJ3mYkX0l8bYtN7yq2R8l8c1m2n3o4p5q6r7s8t9U="
log "(a) dlog-mdns announce in A; dig in B"
ip netns exec "$NA" "$DLOG_MDNS" announce --name node-a --host host-a --port 51820 \
  --txt v=1 --txt cluster=c1pin --txt "key=$KEY_A" >"$WORK/announce.log" 2>&1 &
ANNOUNCE=$!
PIDS+=("$ANNOUNCE")
for _ in $(seq 100); do grep -q announced "$WORK/announce.log" && break; sleep 0.1; done
grep -q announced "$WORK/announce.log" || { cat "$WORK/announce.log" >&2; fail "dlog-mdns did not announce"; }

# dig 9.18 connect()s its UDP socket to the server it is given, so with @224.0.0.251 the
# kernel drops the unicast reply (from 10.77.0.1, as RFC 6762 §6.7 requires; no host can
# send from a multicast address) with an ICMP port unreachable. So dig asks the responder
# by its address (a legacy unicast query all the same: source port != 5353), and the
# multicast form is checked with an unconnected socket below.
ask() {  # ask NAME TYPE: dig's answer section
  ip netns exec "$NB" dig -p 5353 @10.77.0.1 "$1" "$2" +time=2 +tries=2 +noall +answer +nocmd
}
ptr=$(ask _dlog._udp.local PTR)
echo "$ptr" | grep -qE '^_dlog\._udp\.local\.\s+[0-9]+\s+IN\s+PTR\s+node-a\._dlog\._udp\.local\.$' \
  || fail "PTR answer: '$ptr'"
srv=$(ask node-a._dlog._udp.local SRV)
echo "$srv" | grep -qE 'IN\s+SRV\s+0 0 51820 host-a\.local\.$' || fail "SRV answer: '$srv'"
txt=$(ask node-a._dlog._udp.local TXT)
echo "$txt" | grep -qF "\"v=1\" \"cluster=c1pin\" \"key=$KEY_A\"" || fail "TXT answer: '$txt'"
a=$(ask host-a.local A)
echo "$a" | grep -qE 'IN\s+A\s+10\.77\.0\.1$' || fail "A answer: '$a'"
for ans in "$ptr" "$srv" "$txt" "$a"; do
  echo "$ans" | grep -q CLASS && fail "cache-flush bit in a legacy answer: '$ans'"
  ttl=$(echo "$ans" | awk '{print $2}')
  [ "$ttl" -le 10 ] || fail "legacy answer TTL $ttl > 10"
done
log "  dig: PTR, SRV, TXT and A answered (TTL <= 10, no cache-flush)"
# The query dig sends to 224.0.0.251 (ID, RD, one question, from an ephemeral port), its
# answer received on an unconnected socket: unicast from the responder to that port,
# ID echoed, question repeated, answer and additionals present.
ip netns exec "$NB" timeout 10 python3 - <<'PY' || fail "legacy query to 224.0.0.251: no proper answer"
import socket, struct, sys
q = struct.pack(">HHHHHH", 0x4d4c, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(l)]) + l for l in [b"_dlog", b"_udp", b"local"]) + b"\0" + struct.pack(">HH", 12, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(q, ("224.0.0.251", 5353))
data, src = s.recvfrom(9000)
ident, flags, qd, an, ns, ar = struct.unpack(">HHHHHH", data[:12])
print("reply from %s:%d id=%#x flags=%#x qd=%d an=%d ar=%d" % (src[0], src[1], ident, flags, qd, an, ar), file=sys.stderr)
ok = src == ("10.77.0.1", 5353) and ident == 0x4d4c and flags & 0x8000 and qd == 1 and an >= 1
ok = ok and b"\x06node-a" in data and ar >= 1
sys.exit(0 if ok else 1)
PY
log "  legacy query to 224.0.0.251 from an ephemeral port: unicast answer, ID echoed"

log "(b) avahi-daemon in C announces _dlog._udp; dlog-mdns browse in B finds it"
mkdir -p "$WORK/services"
cat >"$WORK/services/dlog.service" <<XML
<?xml version="1.0" standalone='no'?>
<!DOCTYPE service-group SYSTEM "avahi-service.dtd">
<service-group>
  <name>avahi-node</name>
  <service>
    <type>_dlog._udp</type>
    <port>51821</port>
    <txt-record>v=1</txt-record>
    <txt-record>cluster=c1pin</txt-record>
    <txt-record>key=AVAHIKEYAVAHIKEYAVAHIKEYAVAHIKEYAVAHIKEY123=</txt-record>
  </service>
</service-group>
XML
cat >"$WORK/avahi.conf" <<CONF
[server]
host-name=avahi-c
domain-name=local
use-ipv4=yes
use-ipv6=no
allow-interfaces=eth0
enable-dbus=yes
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
[reflector]
enable-reflector=no
CONF
cat >"$WORK/dbus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$WORK/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="root"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
CONF
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$WORK/bus"
ip netns exec "$NC" dbus-daemon --config-file="$WORK/dbus.conf" --nofork --nopidfile \
  >"$WORK/dbus.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do [ -S "$WORK/bus" ] && break; sleep 0.1; done
[ -S "$WORK/bus" ] || fail "private dbus-daemon did not start"
# exec keeps one PID for the trap to kill; the mounts vanish with the namespace.
ip netns exec "$NC" unshare -m --propagation private sh -c "
  mount -t tmpfs tmpfs /run && mount --bind '$WORK/services' /etc/avahi/services &&
  exec avahi-daemon -f '$WORK/avahi.conf' --no-drop-root --no-chroot --no-rlimits" \
  >"$WORK/avahi.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do grep -q "Server startup complete" "$WORK/avahi.log" && break; sleep 0.1; done
grep -q "Server startup complete" "$WORK/avahi.log" || { cat "$WORK/avahi.log" >&2; fail "avahi-daemon did not start"; }
for _ in $(seq 100); do grep -q "established under name" "$WORK/avahi.log" && break; sleep 0.1; done
grep -q "avahi-node.*successfully established" "$WORK/avahi.log" \
  || { cat "$WORK/avahi.log" >&2; fail "avahi-daemon did not establish its service"; }

found=$(ip netns exec "$NB" timeout 20 "$DLOG_MDNS" browse --timeout 4 2>"$WORK/browse.err")
echo "$found" | sed 's/^/    browse: /' >&2
echo "$found" | grep -qP '^avahi-node\t10\.77\.0\.3(,[^\t]*)?\t51821\tcluster=c1pin key=AVAHIKEYAVAHIKEYAVAHIKEYAVAHIKEYAVAHIKEY123= v=1$' \
  || fail "dlog-mdns browse did not find avahi's service with its TXT"
echo "$found" | grep -qP "^node-a\t10\.77\.0\.1\t51820\tcluster=c1pin key=$KEY_A v=1\$" \
  || fail "dlog-mdns browse did not find dlog-mdns announce"
log "  dlog-mdns browse found avahi-node (and node-a)"

log "(c) avahi-browse in C resolves dlog-mdns's announcement"
seen=$(ip netns exec "$NC" timeout 20 avahi-browse -rpt _dlog._udp 2>"$WORK/avahi-browse.err")
echo "$seen" | sed 's/^/    avahi-browse: /' >&2
echo "$seen" | grep -qF "=;eth0;IPv4;node-a;_dlog._udp;local;host-a.local;10.77.0.1;51820;" \
  || { cat "$WORK/avahi-browse.err" >&2; fail "avahi-browse did not resolve node-a"; }
echo "$seen" | grep "^=;eth0;IPv4;node-a;" | grep -qF "\"key=$KEY_A\"" || fail "avahi-browse: TXT of node-a"

log "    goodbye: dlog-mdns announce exits; avahi forgets node-a"
kill -TERM "$ANNOUNCE"
wait "$ANNOUNCE" || fail "dlog-mdns announce exited with an error"
grep -q goodbye "$WORK/announce.log" || fail "no goodbye logged"
sleep 2
left=$(ip netns exec "$NC" timeout 20 avahi-browse -pt _dlog._udp 2>/dev/null)
echo "$left" | grep -q ";node-a;" && fail "avahi still lists node-a after its goodbye: $left"
echo "$left" | grep -q ";avahi-node;" || fail "avahi-browse lost its own service: $left"

log "(d) dlog-mdns seeds against a DNS server in C"
cat >"$WORK/dns.py" <<'PY'
import socket, struct, sys
def name(n): return b"".join(bytes([len(l)]) + l.encode() for l in n.split(".")) + b"\0"
def rr(owner, rtype, data): return name(owner) + struct.pack(">HHIH", rtype, 1, 30, len(data)) + data
A = lambda ip: socket.inet_aton(ip)
ZONE = {
  ("dlog.ns.svc.cluster.local", 1): ([rr("dlog.ns.svc.cluster.local", 1, A("10.244.0.%d" % i)) for i in (1, 2, 3)], []),
  ("_dlog._udp.example", 33): ([rr("_dlog._udp.example", 33, struct.pack(">HHH", 0, 0, 7000 + i) + name("n%d.example" % i)) for i in (1, 2)],
                               [rr("n%d.example" % i, 1, A("192.0.2.%d" % i)) for i in (1, 2)]),
}
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.77.0.3", 53))
print("listening", file=sys.stderr, flush=True)
while True:
  q, peer = s.recvfrom(512)
  i, labels = 12, []
  while q[i]: labels.append(q[i + 1:i + 1 + q[i]].decode()); i += 1 + q[i]
  qtype = struct.unpack(">H", q[i + 1:i + 3])[0]
  an, ar = ZONE.get((".".join(labels).lower(), qtype), ([], []))
  known = any(k[0] == ".".join(labels).lower() for k in ZONE)
  flags = 0x8180 if known else 0x8183
  head = struct.pack(">HHHHHH", struct.unpack(">H", q[:2])[0], flags, 1, len(an), 0, len(ar))
  s.sendto(head + q[12:i + 5] + b"".join(an) + b"".join(ar), peer)
PY
ip netns exec "$NC" python3 "$WORK/dns.py" 2>"$WORK/dns.log" &
PIDS+=($!)
for _ in $(seq 50); do grep -q listening "$WORK/dns.log" && break; sleep 0.1; done
seeds=$(ip netns exec "$NB" timeout 20 "$DLOG_MDNS" seeds --server 10.77.0.3:53 --port 51820 \
  dns:dlog.ns.svc.cluster.local srv:_dlog._udp.example 10.77.0.9:51820 2>"$WORK/seeds.err") \
  || { cat "$WORK/seeds.err" >&2; fail "dlog-mdns seeds failed"; }
echo "$seeds" | sed 's/^/    seeds: /' >&2
[ "$(echo "$seeds" | grep -cP '^dns:dlog\.ns\.svc\.cluster\.local\t10\.244\.0\.[123]\t51820\t$')" = 3 ] \
  || fail "headless Service: expected three candidates"
echo "$seeds" | grep -qP '^srv:_dlog\._udp\.example\t192\.0\.2\.1\t7001\t$' || fail "SRV target n1"
echo "$seeds" | grep -qP '^srv:_dlog\._udp\.example\t192\.0\.2\.2\t7002\t$' || fail "SRV target n2"
echo "$seeds" | grep -qP '^10\.77\.0\.9:51820\t10\.77\.0\.9\t51820\t$' || fail "static seed"
log "PASS t_mdns_interop"
