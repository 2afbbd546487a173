#!/usr/bin/env python3
"""paced.py ADDR PORT SECONDS: a TCP client that sends seeded random bytes for SECONDS
(32 KiB every 10 ms at most), then prints "<bytes> <sha256>" like tcpxfer.py's server,
so a transfer that spans key rotations or port hops can be checked byte for byte."""
import hashlib, random, socket, sys, time

addr, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
rng, h, n = random.Random(7), hashlib.sha256(), 0
with socket.create_connection((addr, port), timeout=30) as s:
    end = time.time() + seconds
    while time.time() < end:
        b = rng.randbytes(32768)
        s.sendall(b); h.update(b); n += len(b)
        time.sleep(0.01)
    s.shutdown(socket.SHUT_WR); s.recv(1)
print(n, h.hexdigest(), flush=True)
