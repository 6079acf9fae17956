#!/bin/sh
# notify_verify.sh - relayguard-notify with notify_verify (issue 17): before a
# notice goes out the notifier probes the network's hosts with the probe's
# own steps and puts the evidence in every part of the notice.  Real hosts
# in the test's own network namespace (as probe.sh): a Postfix open relay,
# the same Postfix closed, dante as an open SOCKS5 proxy, a host with
# nothing listening, and an address outside probe_allowed_targets with a
# listener that records every connection.  Real redis-server, notices read
# by Python's email package, X-ARF checked by xarf_validate.py, metrics by
# promtool.  Section 5 runs the notifier on the spool journal (no Redis).
#
#   network (owners.db)               hosts (events)
#   NET-OPEN   198.51.100.24-25       .25 open relay (4 hits), .24 nothing (1 hit)
#   NET-CLOSED 198.51.100.26-27       .26 Postfix refusing relay (3 hits)
#   NET-PROXY  198.51.100.32-35       .34 dante, SOCKS5 only (3 hits)
#   NET-OUT    203.0.113.0/24         .9 outside probe_allowed_targets (3 hits)

if [ -z "${RG_PROBE_NETNS:-}" ]; then
	if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null 2>&1; then
		[ -n "${CI:-}" ] && { echo "Bail out! needs root and unshare"; exit 1; }
		echo "1..0 # SKIP needs root and unshare (a private network namespace)"
		exit 0
	fi
	RG_PROBE_NETNS=1 exec unshare -n -- /bin/sh "$0" "$@"
fi

. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
rg_require postfix danted ip redis-server redis-cli curl promtool /usr/bin/python3
/usr/bin/python3 -c 'import jsonschema' 2>/dev/null || rg_bail "python3-jsonschema missing"
NOTIFY="$RG_TOP_BUILDDIR/notify/relayguard-notify"
PY=/usr/bin/python3
DATA="$RG_TOP_SRCDIR/tests/data/probe"

ip link set lo up || rg_bail "cannot bring lo up in the namespace"
for a in 198.51.100.10 198.51.100.24 198.51.100.25 198.51.100.26 198.51.100.27 198.51.100.34 203.0.113.9 \
	198.51.100.40 198.51.100.41 198.51.100.42 198.51.100.43 198.51.100.44; do
	ip addr add "$a/32" dev lo || rg_bail "cannot add $a"
done
ip -6 addr add 2001:db8:100::26/128 dev lo nodad || rg_bail "cannot add 2001:db8:100::26"

# --- the hosts (probe.sh's) ---------------------------------------------------
SMTP_PORT=25
mkdir -p "$RUN/tests/data/postfix"
cp "$DATA/main.cf.in" "$DATA/master.cf.in" "$RUN/tests/data/postfix/"
RG_TOP_SRCDIR_SAVED=$RG_TOP_SRCDIR
RG_TOP_SRCDIR=$RUN rg_start_postfix main.cf.in
RG_TOP_SRCDIR=$RG_TOP_SRCDIR_SAVED
DANTED=$(command -v danted || echo /usr/sbin/danted)
mkdir -p "$RUN/dante5" && chmod 1777 "$RUN/dante5"
sed -e "s|@DIR@|$RUN/dante5|g" -e "s|@ADDR@|198.51.100.34|g" -e "s|@PROTO@|socks_v5|g" \
	"$DATA/danted.conf.in" >"$RUN/dante5/danted.conf"
"$DANTED" -f "$RUN/dante5/danted.conf" -p "$RUN/dante5/danted.pid" -N 1 >"$RUN/dante5/stdout" 2>&1 &
rg_track $!
: >"$RUN/outside.record"
$PY "$RG_TOP_SRCDIR/tests/integration/probe_listener.py" 203.0.113.9 "$RUN/outside.record" 25 587 1080 \
	>"$RUN/outside.out" 2>&1 &
rg_track $!
wait_listen() { for _ in $(seq 1 100); do ss -Hltn | grep -q "$1" && return 0; sleep 0.1; done; return 1; }
wait_listen 198.51.100.26:25 || rg_bail "Postfix does not listen on 198.51.100.26:25"
wait_listen 198.51.100.34:1080 || rg_bail "danted did not start: $(cat "$RUN/dante5/stdout")"
wait_listen 203.0.113.9:1080 || rg_bail "the recording listener did not start: $(cat "$RUN/outside.out")"

