#!/usr/bin/python3
"""listfile_oracle.py - compare relayguard's reading of list files with rbldnsd.

Called by listfile_oracle.sh once rbldnsd serves every corpus file, each as
zone "<stem>.oracle" with the dataset type named by the file's extension:

    listfile_oracle.py PORT DRIVER RUNDIR [--redis HOST:PORT] FILE...

For each FILE it samples addresses (both ends of every entry, the addresses
just outside them, the middle, random ones inside and outside), asks
rbldnsd with dig (A and TXT) and relayguard through listfile_driver (the
code that file_lists and relayguard-ctl import use), and prints one TAP line
per file, with every difference as a diagnostic.  With --redis, each file
is also imported into that redis-server (rlists_import, as relayguard-ctl
import does) and looked up there (rlists_lookup, as redis_lists does): a
second TAP line per file, held to the same answers.

A difference fails, unless it is one of the documented choices below
(relayguard.conf(5), FILE LISTS):
  MULTI   rbldnsd answers several A records when two ip4set lines list the
          same address at the same octet boundary; relayguard keeps the
          first line's value, which is one of rbldnsd's answers.
  CIDR    a plain "cidr" list (Spamhaus DROP) is served by rbldnsd as an
          ip4trie/ip6trie whose "; SBL..." comment is only a comment;
          relayguard keeps it as the entry's text: codes must agree, texts
          are not compared.
  CRLF    rbldnsd keeps the CR of a CRLF line (so "1.2.3.4\\r" is invalid
          to it); relayguard reads CRLF as LF.  A "*.crlf.*" file is served
          to rbldnsd with its CRs removed and must then agree exactly.
  AUTO    relayguard's "auto" format (file_lists) reads each line as one
          family: IPv4 when the part before any ":" holds a ".", "/" or "-"
          ("0/0", "100/16", "1.2.3.4:5:text"), IPv6 otherwise; rbldnsd's
          ip6trie would read "0/0" as ::/0 and "100/16" as 100::/16.  An
          "*.auto" file is served as ip4set, and as ip6trie without its
          IPv4 lines, and must then agree exactly.
Addresses in ::ffff:0:0/96 are not sampled: relayguard reads such a client
as its IPv4 address, and rbldnsd answers the IPv4 name from IPv4 datasets.
"""
import ipaddress
import os
import random
import re
import subprocess
import sys

SAMPLES_MAX = 600
MAPPED = ipaddress.ip_network("::ffff:0:0/96")


def ip4_prefix(tok):
    """'1.2' -> (int, bits) or None."""
    parts = tok.split(".")
    if not 1 <= len(parts) <= 4 or not all(p.isdigit() for p in parts):
        return None
    vals = [int(p) for p in parts]
    if any(v > 255 for v in vals):
        return None
    a = 0
    for i, v in enumerate(vals):
        a |= v << (24 - 8 * i)
    return a, 8 * len(vals)


def entry_range(tok):
    """The (first, last) ipaddress objects an entry token may cover, loosely
    read (the sampler only needs good guesses; both sides judge validity)."""
    tok = tok.lstrip("!").strip()
    if not tok:
        return None
    if ":" in tok.split("/")[0] and "." not in tok:
        t = tok
        if "/" not in t and "::" not in t:
            words = t.split(":")
            t = ":".join(words) + ("::" if len(words) < 8 else "") + "/%d" % (16 * len(words))
        try:
            net = ipaddress.ip_network(t, strict=False)
        except ValueError:
            return None
        return net[0], net[-1]
    if "-" in tok:
        a, b = tok.split("-", 1)
        pa, pb = ip4_prefix(a), ip4_prefix(b)
        if not pa or not pb:
            return None
        first, bits = pa
        last, bbits = pb
        if bbits == 8 and bits > 8:
            last = (last >> (bits - 8)) | (first & (0xffffffff << (32 - bits + 8)) & 0xffffffff)
            bbits = bits
        last |= (1 << (32 - bbits)) - 1
        return ipaddress.IPv4Address(first), ipaddress.IPv4Address(min(last, 2**32 - 1))
    base, _, plen = tok.partition("/")
    p = ip4_prefix(base)
    if not p:
        return None
    a, bits = p
    if plen:
        if not plen.isdigit() or int(plen) > 32:
            return None
        bits = int(plen)
    a &= (0xffffffff << (32 - bits)) & 0xffffffff if bits else 0
    return ipaddress.IPv4Address(a), ipaddress.IPv4Address(a | ((1 << (32 - bits)) - 1))


def tokens(path):
    with open(path, "rb") as f:
        for raw in f.read().decode("latin-1").splitlines():
            line = raw.strip().rstrip("\r")
            if not line or line[0] in "#;$:":
                continue
            tok = re.split(r"[ \t#;]", line, 1)[0]
            if "." in tok and ":" in tok:
                tok = tok.split(":", 1)[0]
            yield line, tok


