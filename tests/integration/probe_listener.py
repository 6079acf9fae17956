#!/usr/bin/python3
"""A listener that records every connection: tests/integration/probe.sh puts
it on an address outside probe_allowed_targets, on every port the probe
could use, to prove that the probe never connects there.
usage: probe_listener.py ADDRESS RECORD_FILE PORT..."""
import selectors
import socket
import sys

addr, record, ports = sys.argv[1], sys.argv[2], [int(p) for p in sys.argv[3:]]
sel = selectors.DefaultSelector()
for port in ports:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(16)
    sel.register(s, selectors.EVENT_READ)
print("ready", flush=True)
while True:
    for key, _ in sel.select():
        conn, peer = key.fileobj.accept()
        with open(record, "a") as f:
            f.write("connection from %s to port %d\n" % (peer[0], key.fileobj.getsockname()[1]))
        conn.close()