PORT=$(rg_free_port)
rg_start_redis "$PORT"
R() { redis-cli -p "$PORT" "$@"; }

printf '%s\n' \
	'inetnum: 198.51.100.24 - 198.51.100.25' 'netname: NET-OPEN' 'abuse-mailbox: abuse@open.example' 'source: TEST' '' \
	'inetnum: 198.51.100.26 - 198.51.100.27' 'netname: NET-CLOSED' 'abuse-mailbox: abuse@closed.example' 'source: TEST' '' \
	'inetnum: 198.51.100.32 - 198.51.100.35' 'netname: NET-PROXY' 'abuse-mailbox: abuse@proxy.example' 'source: TEST' '' \
	'inetnum: 203.0.113.0 - 203.0.113.255' 'netname: NET-OUT' 'abuse-mailbox: abuse@out.example' 'source: TEST' '' \
	'inetnum: 198.51.100.40 - 198.51.100.40' 'netname: NET-S0' 'abuse-mailbox: abuse@s0.example' 'source: TEST' '' \
	'inetnum: 198.51.100.41 - 198.51.100.41' 'netname: NET-S1' 'abuse-mailbox: abuse@s1.example' 'source: TEST' '' \
	'inetnum: 198.51.100.42 - 198.51.100.42' 'netname: NET-S2' 'abuse-mailbox: abuse@s2.example' 'source: TEST' '' \
	'inetnum: 198.51.100.43 - 198.51.100.43' 'netname: NET-S3' 'abuse-mailbox: abuse@s3.example' 'source: TEST' '' \
	'inetnum: 198.51.100.44 - 198.51.100.44' 'netname: NET-S4' 'abuse-mailbox: abuse@s4.example' 'source: TEST' \
	>"$RUN/owners.db"

