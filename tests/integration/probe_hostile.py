#!/usr/bin/python3
"""A hostile host for tests/integration/probe.sh: on ADDRESS:25 it greets
and then answers EHLO with an endless multi-line reply ("250-" lines with
binary bytes); on ADDRESS:3128 it sends an endless HTTP header.  The probe
must stop at its limits (lines per reply, read limit, transcript cap).
usage: probe_hostile.py ADDRESS"""
import socket
import sys
import threading

addr = sys.argv[1]


def endless(conn, first, line):
    try:
        conn.sendall(first)
        conn.recv(4096)
        while True:
            conn.sendall(line)
    except OSError:
        pass
    finally:
        conn.close()


def serve(port, first, line):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(8)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=endless, args=(conn, first, line), daemon=True).start()


threading.Thread(target=serve, args=(25, b"220 hostile ESMTP\r\n", b"250-\x00\xff\x1b[2J" + b"A" * 200 + b"\r\n"),
                 daemon=True).start()
serve(3128, b"", b"X-Endless: " + b"B" * 2000)
