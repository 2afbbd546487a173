#!/usr/bin/env bash
# t_cluster_mdns — t_cluster_mesh with nothing but mDNS plus the token: nodes 2 and 3 get
# no seed; they find node1 through _dlog._udp.local on the shared bridge.
JOIN_VIA=mdns STACK3=tun exec bash "$(dirname "$0")/t_cluster_mesh.sh"