events() {	# events PREFIX [ADDRESS:HITS...]: report events on PREFIXreports (default: the table above)
	_p=$1
	shift
	[ $# -eq 0 ] && set -- 198.51.100.25:4 198.51.100.24:1 198.51.100.26:3 198.51.100.34:3 203.0.113.9:3
	$PY - "$_p" "$@" <<'PY' | R --pipe >/dev/null
import sys, time
t = int(time.time()) - 60
def cmd(*a):
    return "*%d\r\n" % len(a) + "".join("$%d\r\n%s\r\n" % (len(x.encode()), x) for x in a)
n = 0
for spec in sys.argv[2:]:
    addr, hits = spec.split(":")
    for k in range(int(hits)):
        n += 1
        sys.stdout.write(cmd("XADD", sys.argv[1] + "reports", "*", "id", "ev%d@gen" % n, "t", str(t + k),
                             "client", addr, "helo", "h.example", "host", "mx1.test",
                             "lists", "bl.test%3D127.0.0.2"))
PY
}

conf() {	# conf PREFIX FORMAT REQUIRE MODE [EXTRA LINE]
	cat <<CONF
allow_root = yes
myhostname = mx1.test
redis_server = 127.0.0.1:$PORT
redis_prefix = $1
owners_db = $RUN/owners.db
notify_min_hits = 3
notify_window = 1d
notify_interval = 30d
notify_template = $RG_TOP_SRCDIR/conf/notice.txt
notify_from = rg-reports@mx1.test
notify_format = $2
notify_transport = outbox:$RUN/out-$1
notify_state_dir = $RUN/state-$1
notify_verify = yes
notify_require_confirmation = $3
probe_relay_mode = $4
probe_allowed_targets = 198.51.100.0/24
probe_canary = 198.51.100.10:2525
probe_canary_domain = canary.probe-test.example
probe_smtp_ports = 25
probe_proxy_ports = 1080
probe_state_dir = $RUN/probe-$1
probe_host_interval = 0
probe_network_rate = 1000
probe_global_rate = 1000
probe_canary_wait = 15s
probe_connect_timeout = 5s
probe_read_timeout = 15s
${5:-}
CONF
}

# notice DIR ADDRESS: the outbox file whose To is ADDRESS
notice() { grep -l "^To: $2\$" "$1"/*.eml 2>/dev/null | head -1; }
# part FILE WHICH: a part of a notice as Python's email package reads it
# (text, csv, feedback, xarf), or "defects" (none: empty)
part() {
	$PY - "$1" "$2" <<'PY'
import email, email.policy, sys
msg = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
which = sys.argv[2]
if which == "defects":
    print(" ".join("%s:%s" % (p.get_content_type(), d) for p in msg.walk() for d in p.defects))
    sys.exit(0)
for p in msg.walk():
    t = p.get_content_type()
    if which == "text" and t == "text/plain":
        print(p.get_content(), end="")
        break
    if which == "csv" and t == "text/csv":
        print(p.get_content(), end="")
    if which == "feedback" and t == "message/feedback-report":
        for k, v in p.get_payload()[0].items():  # unfolded
            print("%s: %s" % (k, v))
    if which == "xarf" and t == "application/json":
        c = p.get_content()
        print(c.decode() if isinstance(c, bytes) else c, end="")
PY
}
# csvcol FILE ADDRESS COLUMN: one cell of the CSV part
csvcol() {
	part "$1" csv | $PY -c '
import csv, sys
for row in csv.DictReader(sys.stdin):
    if row["address"] == sys.argv[1]:
        print(row[sys.argv[2]])' "$2" "$3"
}
ISO='20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z'

# --- 1. ARF, deliver mode, every host reported with its evidence ---------------------------
events a1:
conf a1: arf no deliver >"$RUN/a1.conf"
"$NOTIFY" -c "$RUN/a1.conf" --once 2>"$RUN/a1.err"
rg_is "$?" 0 "notify_verify = yes: relayguard-notify --once"
rg_is "$(ls "$RUN/out-a1:" | grep -c '\.eml$')" 4 "one notice per network, the closed and the refused ones too"
OPEN=$(notice "$RUN/out-a1:" abuse@open.example)
CLOSED=$(notice "$RUN/out-a1:" abuse@closed.example)
PROXY=$(notice "$RUN/out-a1:" abuse@proxy.example)
OUT=$(notice "$RUN/out-a1:" abuse@out.example)
for f in "$OPEN" "$CLOSED" "$PROXY" "$OUT"; do
	rg_ok "$([ -s "$f" ] && [ -z "$(part "$f" defects)" ]; echo $?)" "Python's email package: no defect in ${f##*/}"
done
text=$(part "$OPEN" text)
rg_like "$text" "198\.51\.100\.25: confirmed open relay at $ISO, transcript below" \
	"open relay: the human part says it was confirmed, and when"
rg_like "$text" "    > RCPT TO:<rgprobe-[0-9a-f]{16}@canary\.probe-test\.example>" "open relay: the transcript has the RCPT"
rg_like "$text" "    < 250 2\.1\.5 Ok" "open relay: and the relay's 250"
rg_like "$text" "    > DATA" "open relay: deliver mode sent the message"
rg_like "$text" "198\.51\.100\.24: tested at $ISO: nothing answered" "the host with nothing listening says so"
rg_ok "$(printf '%s\n' "$text" | awk '/^-- $/ {s=NR} /^Verification$/ {v=NR} END {exit !(v && s && v < s)}'; echo $?)" \
	"the evidence comes before the signature"
rg_is "$(part "$OPEN" csv | head -1)" \
	"address,first_seen,last_seen,hits,lists,list_texts,helo,verification,verified_at,verification_mode,verification_detail" \
	"CSV: the verification columns"
rg_is "$(csvcol "$OPEN" 198.51.100.25 verification) $(csvcol "$OPEN" 198.51.100.25 verification_mode)" \
	"open-relay deliver" "CSV: the open relay's result and mode"
rg_like "$(csvcol "$OPEN" 198.51.100.25 verified_at)" "^$ISO\$" "CSV: when it was probed, UTC ISO 8601"
rg_like "$(csvcol "$OPEN" 198.51.100.25 verification_detail)" \
	"^port 25, form plain: the canary received token rgprobe-[0-9a-f]{16} from 198\.51\.100\.25$" "CSV: the probe's detail"
rg_is "$(csvcol "$OPEN" 198.51.100.24 verification)" "no-service" "CSV: the silent host"
fb=$(part "$OPEN" feedback)
rg_like "$fb" "X-Relayguard-Verification: 198\.51\.100\.25 open-relay $ISO deliver" "ARF report: the verification field"
rg_like "$fb" "Source-IP: 198\.51\.100\.25" "ARF report: Source-IP unchanged"
text=$(part "$CLOSED" text)
rg_like "$text" "198\.51\.100\.26: tested closed at $ISO \(refused every relay or proxy attempt\), transcript below" \
	"closed relay: reported as tested closed"
rg_like "$text" "    < 554 5\.7\.1 .*Relay access denied" "closed relay: its refusal in the transcript"
rg_like "$(part "$PROXY" text)" "198\.51\.100\.34: confirmed open proxy \(SOCKS5\) at $ISO, transcript below" \
	"SOCKS5 proxy: confirmed, with the method"
rg_like "$(part "$OUT" text)" "203\.0\.113\.9: not probed: outside probe_allowed_targets" \
	"outside probe_allowed_targets: the notice goes out, saying the host was not probed"
rg_is "$(cat "$RUN/outside.record")" "" "outside probe_allowed_targets: the recording listener saw no connection"
rg_like "$(cat "$RUN/a1.err")" "probe 198\.51\.100\.25 result=open-relay mode=deliver" "the probe's own log line"

# notify_verify needs the probe's settings: without probe_allowed_targets the notifier does not start
grep -v '^probe_allowed_targets' "$RUN/a1.conf" | sed 's/^redis_prefix = .*/redis_prefix = e1:/' >"$RUN/e1.conf"
"$NOTIFY" -c "$RUN/e1.conf" --once 2>"$RUN/e1.err"
rg_is "$?" 1 "notify_verify without probe_allowed_targets: the notifier does not start"
rg_like "$(cat "$RUN/e1.err")" "notify_verify = yes: probe_allowed_targets is not set in .*e1\.conf" "and it says why"

# --- 1b. --dry-run contacts no host: stored results only ----------------------------------------
events d1:
R COPY a1:{probe}:198.51.100.25 d1:{probe}:198.51.100.25 >/dev/null
conf d1: arf no deliver >"$RUN/d1.conf"
before=$(grep -c 'postfix-closed/smtpd.*connect from' "$BASE/maillog")
"$NOTIFY" -c "$RUN/d1.conf" --dry-run >"$RUN/d1.out" 2>"$RUN/d1.err"
rg_is "$?" 0 "--dry-run with notify_verify"
rg_like "$(cat "$RUN/d1.out")" "198\.51\.100\.25: confirmed open relay at $ISO, transcript below" \
	"--dry-run: a stored result is used"
rg_like "$(cat "$RUN/d1.out")" "198\.51\.100\.26: not probed: no stored result \(--dry-run contacts no host\)" \
	"--dry-run: a host without one is not probed, and the notice says so"
rg_is "$(grep -c 'info: probe ' "$RUN/d1.err")" 0 "--dry-run: no probe ran"
sleep 1
rg_is "$(grep -c 'postfix-closed/smtpd.*connect from' "$BASE/maillog")" "$before" "--dry-run: the closed relay saw no connection"

# --- 2. X-ARF from a running notifier: stored results reused, the metrics --------------------
events x2:
# the relays' results as the first run stored them: reused, not probed again (probe_ttl)
for a in 198.51.100.25 198.51.100.26; do R COPY "a1:{probe}:$a" "x2:{probe}:$a" >/dev/null; done
MPORT=$(rg_free_port)
conf x2: xarf no deliver "metrics_listen = notify=127.0.0.1:$MPORT" >"$RUN/x2.conf"
"$NOTIFY" -c "$RUN/x2.conf" 2>"$RUN/x2.err" &
NPID=$!
rg_track "$NPID"
for _ in $(seq 1 600); do
	[ "$(ls "$RUN/out-x2:" 2>/dev/null | grep -c '\.eml$')" -ge 4 ] && break
	sleep 0.1
done
rg_is "$(ls "$RUN/out-x2:" | grep -c '\.eml$')" 4 "X-ARF: four notices from the running notifier"
M="$RUN/x2.metrics"
for _ in $(seq 1 100); do
	curl -s -m 10 -o "$M" "http://127.0.0.1:$MPORT/metrics"
	grep -q 'relayguard_notify_probes_skipped_total{reason="refused"} 1' "$M" && break
	sleep 0.2
done
promtool check metrics <"$M" >"$RUN/promtool.out" 2>&1
rg_ok $? "promtool check metrics accepts the notifier's scrape"
sed 's/^/# /' "$RUN/promtool.out"
rg_is "$(grep '^relayguard_notify_probes_total' "$M" | sort)" \
'relayguard_notify_probes_total{result="closed"} 0
relayguard_notify_probes_total{result="no-service"} 1
relayguard_notify_probes_total{result="not-tested"} 0
relayguard_notify_probes_total{result="open-proxy"} 1
relayguard_notify_probes_total{result="open-relay"} 0
relayguard_notify_probes_total{result="relay-recipient-accepted"} 0' \
	"metrics: probes run by result (the relays' results were stored)"
