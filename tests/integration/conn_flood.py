#!/usr/bin/python3
"""conn_flood - hostile and normal clients of relayguard-policyd and
relayguard-milter, for the connection exhaustion tests.

  hoard KIND ADDR N SECONDS READY_FILE
      open N connections to ADDR and keep them, doing nothing more
      (KIND policy: idle; KIND milter: every third one idle after the milter
      negotiation, every third one half-open (connected, nothing sent), every
      third one stalled in the middle of a packet); write "ready" to
      READY_FILE when all are open; for SECONDS watch which ones the server
      closes; print "opened=N closed=K".
  slow ADDR BYTE_DELAY MAX_SECONDS
      send a policy request one byte every BYTE_DELAY seconds; print
      "closed after S" when the server closes first, else "open after S".
  policy ADDR N DEADLINE
      N policy requests, each on a new connection; print "answered=A
      max_ms=M" (a request counts when its reply came within DEADLINE s).
  milter ADDR N DEADLINE
      N milter sessions (negotiate, connect from 192.0.2.77, quit), each
      answered at connect; same output.

ADDR: a TCP port on 127.0.0.1 or the path of a Unix socket.
"""
import os
import selectors
import socket
import struct
import sys
import time

REQUEST = (b"request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n"
           b"client_address=192.0.2.77\nhelo_name=client.example\nsender=s@example.org\n"
           b"recipient=r@example.net\ninstance=flood\n\n")


def connect(addr, timeout=10):
    if addr.startswith("/"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(addr)
    else:
        s = socket.create_connection(("127.0.0.1", int(addr)), timeout=timeout)
    return s


def packet(cmd, data=b""):
    return struct.pack(">I", len(data) + 1) + cmd + data


def read_packet(s):
    head = b""
    while len(head) < 4:
        c = s.recv(4 - len(head))
        if not c:
            raise EOFError
        head += c
    (n,) = struct.unpack(">I", head)
    body = b""
    while len(body) < n:
        c = s.recv(n - len(body))
        if not c:
            raise EOFError
        body += c
    return body[:1], body[1:]


# SMFIC_OPTNEG: version 6, every action offered, no protocol step skipped (so
# that the milter answers every step, connect included).
OPTNEG = packet(b"O", struct.pack(">III", 6, 0x1FF, 0))


def milter_negotiate(s):
    s.sendall(OPTNEG)
    cmd, _ = read_packet(s)
    if cmd != b"O":
        raise EOFError


def hoard(kind, addr, n, seconds, ready):
    sel = selectors.DefaultSelector()
    opened = closed = 0
    by_kind = [0, 0, 0]
    for i in range(n):
        try:
            s = connect(addr)
            if kind == "milter" and i % 3 == 0:
                milter_negotiate(s)
            elif kind == "milter" and i % 3 == 2:
                s.sendall(b"\x00\x00\x00")  # three bytes of a length: a stalled packet
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, i % 3)
            opened += 1
        except (OSError, EOFError):
            closed += 1
    with open(ready, "w") as f:
        f.write("ready %d\n" % opened)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for key, _ in sel.select(timeout=0.2):
            try:
                data = key.fileobj.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            if not data:
                sel.unregister(key.fileobj)
                key.fileobj.close()
                closed += 1
                by_kind[key.data] += 1
    print("opened=%d closed=%d" % (opened, closed))
    if kind == "milter":
        print("closed idle=%d half-open=%d stalled=%d" % tuple(by_kind))


def slow(addr, delay, max_seconds):
    s = connect(addr)
    start = time.monotonic()
    for b in REQUEST:
        if time.monotonic() - start > max_seconds:
            break
        try:
            s.sendall(bytes([b]))
            s.settimeout(delay)
            if s.recv(1) == b"":
                print("closed after %.1f" % (time.monotonic() - start))
                return
        except socket.timeout:
            continue
        except OSError:
            print("closed after %.1f" % (time.monotonic() - start))
            return
    print("open after %.1f" % (time.monotonic() - start))


def one_policy(addr, deadline):
    s = connect(addr, deadline)
    s.sendall(REQUEST)
    data = b""
    while b"\n\n" not in data:
        c = s.recv(4096)
        if not c:
            return False
        data += c
    s.close()
    return data.startswith(b"action=")


def one_milter(addr, deadline):
    s = connect(addr, deadline)
    milter_negotiate(s)
    s.sendall(packet(b"D", b"C" + b"j\x00mx.example\x00{client_addr}\x00192.0.2.77\x00"))
    s.sendall(packet(b"C", b"client.example\x00" + b"4" + struct.pack(">H", 4242) + b"192.0.2.77\x00"))
    cmd, _ = read_packet(s)
    s.sendall(packet(b"Q"))
    s.close()
    return cmd in (b"c", b"a", b"r", b"t", b"y")


def timed(fn, addr, n, deadline):
    answered, worst = 0, 0.0
    for _ in range(n):
        t0 = time.monotonic()
        try:
            ok = fn(addr, deadline)
        except (OSError, EOFError):
            ok = False
        took = time.monotonic() - t0
        worst = max(worst, took)
        if ok and took <= deadline:
            answered += 1
    print("answered=%d max_ms=%d" % (answered, worst * 1000))


def main(argv):
    cmd = argv[1]
    if cmd == "hoard":
        hoard(argv[2], argv[3], int(argv[4]), float(argv[5]), argv[6])
    elif cmd == "slow":
        slow(argv[2], float(argv[3]), float(argv[4]))
    elif cmd == "policy":
        timed(one_policy, argv[2], int(argv[3]), float(argv[4]))
    elif cmd == "milter":
        timed(one_milter, argv[2], int(argv[3]), float(argv[4]))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
