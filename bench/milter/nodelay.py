#!/usr/bin/python3
"""nodelay.py PID PORT - show TCP_NODELAY on a running milter's sockets.

Connects to 127.0.0.1:PORT like an MTA would, then copies every TCP socket
of process PID with pidfd_getfd(2) (Linux 5.6+, root) and prints whether
TCP_NODELAY is set on the listening socket and on the connection just
accepted.  Exit 0 when both have it.
"""
import ctypes
import os
import socket
import sys
import time

SYS_PIDFD_GETFD = 438  # x86_64 and most architectures

pid, port = int(sys.argv[1]), int(sys.argv[2])
client = socket.create_connection(("127.0.0.1", port))
time.sleep(0.3)  # let libmilter accept it
libc = ctypes.CDLL(None, use_errno=True)
pidfd = os.pidfd_open(pid)
found = {"listening": 0, "accepted": 0}
for name in os.listdir(f"/proc/{pid}/fd"):
    try:
        if not os.readlink(f"/proc/{pid}/fd/{name}").startswith("socket:"):
            continue
    except OSError:
        continue
    fd = libc.syscall(SYS_PIDFD_GETFD, pidfd, int(name), 0)
    if fd < 0:
        continue
    try:
        s = socket.socket(fileno=fd)
    except OSError:
        os.close(fd)
        continue
    try:
        if s.family not in (socket.AF_INET, socket.AF_INET6) or s.type != socket.SOCK_STREAM:
            continue
        nodelay = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        if s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
            kind = "listening"
        elif s.getpeername() == client.getsockname():
            kind = "accepted"
        else:
            continue
        print(f"    {kind} socket (fd {name}): TCP_NODELAY={nodelay}")
        found[kind] += 1 if nodelay else 0
    except OSError:
        pass
    finally:
        s.close()
client.close()
sys.exit(0 if found["listening"] and found["accepted"] else 1)