rg_is "$(grep '^relayguard_notify_probes_skipped_total' "$M" | sort)" \
'relayguard_notify_probes_skipped_total{reason="cached"} 2
relayguard_notify_probes_skipped_total{reason="limited"} 0
relayguard_notify_probes_skipped_total{reason="refused"} 1' "metrics: stored results reused, the refused host"
rg_stop "$NPID"
rg_is "$(grep -c 'probe 198.51.100.2[56] ' "$RUN/x2.err")" 0 "the stored results were not probed again"
XOPEN=$(notice "$RUN/out-x2:" abuse@open.example)
$PY "$RG_TOP_SRCDIR/tests/integration/xarf_validate.py" "$RG_TOP_SRCDIR/tests/data/xarf/schemas/v4" \
	"$RUN/out-x2:"/*.eml >"$RUN/xarf.out" 2>&1
rg_ok $? "X-ARF: every notice passes the v4 schema"
sed 's/^/# /' "$RUN/xarf.out"
part "$XOPEN" xarf >"$RUN/xopen.json"
rg_is "$($PY - "$RUN/xopen.json" <<'PY'
import base64, json, sys
r = json.load(open(sys.argv[1]))
out = [r["source_identifier"], ",".join(t for t in r["tags"] if t.startswith("verification:"))]
ev = [e for e in r["evidence"] if e["content_type"] == "text/plain"]
out.append(str(len(ev)))  # the open relay's transcript and the silent host's (connection refused)
t = base64.b64decode(ev[0]["payload"]).decode()
out.append("RCPT" if "> RCPT TO:<rgprobe-" in t and "< 250 " in t else "no RCPT in " + t[:200])
out.append("desc" if ev[0]["description"].startswith("198.51.100.25: confirmed open relay at ") else ev[0]["description"])
csv = base64.b64decode(r["evidence"][0]["payload"]).decode().splitlines()[0]
out.append("csv" if csv.endswith(",verification,verified_at,verification_mode,verification_detail") else csv)
v = {x["address"]: (x["result"], x["confirmed"]) for x in r["verification"]}
out.append("%s %s" % v["198.51.100.25"] + " / %s %s" % v["198.51.100.24"])
print(" | ".join(out))
PY
)" "198.51.100.25 | verification:open-relay | 2 | RCPT | desc | csv | open-relay True / no-service False" \
	"X-ARF: the transcript as evidence, the tag, the CSV columns, the verification array"
rg_like "$(part "$XOPEN" text)" "198\.51\.100\.25: confirmed open relay at $ISO, transcript below" \
	"X-ARF: the human part too (the stored result)"

# --- 3. notify_require_confirmation, rcpt mode ----------------------------------------------------
events r3:
conf r3: arf yes rcpt >"$RUN/r3.conf"
"$NOTIFY" -c "$RUN/r3.conf" --once 2>"$RUN/r3.err"
rg_is "$?" 0 "notify_require_confirmation = yes: relayguard-notify --once"
rg_is "$(ls "$RUN/out-r3:" | grep -c '\.eml$')" 2 "two notices: the relay's and the proxy's networks"
rg_is "$(notice "$RUN/out-r3:" abuse@closed.example)$(notice "$RUN/out-r3:" abuse@out.example)" "" \
	"no notice for the closed relay's network, none for the host outside probe_allowed_targets"
ROPEN=$(notice "$RUN/out-r3:" abuse@open.example)
text=$(part "$ROPEN" text)
rg_like "$text" "198\.51\.100\.25: accepted a relay recipient at $ISO \(rcpt mode, weaker evidence: no message was sent\), transcript below" \
	"rcpt mode: the notice says it is weaker evidence"
rg_is "$(printf '%s\n' "$text" | grep -Ec '^ *198\.51\.100\.24[: ]')" 0 \
	"the unconfirmed host is not in the notice (table and evidence)"
rg_is "$(part "$OPEN" text | grep -Ec '^ *198\.51\.100\.24[: ]')" 2 "(it was in both without notify_require_confirmation)"
rg_is "$(part "$ROPEN" csv | cut -d, -f1 | tr '\n' ' ')" "address 198.51.100.25 " "CSV: the confirmed host only"
rg_like "$(part "$ROPEN" text)" "In the last 1 day, 1 host\(s\) in your network" "the counts are the confirmed host's"
err=$(cat "$RUN/r3.err")
rg_like "$err" "host 198\.51\.100\.24 of network 198\.51\.100\.24 - 198\.51\.100\.25 \(198\.51\.100\.24-198\.51\.100\.25\) dropped from the notice: no-service" \
	"log: the dropped host, its network and result"
rg_like "$err" "host 198\.51\.100\.26 of network 198\.51\.100\.26 - 198\.51\.100\.27 .* dropped from the notice: closed: refused every relay recipient" \
	"log: the closed relay dropped, with its result"
rg_like "$err" "network 198\.51\.100\.26 - 198\.51\.100\.27 \(198\.51\.100\.26-198\.51\.100\.27\): no notice, no host confirmed open" \
	"log: its network gets no notice"
rg_like "$err" "host 203\.0\.113\.9 of network .* dropped from the notice: refused: outside probe_allowed_targets" \
	"log: the host outside probe_allowed_targets, refused"
rg_is "$(grep -c 'no notice, no host confirmed open' "$RUN/r3.err")" 2 "log: one line per network left without a notice"
rg_is "$(cat "$RUN/outside.record")" "" "still no connection outside probe_allowed_targets"
# a second pass: nothing confirmed since, still no notice
"$NOTIFY" -c "$RUN/r3.conf" --once 2>"$RUN/r3b.err"
rg_is "$(ls "$RUN/out-r3:" | grep -c '\.eml$')" 2 "a second pass sends nothing more"

# --- 4. notify_verify_budget: a pass stops starting probes once it is used up --------------------
# Five silent hosts (they accept and never answer), each its own network:
# every probe waits probe_read_timeout (3 s) for the greeting, longer than
# the budget (1 s), so each pass probes one host and puts the others off
# (relayguard-notify --once makes up to three passes: the batch's, then scans).
$PY - <<'PY' >"$RUN/silent.out" 2>&1 &
import selectors, socket
sel, held = selectors.DefaultSelector(), []
for a in ("198.51.100.40", "198.51.100.41", "198.51.100.42", "198.51.100.43", "198.51.100.44"):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a, 25))
    s.listen(16)
    sel.register(s, selectors.EVENT_READ)
while True:
    for key, _ in sel.select():
        held.append(key.fileobj.accept()[0])
PY
rg_track $!
wait_listen 198.51.100.44:25 || rg_bail "the silent hosts did not start: $(cat "$RUN/silent.out")"
events b4: 198.51.100.40:3 198.51.100.41:3 198.51.100.42:3 198.51.100.43:3 198.51.100.44:3
conf b4: arf no rcpt "notify_verify_budget = 1s" | sed -e 's/^probe_proxy_ports = .*/probe_proxy_ports =/' \
	-e 's/^probe_read_timeout = .*/probe_read_timeout = 3s/' >"$RUN/b4.conf"
