#!/usr/bin/env python3
"""uapi.py SOCKET < request — send one raw cross-platform UAPI request (the text on
stdin, e.g. "set=1\\nprivate_key=...\\n\\n") and print the reply up to the blank line."""
import socket
import sys

req = sys.stdin.read()
with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
    s.settimeout(5)
    s.connect(sys.argv[1])
    s.sendall(req.encode())
    buf = b""
    while not buf.endswith(b"\n\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
sys.stdout.write(buf.decode())
