#!/usr/bin/python3
"""fleet_load - checks through every door of a fleet until told to stop.

  fleet_load.py OUT STOPFILE PACE_MS FIRST DOOR...
  DOOR: policy:PORT (relayguard-policyd on 127.0.0.1:PORT) or
        milter:SOCKET:LUA (relayguard-milter on a Unix socket, one miltertest
        run of the script LUA per check; LUA prints "RESULT refused|continue")

One thread per door: a check, PACE_MS of rest, the next one, until the file
STOPFILE exists.  Check i of door d (i counted from FIRST, below 900, so
that two runs use other addresses) asks for 198.18.N.H with k = d * 900 + i,
N = 1 + k % 30 and H = 10 + k // 30: every door spreads its clients over the
30 networks 198.18.1.0/24 .. 198.18.30.0/24, and no address is asked twice
(hosts 1 to 9 are left to the caller).
Writes one line per check to OUT:
  DOOR START_MS LATENCY_MS RESULT ADDRESS
RESULT: refused, pass, or error:WHY.  Exit 0.
"""
import os
import socket
import subprocess
import sys
import threading
import time

TIMEOUT = 30
RCPT = ["request=smtpd_access_policy", "protocol_state=RCPT", "protocol_name=ESMTP",
        "helo_name=client.example", "sender=s@example.org", "recipient=r@example.net"]


def policy_check(port, addr, inst):
    req = "\n".join(RCPT + ["client_address=" + addr, "instance=" + inst]) + "\n\n"
    with socket.create_connection(("127.0.0.1", int(port)), timeout=TIMEOUT) as s:
        s.sendall(req.encode())
        data = b""
        while b"\n\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                return "error:closed"
            data += chunk
    line = data.decode(errors="replace").split("\n")[0]
    if line.startswith("action=550"):
        return "refused"
    if line == "action=DUNNO":
        return "pass"
    return "error:" + line.replace(" ", "_")


def milter_check(sock, lua, addr, inst):
    p = subprocess.run(["miltertest", "-s", lua, "-D", "SOCK=" + sock,
                        "-D", "DIR=" + os.path.dirname(lua), "-D", "IP=" + addr, "-D", "QID=" + inst],
                       capture_output=True, text=True, timeout=TIMEOUT)
    for line in p.stdout.splitlines():
        if line.startswith("RESULT "):
            return "refused" if line == "RESULT refused" else "pass"
    return "error:miltertest_exit_%d" % p.returncode


def door_loop(d, door, out, lock, stopfile, pace, first):
    kind, _, where = door.partition(":")
    i = first
    while not os.path.exists(stopfile):
        k = d * 900 + i % 900
        addr = "198.18.%d.%d" % (1 + k % 30, 10 + k // 30)
        inst = "fl%d-%d" % (d, i)
        t0 = time.time()
        try:
            if kind == "policy":
                res = policy_check(where, addr, inst)
            else:
                sock, _, lua = where.partition(":")
                res = milter_check(sock, lua, addr, inst)
        except (OSError, subprocess.SubprocessError) as e:
            res = "error:" + type(e).__name__
        ms = (time.time() - t0) * 1000
        with lock:
            out.write("%s %d %.1f %s %s\n" % (door, t0 * 1000, ms, res, addr))
            out.flush()
        i += 1
        time.sleep(pace / 1000.0)


def main(argv):
    outpath, stopfile, pace, first, doors = argv[1], argv[2], int(argv[3]), int(argv[4]), argv[5:]
    lock = threading.Lock()
    with open(outpath, "w") as out:
        threads = [threading.Thread(target=door_loop, args=(d, door, out, lock, stopfile, pace, first))
                   for d, door in enumerate(doors)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