start=$(date +%s)
"$NOTIFY" -c "$RUN/b4.conf" --once -v 2>"$RUN/b4.err"
took=$(( $(date +%s) - start ))
n1=$(ls "$RUN/out-b4:" | grep -c '\.eml$')
probes=$(grep -c 'probe 198.51.100.4[0-4] result=' "$RUN/b4.err")
waits=$(grep -c 'notify_verify_budget used up in this pass, its notice waits' "$RUN/b4.err")
rg_ok "$([ "$n1" -ge 1 ] && [ "$n1" -lt 5 ] && [ "$n1" = "$probes" ]; echo $?)" \
	"notify_verify_budget: one probe and notice per pass, the others put off ($n1 notices, $probes probes of 5)"
rg_ok "$([ "$waits" -ge 2 ]; echo $?)" "and it says so (debug, $waits lines)"
rg_ok "$([ "$took" -lt $((probes * 20)) ]; echo $?)" "the run ended within its bound (${took}s for $probes passes of 1 s + one probe)"
rg_like "$(grep 'probe 198.51.100.4' "$RUN/b4.err" | head -1)" "result=no-service .*ms=[0-9]+" "a silent host: nothing answered"
for _ in 1 2 3 4 5; do
	[ "$(ls "$RUN/out-b4:" | grep -c '\.eml$')" -ge 5 ] && break
	"$NOTIFY" -c "$RUN/b4.conf" --once 2>>"$RUN/b4.err"
