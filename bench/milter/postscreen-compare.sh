#!/bin/sh
# postscreen-compare.sh - relayguard-milter side by side with Postfix's own
# answer to the same problem: postscreen(8) with postscreen_dnsbl_sites
# pointed at the same rbldnsd zones (tests/data/engine), same weights and
# threshold (bl1.test=127.0.0.[2..4]*2, bl2.test*1, threshold 2).
#
#   postscreen: smtp inet -> postscreen, smtpd pass, dnsblog, tlsproxy;
#               postscreen_dnsbl_action = enforce, postscreen_greet_action =
#               ignore, no after-220 tests, no smtpd_milters
#   milter:     plain smtpd with relayguard-milter on inet:127.0.0.1,
#               milter_reject_stage = connect, skip_special = no
#
# A small load tool (Python, below) opens real TCP connections from many
# loopback source addresses (127.64.0.0/10 is listed in bl1.test, 127.128.x.y
# are not): neither postscreen nor the milter sees XCLIENT, each sees the
# address the client socket is bound to.  Each connection reads the greeting,
# sends EHLO, MAIL, RCPT TO:<r@elsewhere.example> and QUIT.  Verdicts:
#   listed: postscreen ("enforce") sends its 220 after postscreen_greet_wait
#           and answers 550 at RCPT from its own SMTP engine; after a
#           connect-time milter reject smtpd greets with 554.  Time to
#           verdict = connect to that 550/554.
#   passed: the client reaches the real smtpd, whose 220 is the verdict
#           (time to verdict = connect to 220); it shows at RCPT, where
#           smtpd refuses the unrelayed recipient ("Relay access denied")
#           without opening a queue file.  With an accepted recipient smtpd
#           opens a queue file through a cleanup process, and under a burst
#           both servers showed ~1 s stalls at RCPT (p99 ~1.1 s, seen at 50
#           clients), a Postfix cost that belongs to neither screen.
# Times are measured from just before connect().
#
# Cold = every connection from an address neither postscreen's cache map nor
# the milter's cache has seen (fresh addresses rather than a wiped cache: the
# same thing for the client, and it needs no restart between runs).  Warm =
# a warm-up pass over WARM_ADDRS addresses, then the measured pass cycles
# over the same addresses.
#
# usage: bench/milter/postscreen-compare.sh [BUILD_DIR]   (root)
# Env: CONC (concurrent clients, default 50), COLD_N (connections per cold
# run, 200), WARM_N (per warm run, 2000), WARM_ADDRS (100), SECONDS_MAX (no
# new connection after this many seconds of a run, 30), GREET_WAIT
# (postscreen_greet_wait, default Postfix's own: 6s, 2s under stress; 1s is
# its minimum), CASES (which runs: default "unlisted:cold unlisted:warm
# listed:cold listed:warm"), MILTER_EXTRA (settings added to the milter's
# configuration, e.g. "milter_early_accept = yes").
#
# Postfix resolves through libc, which has no port option: the script
# re-runs itself in a private network and mount namespace (unshare -mn) in
# which only lo exists, rbldnsd listens on 127.0.0.1:53 and /etc/resolv.conf
# is a bind mount of "nameserver 127.0.0.1".  Nothing leaves the namespace;
# everything started is stopped by PID (lib.sh) or by "postfix stop" at exit.
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$TOP}
case $BUILD in /*) ;; *) BUILD=$(cd "$BUILD" && pwd) ;; esac
[ "$(id -u)" = 0 ] || { echo "postscreen-compare.sh: Postfix needs root" >&2; exit 1; }
if [ -z "${RG_PSC_INNER:-}" ]; then
	command -v unshare >/dev/null || { echo "postscreen-compare.sh: unshare missing" >&2; exit 1; }
	RG_PSC_INNER=1 exec unshare -mn --fork sh "$0" "$BUILD"
fi
top_srcdir=$TOP
top_builddir=$BUILD
export top_srcdir top_builddir
. "$TOP/tests/integration/lib.sh"
rg_require rbldnsd postfix postconf ip
MILTER="$BUILD/milter/relayguard-milter"
[ -x "$MILTER" ] || { echo "postscreen-compare.sh: $MILTER not built" >&2; exit 1; }
CONC=${CONC:-50}
COLD_N=${COLD_N:-200}
WARM_N=${WARM_N:-2000}
WARM_ADDRS=${WARM_ADDRS:-100}
SECONDS_MAX=${SECONDS_MAX:-30}
GREET_WAIT=${GREET_WAIT:-}
POSTFIX=$(command -v postfix || echo /usr/sbin/postfix)
POSTCONF=$(command -v postconf || echo /usr/sbin/postconf)
PY=/usr/bin/python3
ulimit -n 8192 2>/dev/null

# the private namespaces: lo only, libc's resolver on 127.0.0.1:53
ip link set lo up || exit 1
echo "nameserver 127.0.0.1" >"$RUN/resolv.conf"
mount --bind "$RUN/resolv.conf" /etc/resolv.conf || exit 1

cp "$TOP"/tests/data/engine/* "$RUN/"
# the benchmark's clients: 127.64.0.0/10 listed in bl1.test (score 2 =
# threshold), every other 127.x address listed nowhere (score 0)
printf ':127.0.0.2:Bench client $ listed in bl1\n127.64.0.0/10\n' >"$RUN/bench.ip4set"
chmod 644 "$RUN"/*
rg_start_rbldnsd 53 bl1.test:ip4set:bl1.ip4set,bench.ip4set \
	bl1.test:generic:common.generic bl2.test:ip4set:bl2.ip4set

MILTER_PORT=$(rg_free_port)
cat >"$RUN/milter.conf" <<CONF
allow_root = yes
dns_servers = 127.0.0.1:53
dnsbl_sites = bl1.test=127.0.0.[2..4]*2, bl2.test*1
dnsbl_threshold = 2
dnsbl_probe_interval = 0
skip_special = no
milter_reject_stage = connect
report_enable = no
stats_dir =
report_spool = $RUN/spool-milter
myhostname = mx.example
log_level = notice
milter_socket = inet:$MILTER_PORT@127.0.0.1
milter_pidfile = $RUN/milter.pid
${MILTER_EXTRA:-}
CONF
"$MILTER" -f -c "$RUN/milter.conf" 2>"$RUN/milter.log" &
rg_track $!
rg_wait_port "$MILTER_PORT" || { echo "milter did not start: $(cat "$RUN/milter.log")" >&2; exit 1; }

# new_postfix NAME PORT: a private instance under $RUN/NAME from the
# milter test templates; the clients are not in mynetworks (postscreen's
# permit_mynetworks would let them skip every test)
new_postfix() {
	_b="$RUN/$1"
	mkdir -p "$_b/etc" "$_b/spool" "$_b/data"
	sed -e "s|@BASE@|$_b|g" -e "s|@SMTP_PORT@|$2|g" -e "s|@SINK_PORT@|$(rg_free_port)|g" \
		-e "s|@MILTER_PORT@|$MILTER_PORT|g" "$TOP/tests/data/postfix/milter-main.cf.in" >"$_b/etc/main.cf"
	sed -e "s|@SMTP_PORT@|$2|g" "$TOP/tests/data/postfix/master.cf.in" >"$_b/etc/master.cf"
	chown postfix "$_b/data"
	touch "$_b/maillog"
	"$POSTCONF" -c "$_b/etc" -e "syslog_name = postfix-rg-$1" "mynetworks = 127.0.0.1/32" \
		"smtpd_authorized_xclient_hosts ="
}
PS_PORT=$(rg_free_port)
MT_PORT=$(rg_free_port)
new_postfix ps "$PS_PORT"
"$POSTCONF" -c "$RUN/ps/etc" -e "smtpd_milters =" \
	"postscreen_dnsbl_sites = bl1.test=127.0.0.[2..4]*2, bl2.test*1" \
	"postscreen_dnsbl_threshold = 2" "postscreen_dnsbl_action = enforce" \
	"postscreen_greet_action = ignore" "postscreen_access_list = permit_mynetworks" \
	"postscreen_cache_map = btree:\$data_directory/postscreen_cache"
[ -n "$GREET_WAIT" ] && "$POSTCONF" -c "$RUN/ps/etc" -e "postscreen_greet_wait = $GREET_WAIT"
# smtp inet -> postscreen; the real smtpd behind it; dnsblog and tlsproxy
sed -i "s|^127.0.0.1:$PS_PORT inet .*|127.0.0.1:$PS_PORT inet n - n - 1 postscreen|" "$RUN/ps/etc/master.cf"
cat >>"$RUN/ps/etc/master.cf" <<'MASTER'
smtpd     pass  -       -       n       -       -       smtpd
dnsblog   unix  -       -       n       -       0       dnsblog
tlsproxy  unix  -       -       n       -       0       tlsproxy
MASTER
new_postfix mt "$MT_PORT"

stop_all() {
	for _i in ps mt; do
		_m=$(tr -d ' ' <"$RUN/$_i/spool/pid/master.pid" 2>/dev/null)
		"$POSTFIX" -c "$RUN/$_i/etc" stop >/dev/null 2>&1
		for _ in $(seq 1 100); do
			[ -n "$_m" ] && kill -0 "$_m" 2>/dev/null || break
			sleep 0.1
		done
	done
	umount /etc/resolv.conf 2>/dev/null
	rg_cleanup
}
trap stop_all EXIT
for i in ps mt; do
	"$POSTFIX" -c "$RUN/$i/etc" check >"$RUN/$i.check" 2>&1 || { cat "$RUN/$i.check" >&2; exit 1; }
	"$POSTFIX" -c "$RUN/$i/etc" start >"$RUN/$i.start" 2>&1 || { cat "$RUN/$i.start" >&2; exit 1; }
done
rg_wait_port "$PS_PORT" && rg_wait_port "$MT_PORT" || { echo "Postfix did not start" >&2; exit 1; }

cat >"$RUN/load.py" <<'PY'
"""load.py PORT PREFIX COUNT CONC ADDRS SECONDS LABEL: COUNT SMTP connections
to 127.0.0.1:PORT, CONC at a time, connection i from PREFIX.(i/254).(i%254+1)
(ADDRS = 0: every connection from a new address; else cycle over ADDRS); no
new connection starts after SECONDS.  Prints one Markdown table row: rate,
time to 220 and to verdict, replies.  LABEL "-show": one connection, print
what the server said."""
import collections, os, socket, sys, threading, time

port, prefix, count, conc, addrs, seconds = int(sys.argv[1]), sys.argv[2], \
    int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
label = sys.argv[7]
SHOW = label == "-show"
DEBUG = os.environ.get("LOAD_DEBUG")
TIMEOUT = 60.0
T0 = [0.0]
LAST = threading.local()
SLOW = []
# a recipient smtpd refuses without opening a queue file (no cleanup process)
CMDS = (b"EHLO client.example", b"MAIL FROM:<s@example.org>", b"RCPT TO:<r@elsewhere.example>")
RELAY_DENIED = b"Relay access denied"

def address(i):
    if addrs:
        i %= addrs
    return "%s.%d.%d" % (prefix, (i // 254) % 256, i % 254 + 1)

def reply(sock, buf):
    """Read one (multi-line) reply; return its code and the rest of buf;
    the last line goes to LAST."""
    while True:
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            if SHOW:
                print("#     %.1f ms: %s" % (1000 * (time.monotonic() - T0[0]),
                                            line.decode("ascii", "replace").rstrip()))
            if len(line) < 4 or line[3:4] != b"-":
                LAST.line = line
                return int(line[:3]), buf
        data = sock.recv(4096)
        if not data:
            raise ConnectionError("closed")
        buf += data

def one(i):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(TIMEOUT)
    try:
        sock.bind((address(i), 0))
        t0 = T0[0] = time.monotonic()
        sock.connect(("127.0.0.1", port))
        code, buf = reply(sock, b"")
        t220 = time.monotonic() - t0 if code == 220 else None
        steps = ["%d@%.1f" % (code, 1000 * (time.monotonic() - t0))]
        if code == 220:
            for cmd in CMDS:
                sock.sendall(cmd + b"\r\n")
                code, buf = reply(sock, buf)
                steps.append("%d@%.1f" % (code, 1000 * (time.monotonic() - t0)))
                if code >= 400:
                    break
        # smtpd's own relay refusal: the client got past the screen
        passed = code == 554 and RELAY_DENIED in LAST.line
        tv = t220 if passed else time.monotonic() - t0
        SLOW.append((tv, address(i), steps))
        try:
            sock.sendall(b"QUIT\r\n")
            reply(sock, buf)
        except OSError:
            pass
        return ("pass" if passed else str(code)), t220, tv
    except (OSError, ValueError) as e:
        return type(e).__name__, None, None
    finally:
        sock.close()

lock = threading.Lock()
next_i = [0]
results = []

def worker():
    while True:
        with lock:
            i = next_i[0]
            if i >= count or time.monotonic() - start > seconds:
                return
            next_i[0] += 1
        r = one(i)
        with lock:
            results.append(r)

if SHOW:
    print("#   %s" % (one(0),))
    sys.exit(0)
start = time.monotonic()
threads = [threading.Thread(target=worker) for _ in range(conc)]
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.monotonic() - start

def pct(values, q):
    if not values:
        return "-"
    values = sorted(values)
    v = values[min(len(values) - 1, int(q * len(values)))]
    return "%.1f" % (1000 * v) if v < 10 else "%.0f" % (1000 * v)

t220 = [r[1] for r in results if r[1] is not None]
tv = [r[2] for r in results if r[2] is not None]
codes = collections.Counter(r[0] for r in results)
count = len(results)
print("| %s | %d | %d | %.1f | %s / %s | %s / %s | %s |" % (
    label, conc, count, count / elapsed, pct(t220, 0.5), pct(t220, 0.99),
    pct(tv, 0.5), pct(tv, 0.99),
    ", ".join("%s %d" % kv for kv in sorted(codes.items()))))
if DEBUG:
    for tv, src, steps in sorted(SLOW, key=lambda x: x[0])[-3:]:
        print("#   slow: %s %s" % (src, " ".join(steps)))
PY

# start the smtpd processes of both instances before measuring (127.0.0.1:
# in mynetworks, so postscreen hands it over at once; not listed for the milter)
for _p in "$PS_PORT" "$MT_PORT"; do
	"$PY" "$RUN/load.py" "$_p" 127.0 $((CONC * 2)) "$CONC" 1 60 "processes" >/dev/null
done

NEXT_LISTED=64
NEXT_CLEAN=128
# run MODE PORT CLASS CACHE: one measurement with fresh addresses
run() {
	if [ "$3" = listed ]; then
		_p="127.$NEXT_LISTED"; NEXT_LISTED=$((NEXT_LISTED + 1))
	else
		_p="127.$NEXT_CLEAN"; NEXT_CLEAN=$((NEXT_CLEAN + 1))
	fi
	if [ "$4" = cold ]; then
		"$PY" "$RUN/load.py" "$2" "$_p" "$COLD_N" "$CONC" 0 "$SECONDS_MAX" "$1 | $3 | cold"
	else
		"$PY" "$RUN/load.py" "$2" "$_p" "$WARM_ADDRS" "$CONC" 0 600 "warm-up" >/dev/null
		"$PY" "$RUN/load.py" "$2" "$_p" "$WARM_N" "$CONC" "$WARM_ADDRS" "$SECONDS_MAX" "$1 | $3 | warm"
	fi
}

echo "# postscreen vs relayguard-milter, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores," \
	"Postfix $("$POSTCONF" -d -h mail_version), postscreen_greet_wait =" \
	"$("$POSTCONF" -c "$RUN/ps/etc" -h postscreen_greet_wait)"
echo "# CONC=$CONC COLD_N=$COLD_N WARM_N=$WARM_N WARM_ADDRS=$WARM_ADDRS; times in ms, p50 / p99"
echo
echo "# one connection each, what the client sees (ms since connect):"
for _s in "postscreen $PS_PORT" "relayguard-milter $MT_PORT"; do
	set -- $_s
	echo "#   $1, listed client 127.127.0.1:"
	"$PY" "$RUN/load.py" "$2" 127.127 1 1 0 60 -show
done
echo
echo "| server | clients | cache | concurrent | connections | conn/s | connect to 220 | connect to verdict | verdicts |"
echo "|---|---|---|---|---|---|---|---|---|"
for case in ${CASES:-unlisted:cold unlisted:warm listed:cold listed:warm}; do
	run postscreen "$PS_PORT" "${case%:*}" "${case#*:}"
	run "relayguard-milter" "$MT_PORT" "${case%:*}" "${case#*:}"
done
echo
echo "# postscreen log: $(grep -c 'PASS NEW' "$RUN/ps/maillog") PASS NEW," \
	"$(grep -c 'PASS OLD' "$RUN/ps/maillog") PASS OLD, $(grep -c 'DNSBL rank' "$RUN/ps/maillog") DNSBL rank," \
	"$(grep -cE 'warning|fatal|panic' "$RUN/ps/maillog") warnings"
echo "# milter Postfix log: $(grep -cE 'warning|fatal|panic' "$RUN/mt/maillog") warnings;" \
	"milter log: $(grep -c . "$RUN/milter.log") lines"
grep -hE 'warning|fatal|panic' "$RUN/ps/maillog" "$RUN/mt/maillog" | sort | uniq -c | sort -rn | head -5 | sed 's/^/#   /'
if [ -n "${BENCH_HOLD:-}" ]; then
	echo "# holding: RUN=$RUN PS_PORT=$PS_PORT MT_PORT=$MT_PORT"
	sleep "$BENCH_HOLD"
fi
