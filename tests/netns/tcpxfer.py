#!/usr/bin/env python3
"""tcpxfer.py — a TCP transfer checked byte for byte.

  tcpxfer.py serve ADDR PORT            accept one connection, read to EOF,
                                        print "<bytes> <sha256>"
  tcpxfer.py send ADDR PORT NBYTES SEED send NBYTES of a seeded pseudo-random
                                        stream, print "<bytes> <sha256>"
The stream is reproducible from SEED, so both ends' digests must agree.
"""
import hashlib
import random
import socket
import sys
import time

CHUNK = 1 << 20


def serve(addr: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, port))
        s.listen(1)
        print("listening", flush=True, file=sys.stderr)
        conn, _ = s.accept()
        h, n = hashlib.sha256(), 0
        with conn:
            while True:
                b = conn.recv(CHUNK)
                if not b:
                    break
                h.update(b)
                n += len(b)
    print(n, h.hexdigest(), flush=True)


def send(addr: str, port: int, nbytes: int, seed: int) -> None:
    rng = random.Random(seed)
    h, n = hashlib.sha256(), 0
    for attempt in range(10):  # the tunnel may still be re-handshaking
        try:
            s = socket.create_connection((addr, port), timeout=30)
            break
        except OSError:
            if attempt == 9:
                raise
            time.sleep(0.5)
    with s:
        while n < nbytes:
            b = rng.randbytes(min(CHUNK, nbytes - n))
            s.sendall(b)
            h.update(b)
            n += len(b)
        s.shutdown(socket.SHUT_WR)
        s.recv(1)
    print(n, h.hexdigest(), flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 6 and sys.argv[1] == "send":
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    else:
        sys.exit(__doc__)
