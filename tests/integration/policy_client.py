#!/usr/bin/python3
"""policy_client - a small Postfix policy protocol client for the tests.

  ask PORT [--source ADDR] name=value...    one request, print the reply line(s)
                                            (PORT: a TCP port, or /path of a Unix socket)
  timed PORT name=value...                  as ask, the reply preceded by the
                                            milliseconds from connect to reply
                                            (the client's own start-up left out)
  repeat PORT N name=value...               N pipelined requests on one connection,
                                            print "replies=N distinct=K" and the reply
  raw PORT                                  send stdin as is, print what comes back
                                            until the server closes ("CLOSED" last)
  hold PORT SECONDS name=value...           connect, wait SECONDS, then ask
Exit status 0 when the server answered as the protocol says, 1 otherwise.
"""
import socket
import sys
import time

TIMEOUT = 10


def connect(port, source=None):
    """port: a TCP port on 127.0.0.1, or the path of a Unix socket."""
    if port.startswith("/"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(TIMEOUT)
        s.connect(port)
        return s
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if source:
        s.bind((source, 0))
    s.settimeout(TIMEOUT)
    s.connect(("127.0.0.1", int(port)))
    return s


def request(attrs):
    lines = ["request=smtpd_access_policy"] + list(attrs)
    return ("\n".join(lines) + "\n\n").encode()


def read_replies(s, n):
    data = b""
    while data.count(b"\n\n") < n:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    return [r for r in data.decode(errors="replace").split("\n\n") if r][:n]


def main(argv):
    cmd, port = argv[1], argv[2]
    if cmd in ("ask", "timed"):
        t0 = time.monotonic()
        rest, source = argv[3:], None
        if rest and rest[0] == "--source":
            source, rest = rest[1], rest[2:]
        try:
            s = connect(port, source)
            s.sendall(request(rest))
            replies = read_replies(s, 1)
        except (ConnectionResetError, BrokenPipeError):
            # The server closed first (a refused client): data we sent after
            # its close turns the close into a reset.  Either way: closed.
            replies = []
        except OSError as e:
            print("ERROR " + str(e))
            return 1
        reply = replies[0] if replies else "CLOSED"
        if cmd == "timed":
            reply = "%d %s" % ((time.monotonic() - t0) * 1000, reply)
        print(reply)
        return 0 if replies else 1
    if cmd == "repeat":
        n, attrs = int(argv[3]), argv[4:]
        s = connect(port)
        s.sendall(request(attrs) * n)
        replies = read_replies(s, n)
        print("replies=%d distinct=%d" % (len(replies), len(set(replies))))
        print(replies[0] if replies else "CLOSED")
        return 0 if len(replies) == n else 1
    if cmd == "raw":
        s = connect(port)
        s.sendall(sys.stdin.buffer.read())
        data = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except OSError as e:
            print("ERROR " + str(e))
            return 1
        sys.stdout.write(data.decode(errors="replace"))
        print("CLOSED")
        return 0
    if cmd == "hold":
        s = connect(port)
        time.sleep(float(argv[3]))
        try:
            s.sendall(request(argv[4:]))
            replies = read_replies(s, 1)
        except OSError:
            replies = []
        print(replies[0] if replies else "CLOSED")
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
