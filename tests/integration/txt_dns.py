#!/usr/bin/python3
"""txt_dns - a DNSBL on 127.0.0.1 whose TXT answers misbehave, for the tests
of "the A answer decides, TXT only decorates" (tests/integration/dnsbl_txt.sh).

usage: txt_dns.py PORT LOG [LATE_MS]

Raw DNS over UDP (RFC 1035), nothing else: no TCP listener, so a truncated
answer that sends the resolver to TCP meets a closed port.  One zone,
txt.test; every query is written to LOG as "MS TYPE NAME" (MS: milliseconds
since start), before any answer.  The client address (reversed octets in the
query name) picks the case; every listed case answers A with 127.0.0.2 at
once, and only its TXT answer differs:

  192.0.2.1   TXT dropped (never answered)
  192.0.2.2   TXT rdata malformed (a string longer than its record)
  192.0.2.3   TXT question answered with an A record (wrong type)
  192.0.2.4   TXT answer cut in the middle of its record (short datagram)
  192.0.2.5   TXT answer with the TC bit and no records (go to TCP: closed)
  192.0.2.6   TXT answered SERVFAIL
  192.0.2.7   TXT answered LATE_MS (default 3000) after the question
  192.0.2.8   TXT answered at once: "Listed in txt.test: 192.0.2.8"
  192.0.2.9   not listed: NXDOMAIN for A and TXT
  127.0.0.2   the RFC 5782 test entry: listed, A and TXT at once
  other       NXDOMAIN (127.0.0.1 included, as RFC 5782 wants)

Loopback only; runs until killed."""
import socket
import struct
import sys
import time
import threading

ZONE = "txt.test"
T_A, T_TXT, T_SOA = 1, 16, 6
RC_OK, RC_SERVFAIL, RC_NXDOMAIN = 0, 2, 3


def parse_question(data):
    """(id, flags, name, qtype, end of question) or None for a bad packet."""
    if len(data) < 12:
        return None
    qid, flags, qd = struct.unpack("!HHH", data[:6])
    if qd != 1 or flags & 0x8000:
        return None
    pos, labels = 12, []
    while pos < len(data) and data[pos] != 0:
        n = data[pos]
        if n > 63 or pos + 1 + n > len(data):
            return None
        labels.append(data[pos + 1:pos + 1 + n].decode("ascii", "replace").lower())
        pos += 1 + n
    if pos + 5 > len(data):
        return None
    qtype = struct.unpack("!H", data[pos + 1:pos + 3])[0]
    return qid, flags, ".".join(labels), qtype, pos + 5


def header(qid, rd, rcode, ancount, nscount=0, tc=False):
    flags = 0x8400 | (rd & 0x0100) | rcode | (0x0200 if tc else 0)
    return struct.pack("!HHHHHH", qid, flags, 1, ancount, nscount, 0)


def rr(rtype, ttl, rdata):
    """A record under the question's name (pointer to offset 12)."""
    return struct.pack("!HHHIH", 0xC00C, rtype, 1, ttl, len(rdata)) + rdata


def nxdomain(qid, flags, question):
    """NXDOMAIN with the zone's SOA (negative TTL 60) in the authority section."""
    zone = b"".join(bytes([len(p)]) + p.encode() for p in ZONE.split(".")) + b"\0"
    rdata = b"\2ns" + zone + b"\2hm" + zone + struct.pack("!IIIII", 1, 600, 300, 86400, 60)
    auth = zone + struct.pack("!HHIH", T_SOA, 1, 60, len(rdata)) + rdata
    return header(qid, flags, RC_NXDOMAIN, 0, 1) + question + auth


def txt_rdata(text):
    raw = text.encode()
    return bytes([len(raw)]) + raw


def answer(data, case, late_ms):
    """(delay in seconds, reply bytes) or None to drop the query."""
    q = parse_question(data)
    if q is None:
        return None
    qid, flags, name, qtype, end = q
    question = data[12:end]
    if case is None:
        return 0, nxdomain(qid, flags, question)
    if qtype == T_A:
        return 0, header(qid, flags, RC_OK, 1) + question + rr(T_A, 300, bytes([127, 0, 0, 2]))
    if qtype != T_TXT:
        return 0, header(qid, flags, RC_OK, 0) + question
    good = header(qid, flags, RC_OK, 1) + question + rr(T_TXT, 300, txt_rdata("Listed in txt.test: " + case))
    last = case.rsplit(".", 1)[-1] if case.startswith("192.0.2.") else "ok"
    if last == "1":
        return None
    if last == "2":
        bad = bytes([200]) + b"only ten b"	# says 200 bytes, has 10
        return 0, header(qid, flags, RC_OK, 1) + question + rr(T_TXT, 300, bad)
    if last == "3":
        return 0, header(qid, flags, RC_OK, 1) + question + rr(T_A, 300, bytes([127, 0, 0, 2]))
    if last == "4":
        return 0, good[:len(good) - 12]
    if last == "5":
        return 0, header(qid, flags, RC_OK, 0, tc=True) + question
    if last == "6":
        return 0, header(qid, flags, RC_SERVFAIL, 0) + question
    if last == "7":
        return late_ms / 1000.0, good
    return 0, good


def case_of(name):
    """The client address a query name is about, or None when not listed."""
    if not name.endswith("." + ZONE):
        return None
    octets = name[:-len(ZONE) - 1].split(".")
    if len(octets) != 4:
        return None
    addr = ".".join(reversed(octets))
    if addr == "127.0.0.2":
        return addr
    if addr.startswith("192.0.2.") and addr.rsplit(".", 1)[1] in "12345678":
        return addr
    return None


def main():
    port, log_path = int(sys.argv[1]), sys.argv[2]
    late_ms = int(sys.argv[3]) if len(sys.argv) > 3 else 3000
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", port))
    log = open(log_path, "a", buffering=1)
    t0 = time.monotonic()
    lock = threading.Lock()

    def send_later(delay, reply, addr):
        def go():
            with lock:
                sock.sendto(reply, addr)
        threading.Timer(delay, go).start()

    while True:
        data, addr = sock.recvfrom(4096)
        q = parse_question(data)
        if q is None:
            continue
        qtype = {T_A: "A", T_TXT: "TXT"}.get(q[3], str(q[3]))
        log.write("%d %s %s\n" % ((time.monotonic() - t0) * 1000, qtype, q[2]))
        reply = answer(data, case_of(q[2]), late_ms)
        if reply is None:
            continue
        if reply[0] > 0:
            send_later(reply[0], reply[1], addr)
        else:
            with lock:
                sock.sendto(reply[1], addr)


if __name__ == "__main__":
    main()
