#!/usr/bin/env bash
# t_uapi.sh — the stock `wg` tool drives dlog-wg exactly as it drives wireguard-go:
# the same setconf / set / syncconf / showconf / show dump sequence runs against both
# (each in its own namespace) and the outputs must be identical. Then raw UAPI
# requests: allowed_ip=-prefix removal, and malformed requests get the same errno as
# wireguard-go and change nothing.
source "$(dirname "$0")/lib.sh"
need_tools
G=dltg$TAG D=dltd$TAG IG=wgg$TAG ID=wgd$TAG
make_ns "$G"; make_ns "$D"
start_wg go "$G" "$IG"; start_wg dlog "$D" "$ID"
for k in dev p1 p2 p3; do keypair $k; done
(umask 077; wg genpsk >"$WORK/psk1")
hex() { python3 -c 'import base64,sys; print(base64.b64decode(open(sys.argv[1]).read()).hex())' "$1"; }

cat >"$WORK/conf1" <<CONF
[Interface]
PrivateKey = $(cat "$WORK/dev.key")
ListenPort = 51999
FwMark = 0x2a

[Peer]
PublicKey = $(cat "$WORK/p1.pub")
PresharedKey = $(cat "$WORK/psk1")
AllowedIPs = 10.1.0.0/16, fd01::/64, 10.9.9.9/32
Endpoint = 192.0.2.1:51820
PersistentKeepalive = 25

[Peer]
PublicKey = $(cat "$WORK/p2.pub")
AllowedIPs = 10.2.0.0/24
Endpoint = [2001:db8::1]:4444
CONF
cat >"$WORK/conf2" <<CONF
[Interface]
PrivateKey = $(cat "$WORK/dev.key")
ListenPort = 52000

[Peer]
PublicKey = $(cat "$WORK/p1.pub")
AllowedIPs = 10.1.0.0/16

[Peer]
PublicKey = $(cat "$WORK/p3.pub")
AllowedIPs = 0.0.0.0/0, ::/0
CONF

# Peers come back in map order from wireguard-go: sort the peer blocks (showconf,
# show) or the lines (dump, allowed-ips) of each output.
norm() { python3 -c '
import sys
text = sys.stdin.read().strip("\n")
blocks = text.split("\n\n")
if len(blocks) > 1:
    print("\n\n".join([blocks[0]] + sorted(blocks[1:])))
else:
    print("\n".join(sorted(text.split("\n"))))'; }
both() {  # both STEP CMD...: run `wg CMD` with IF replaced, compare outputs
  local step=$1; shift
  local og od
  og=$(ip netns exec "$G" wg "${@//IF/$IG}" 2>&1 | sed "s/$IG/IF/g; s/$ID/IF/g" | norm)
  od=$(ip netns exec "$D" wg "${@//IF/$ID}" 2>&1 | sed "s/$IG/IF/g; s/$ID/IF/g" | norm)
  if [ "$og" != "$od" ]; then
    diff <(echo "$og") <(echo "$od") >&2 || true
    fail "$step: dlog-wg differs from wireguard-go (diff: < wireguard-go, > dlog-wg)"
  fi
  log "  $step: identical"
}

both "setconf" setconf IF "$WORK/conf1"
both "showconf" showconf IF
both "show dump" show IF dump
both "show" show IF
both "set remove+allowed" set IF peer "$(cat "$WORK/p2.pub")" remove peer "$(cat "$WORK/p1.pub")" allowed-ips 10.7.0.0/16 persistent-keepalive off
both "showconf after set" showconf IF
both "set empty psk" set IF peer "$(cat "$WORK/p1.pub")" preshared-key /dev/null
both "showconf after psk removal" showconf IF
both "syncconf" syncconf IF "$WORK/conf2"
both "showconf after syncconf" showconf IF
both "show allowed-ips" show IF allowed-ips
both "show all dump" show all dump

sock=/var/run/wireguard/$ID.sock
p1=$(hex "$WORK/p1.pub")
out=$(printf 'set=1\npublic_key=%s\nallowed_ip=10.1.0.0/16\nallowed_ip=10.5.0.0/24\nallowed_ip=-10.1.0.0/16\n\n' "$p1" | python3 "$HERE/uapi.py" "$sock")
[ "$out" = "errno=0" ] || fail "allowed_ip=-prefix: reply '$out'"
got=$(ip netns exec "$D" wg show "$ID" allowed-ips | grep "$(cat "$WORK/p1.pub")" | cut -f2)
[ "$got" = "10.5.0.0/24" ] || fail "allowed_ip=-prefix: peer has '$got', want 10.5.0.0/24"
log "  allowed_ip=-prefix removal: ok"

before=$(ip netns exec "$D" wg showconf "$ID")
for req in 'set=1\nlisten_port=notaport\n\n' 'set=1\nprivate_key=zz\n\n' \
           'set=1\npublic_key=00\n\n' 'set=1\nbogus_key=1\n\n' 'get=2\n\n' \
           'set=1\npublic_key='"$p1"'\nendpoint=999.1.1.1:1\n\n'; do
  rg=$(printf "$req" | python3 "$HERE/uapi.py" "/var/run/wireguard/$IG.sock" || true)
  rd=$(printf "$req" | python3 "$HERE/uapi.py" "$sock" || true)
  [ "$rd" != "errno=0" ] || fail "malformed request accepted: $req"
  [ "$rg" = "$rd" ] || fail "errno for $req: wireguard-go '$rg', dlog-wg '$rd'"
done
after=$(ip netns exec "$D" wg showconf "$ID")
[ "$before" = "$after" ] || fail "malformed requests changed the configuration"
log "  malformed requests: same errno as wireguard-go, configuration unchanged"
log "PASS uapi"