done
rg_is "$(ls "$RUN/out-b4:" | grep -c '\.eml$')" 5 "the notices put off went out in later passes"
rg_is "$(grep -c 'probe 198.51.100.4[0-4] result=' "$RUN/b4.err")" 5 "each silent host probed once (stored results reused)"

# --- 5. without Redis: the spool journal, results in probe_state_dir ----------------------------
printf '%s\n' 198.51.100.25 198.51.100.26 >"$RUN/bl.list"
cat >"$RUN/s5.conf" <<CONF
allow_root = yes
myhostname = solo.test
report_spool = $RUN/s5-spool
report_dedupe_window = 0
file_lists = bl.test:$RUN/bl.list*2
dnsbl_threshold = 2
owners_db = $RUN/owners.db
notify_min_hits = 1
notify_template = $RG_TOP_SRCDIR/conf/notice.txt
notify_transport = outbox:$RUN/out-s5
notify_state_dir = $RUN/state-s5
notify_verify = yes
notify_require_confirmation = yes
probe_relay_mode = rcpt
probe_allowed_targets = 198.51.100.0/24
probe_canary = 198.51.100.10:2525
probe_canary_domain = canary.probe-test.example
probe_smtp_ports = 25
probe_proxy_ports =
probe_state_dir = $RUN/probe-s5
probe_host_interval = 0
CONF
"$RG_TOP_BUILDDIR/tests/integration/report_driver" "$RUN/s5.conf" engine 198.51.100.25 198.51.100.26 >/dev/null 2>"$RUN/s5-drv.err"
"$NOTIFY" -c "$RUN/s5.conf" --once 2>"$RUN/s5.err"
rg_is "$?" 0 "spool mode with notify_verify: relayguard-notify --once"
rg_is "$(ls "$RUN/out-s5" 2>/dev/null | grep -c '\.eml$')" 1 "spool mode: one notice, the relay's; none for the closed one"
rg_like "$(part "$(notice "$RUN/out-s5" abuse@open.example)" text)" \
	"198\.51\.100\.25: accepted a relay recipient at $ISO \(rcpt mode, weaker evidence" "spool mode: with the evidence"
rg_like "$(cat "$RUN/s5.err")" "network 198\.51\.100\.26 - 198\.51\.100\.27 .*no notice, no host confirmed open" \
	"spool mode: the closed relay's network logged"
rg_like "$(head -5 "$RUN/probe-s5/results/198.51.100.25" | tr '\n' '|')" "^relayguard-probe 1\|address 198\.51\.100\.25\|" \
	"spool mode: the result stored in probe_state_dir"

rg_done