def samples(path, rng):
    out = set()
    ranges = []
    for line, tok in tokens(path):
        r = entry_range(tok)
        if r is None:
            continue
        first, last = r
        if first > last:
            continue
        ranges.append((first, last))
        base = tok.lstrip("!").split("/")[0].split("-")[0]
        try:
            out.add(ipaddress.ip_address(base))  # host bits as written
        except ValueError:
            pass
        for a in (first, last):
            out.add(a)
            for d in (-1, 1):
                try:
                    out.add(a + d)
                except (ipaddress.AddressValueError, ValueError):
                    pass
        out.add(type(first)((int(first) + int(last)) // 2))
    for _ in range(60):
        if ranges:
            first, last = rng.choice(ranges)
            out.add(type(first)(rng.randint(int(first), int(last))))
    for _ in range(20):
        out.add(ipaddress.IPv4Address(rng.getrandbits(32)))
        out.add(ipaddress.IPv6Address((0x2001 << 112) | rng.getrandbits(112)))
    out = [a for a in out if not (a.version == 6 and a in MAPPED)]
    out.sort(key=lambda a: (a.version, int(a)))
    if len(out) > SAMPLES_MAX:
        out = sorted(rng.sample(out, SAMPLES_MAX), key=lambda a: (a.version, int(a)))
    return out


def qname(a, zone):
    if a.version == 4:
        return ".".join(reversed(str(a).split("."))) + "." + zone
    return ".".join(reversed(a.exploded.replace(":", ""))) + "." + zone


def unescape(s):
    """dig's presentation of a character-string, without its quotes."""
    out, i = bytearray(), 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 3 < len(s) + 0 and s[i + 1:i + 4].isdigit():
            out.append(int(s[i + 1:i + 4]))
            i += 4
        elif c == "\\" and i + 1 < len(s):
            out += s[i + 1].encode("latin-1")
            i += 2
        else:
            out += c.encode("latin-1")
            i += 1
    return bytes(out)


def txt_strings(rdata):
    """'"a" "b"' -> b'ab' (one TXT record, its strings joined)."""
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', rdata)
    return b"".join(unescape(p) for p in parts)


def ask_rbldnsd(port, addrs, zone, rundir):
    batch = os.path.join(rundir, zone + ".dig")
    names = {}
    with open(batch, "w") as f:
        for a in addrs:
            n = qname(a, zone)
            names[n.lower()] = a
            f.write("%s A\n%s TXT\n" % (n, n))
    res = subprocess.run(["dig", "@127.0.0.1", "-p", str(port), "+tries=3", "+time=5",
                          "+noall", "+answer", "-f", batch],
                         capture_output=True, check=False)
    answers = {a: (set(), set()) for a in addrs}
    for line in res.stdout.decode("latin-1").splitlines():
        f = line.split(None, 4)
        if len(f) < 5:
            continue
        a = names.get(f[0].rstrip(".").lower())
        if a is None:
            continue
        if f[3] == "A":
            answers[a][0].add(f[4].strip())
        elif f[3] == "TXT":
            answers[a][1].add(txt_strings(f[4]))
    return answers


def ask_relayguard(driver, fmt, path, addrs, redis=None):
    cmd = [driver, fmt, path] if redis is None else [driver, "--redis", redis, "oracle:", fmt, path]
    res = subprocess.run(cmd, input="".join(str(a) + "\n" for a in addrs).encode(),
                         capture_output=True, check=False)
    if res.returncode != 0:
        raise RuntimeError("listfile_driver %s %s: %s" % (fmt, path, res.stderr.decode()))
    out = {}
    for line in res.stdout.split(b"\n"):
        if not line:
            continue
        f = line.split(b"\t", 2)
        a = ipaddress.ip_address(f[0].decode())
        out[a] = None if f[1] == b"-" else (f[1].decode(), f[2])
    return out


def compare(path, fmt, rg, dns):
    """Differences of one file, as text lines (empty: agreement)."""
    diffs = []
    plain = fmt == "cidr"
    for a in sorted(rg, key=lambda x: (x.version, int(x))):
        got, (codes, texts) = rg[a], dns[a]
        if got is None and not codes:
            continue
        want = "%s %s" % (sorted(codes) or "-", sorted(texts) or "")
        if got is None or not codes:
            diffs.append("%s: relayguard %s, rbldnsd %s" % (a, got or "-", want))
            continue
        code, text = got
        if plain:
            ok = codes == {code}
        elif len(codes) > 1:  # MULTI
            ok = code in codes and (text == b"" or text in texts)
        else:
            ok = codes == {code} and texts == ({text} if text else set())
        if not ok:
            diffs.append("%s: relayguard %s %r, rbldnsd %s" % (a, code, text, want))
    return diffs


def check(n, label, fmt, rg, dns, addrs, path):
    diffs = compare(path, fmt, rg, dns)
    listed = sum(1 for a in addrs if dns[a][0])
    if diffs:
        print("not ok %d - %s: %d of %d sampled addresses differ from rbldnsd"
              % (n, label, len(diffs), len(addrs)))
        for d in diffs[:25]:
            print("#   " + d)
        return 1
    print("ok %d - %s: %d addresses (%d listed) agree with rbldnsd"
          % (n, label, len(addrs), listed))
    return 0


def main():
    port, driver, rundir = sys.argv[1], sys.argv[2], sys.argv[3]
    files, redis = sys.argv[4:], None
    if files[:1] == ["--redis"]:
        redis, files = files[1], files[2:]
    failed = n = 0
    for path in files:
        base = os.path.basename(path)
        fmt = base.split(".")[-1]
        rng = random.Random(base)
        addrs = samples(path, rng)
        dns = ask_rbldnsd(port, addrs, base.replace(".", "-") + ".oracle", rundir)
        for via in [None] + ([redis] if redis else []):
            n += 1
            label = "%s%s" % (base, " via Redis" if via else "")
            try:
                rg = ask_relayguard(driver, fmt, path, addrs, via)
            except RuntimeError as e:
                print("not ok %d - %s: %s" % (n, label, e))
                failed += 1
                continue
            failed += check(n, label, fmt, rg, dns, addrs, path)
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
