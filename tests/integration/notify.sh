#!/bin/sh
# notify.sh - relayguard-notify on real report streams: two engine
# instances report hits in three networks of an RPSL fixture (plus one
# without an owner); one notice per network over the threshold, to the
# right abuse address, valid MIME with every address; told networks are
# not told again; the rate limit; the sendmail: transport; the spool
# journal without Redis; a notifier killed in the middle of its work.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
rg_require redis-server redis-cli python3

DRV="$RG_TOP_BUILDDIR/tests/integration/report_driver"
NOTIFY="$RG_TOP_BUILDDIR/notify/relayguard-notify"
PORT=$(rg_free_port)
rg_start_redis "$PORT"
R() { redis-cli -p "$PORT" "$@"; }

printf '%s\n' 192.0.2.1 192.0.2.2 192.0.2.3 192.0.2.130 192.0.2.131 192.0.2.132 \
	198.51.100.1 198.51.100.2 198.51.100.3 203.0.113.5 203.0.113.6 203.0.113.7 2001:db8::1 \
	>"$RUN/bl.list"
engine_conf() {	# engine_conf FILE HOSTNAME PREFIX [extra line]
	cat >"$1" <<CONF
allow_root = yes
myhostname = $2
redis_server = 127.0.0.1:$PORT
redis_prefix = $3
report_spool = $RUN/spool-$2
report_dedupe_window = 0
file_lists = bl.test:$RUN/bl.list*2
dnsbl_threshold = 2
owners_db = $RG_TOP_SRCDIR/tests/data/owners/registry.db
notify_min_hits = 3
notify_window = 1d
notify_interval = 30d
notify_template = $RG_TOP_SRCDIR/conf/notice.txt
notify_from = rg-reports@\$myhostname
notify_transport = outbox:$RUN/outbox-$3
notify_state_dir = $RUN/state-$3
notify_claim_idle = 1s
${4:-}
CONF
}
engine_conf "$RUN/mx1.conf" mx1.test n1:
engine_conf "$RUN/mx2.conf" mx2.test n1:

out1=$("$DRV" "$RUN/mx1.conf" engine 192.0.2.1 192.0.2.2 192.0.2.130 192.0.2.131 198.51.100.1 203.0.113.5 2001:db8::1)
out2=$("$DRV" "$RUN/mx2.conf" engine 192.0.2.3 192.0.2.132 198.51.100.2 198.51.100.3 203.0.113.6 203.0.113.7)
rg_is "$out1 $out2" "listed=7 listed=6" "two engine instances saw 13 listed clients"
rg_is "$(R XLEN n1:reports)" 13 "13 events on the stream"

"$NOTIFY" -c "$RUN/mx1.conf" --once --consumer a 2>"$RUN/notify1.err"; rc=$?
rg_is "$rc" 0 "relayguard-notify --once"
OUT="$RUN/outbox-n1:"
rg_is "$(ls "$OUT" | grep -c '\.eml$')" 3 "exactly three notices: one per network over the threshold"
rg_is "$(ls -A "$OUT" | grep -vc '\.eml$')" 0 "no temporary files left in the outbox"

cat >"$RUN/check.py" <<'PY'
import csv, email, email.policy, io, sys, glob, re
want = {l.split()[0]: l.split()[1:] for l in open(sys.argv[2]).read().splitlines()}
seen = {}
for path in sorted(glob.glob(sys.argv[1] + "/*.eml")):
    msg = email.message_from_binary_file(open(path, "rb"), policy=email.policy.default)
    to = str(msg["To"])
    assert msg.get_content_type() == "multipart/report", (path, msg.get_content_type())
    assert msg.get_param("report-type") == "feedback-report", path
    parts = list(msg.iter_parts())
    types = [p.get_content_type() for p in parts]
    assert types == ["multipart/mixed", sys.argv[3], "text/rfc822-headers"], types
    assert msg["From"] == "rg-reports@mx1.test", msg["From"]
    assert msg["Message-ID"].startswith("<rg-"), msg["Message-ID"]
    text, table = [p.get_content() for p in parts[0].iter_parts()]
    rows = {r["address"]: r for r in csv.DictReader(io.StringIO(table))}
    report = parts[1].get_payload()[0]
    assert len(report.get_all("Source-IP")) == 1, report.get_all("Source-IP")
    assert report["Source-IP"] in rows, (report["Source-IP"], sorted(rows))
    assert ("[%s]" % report["Source-IP"]) in parts[2].as_string(), "the Received line is the reported address's"
    for a in want.get(to, ["<no such abuse address %s>" % to]):
        assert a in text, (to, a, "not in the text part")
        assert a in rows, (to, a, "not in the CSV part")
    seen[to] = seen.get(to, 0) + 1
assert sorted(seen) == sorted(want), (sorted(seen), sorted(want))
assert all(v == 1 for v in seen.values()), seen
print("ok")
PY
cat >"$RUN/want" <<'W'
abuse@net-a.example 192.0.2.1 192.0.2.2 192.0.2.3
irt@net-b.example 192.0.2.130 192.0.2.131 192.0.2.132
abuse@net-d.example 198.51.100.1 198.51.100.2 198.51.100.3
W
res=$(python3 "$RUN/check.py" "$OUT" "$RUN/want" message/feedback-report 2>&1)
rg_is "$res" ok "each notice is valid MIME (multipart/report), to the right abuse address, one Source-IP, every address in the CSV part"
f=$(grep -l 'irt@net-b.example' "$OUT"/*.eml)
rg_like "$(cat "$f")" "Source-IP: 192.0.2.130" "the feedback-report part names the most active address (ties: the first seen, then the lowest)"
rg_like "$(cat "$f")" "lists: bl.test \(3\)" "the text names the lists and the hits"
rg_like "$(cat "$f")" "192.0.2.130 +1  [0-9-]+ [0-9:]+ +[0-9-]+ [0-9:]+ +bl.test=127.0.0.2" "the table row of an address"
rg_is "$(R XPENDING n1:reports notify | head -1)" 0 "every event acknowledged"
rg_is "$(R LLEN "n1:{n1:reports}:notices")" 3 "three notices logged"

CTL="$RG_TOP_BUILDDIR/ctl/relayguard-ctl"
out=$("$CTL" -c "$RUN/mx1.conf" queue)
rg_like "$out" "length +13" "ctl queue: the stream length"
rg_like "$out" "pending +0" "ctl queue: nothing pending"
rg_like "$out" "consumer +a pending=0" "ctl queue: the consumer that read it"
out=$("$CTL" -c "$RUN/mx1.conf" networks)
rg_like "$out" "192.0.2.128-192.0.2.191 +NET-B-SUB +3  yes +irt@net-b.example" "ctl networks: a told network"
rg_like "$out" "203.0.113.0/24 +- +3  none +-" "ctl networks: the group without an owner (told: none, nobody to tell)"
rg_like "$out" "2001:db8::/32 +NET-C6 +1  no +abuse6@net-c.example" "ctl networks: one below the threshold"
out=$("$CTL" -c "$RUN/mx1.conf" notices -n 2)
rg_is "$(printf '%s\n' "$out" | grep -c ' rg-')" 2 "ctl notices -n 2: two rows"
rg_like "$out" "rg-[0-9a-f]{16} +198.51.100.0 - 198.51.100.255 +3 +3  abuse@net-d.example|irt@net-b.example|abuse@net-a.example" \
	"ctl notices: when, which network, to whom"

# Told networks are not told again; nothing is sent twice.
"$DRV" "$RUN/mx2.conf" engine 192.0.2.1 192.0.2.2 192.0.2.3 >/dev/null
"$NOTIFY" -c "$RUN/mx1.conf" --once --consumer b 2>/dev/null
rg_is "$(ls "$OUT" | grep -c '\.eml$')" 3 "a network told within notify_interval is not told again"
rg_is "$(R ZSCORE "n1:{n1:reports}:v3:nets:$(( $(date +%s) / 86400 ))" 192.0.2.0-192.0.2.255)" 6 "its hits still count"
rg_is "$(R GET "n1:{n1:reports}:v3:net:$(( $(date +%s) / 86400 )):192.0.2.0-192.0.2.255" |
	awk -F'\t' '$1 == "a" { s += $3 } END { print s }')" 6 "and its addresses' records add up to them"

# The fallback address gets the network without an owner.
engine_conf "$RUN/fb.conf" mx1.test n1: "notify_fallback_address = fallback@relayguard.test"
"$NOTIFY" -c "$RUN/fb.conf" --once 2>/dev/null
rg_is "$(grep -l 'To: fallback@relayguard.test' "$OUT"/*.eml | wc -l)" 1 "the /24 without an owner goes to notify_fallback_address"
rg_like "$(grep -h '^Subject:' "$OUT"/*.eml | sort)" "203.0.113.0/24" "as its /24"

# --dry-run prints what is due and changes nothing.
printf '%s\n' 198.18.0.1 2001:db8::2 2001:db8::3 >>"$RUN/bl.list"
"$DRV" "$RUN/mx1.conf" engine 198.18.0.1 2001:db8::2 2001:db8::3 >/dev/null 2>&1
out=$("$NOTIFY" -c "$RUN/mx1.conf" --dry-run 2>/dev/null)
rg_like "$out" "To: abuse6@net-c.example" "--dry-run prints the notice that became due"
rg_is "$(printf '%s\n' "$out" | grep -c '^To: ')" 1 "and only that one"
rg_is "$(ls "$OUT" | grep -c '\.eml$')" 4 "without sending it"

# The rate limit: one notice per hour.
engine_conf "$RUN/rate.conf" mx1.test n2: "notify_rate = 1"
"$DRV" "$RUN/rate.conf" engine 192.0.2.1 192.0.2.2 192.0.2.3 192.0.2.130 192.0.2.131 192.0.2.132 >/dev/null
"$NOTIFY" -c "$RUN/rate.conf" --once 2>"$RUN/rate.err"
"$NOTIFY" -c "$RUN/rate.conf" --once 2>>"$RUN/rate.err"
rg_is "$(ls "$RUN/outbox-n2:" | grep -c '\.eml$')" 1 "notify_rate = 1: one notice this hour, also over two runs"
rg_like "$(cat "$RUN/rate.err")" "notify_rate \(1 per hour\) reached" "the other waits, and that is logged"

# sendmail: a fake sendmail records its arguments and input.
cat >"$RUN/sendmail" <<SH
#!/bin/sh
n=\$(ls "$RUN/sent" | grep -c msg)
echo "\$*" >"$RUN/sent/\$n.args"
cat >"$RUN/sent/\$n.msg"
SH
chmod +x "$RUN/sendmail"
mkdir "$RUN/sent"
engine_conf "$RUN/sm.conf" mx1.test n3: "notify_transport = sendmail:$RUN/sendmail"
printf 'notify_bcc = copies@relayguard.test\n' >>"$RUN/sm.conf"
"$DRV" "$RUN/sm.conf" engine 192.0.2.1 192.0.2.2 192.0.2.3 198.51.100.1 198.51.100.2 198.51.100.3 >/dev/null
"$NOTIFY" -c "$RUN/sm.conf" --once 2>/dev/null
rg_is "$(ls "$RUN/sent" | grep -c msg)" 2 "sendmail: two notices piped"
rg_is "$(cat "$RUN/sent/0.args")" "-f rg-reports@mx1.test -t -i" "as sendmail -f SENDER -t -i (the envelope sender: notify_from's address)"
rg_like "$(cat "$RUN/sent/0.msg" "$RUN/sent/1.msg")" "Bcc: copies@relayguard.test" "with the notify_bcc copy"

# Without Redis: the spool journal is the queue.
cat >"$RUN/local.conf" <<CONF
allow_root = yes
myhostname = solo.test
report_spool = $RUN/solo-spool
report_dedupe_window = 0
file_lists = bl.test:$RUN/bl.list*2
dnsbl_threshold = 2
owners_db = $RG_TOP_SRCDIR/tests/data/owners/registry.db
notify_min_hits = 3
notify_template = $RG_TOP_SRCDIR/conf/notice.txt
notify_transport = outbox:$RUN/solo-outbox
notify_state_dir = $RUN/solo-state
CONF
"$DRV" "$RUN/local.conf" engine 192.0.2.1 192.0.2.2 192.0.2.130 >/dev/null
"$NOTIFY" -c "$RUN/local.conf" --once 2>/dev/null; rc=$?
rg_is "$rc" 0 "spool mode: relayguard-notify --once"
rg_is "$(ls "$RUN/solo-outbox" 2>/dev/null | grep -c '\.eml$')" 0 "below the threshold: no notice yet"
rg_is "$(stat -c %s "$RUN/solo-spool/reports.journal")" 0 "the journal was consumed and truncated"
"$DRV" "$RUN/local.conf" engine 192.0.2.3 192.0.2.131 >/dev/null
"$NOTIFY" -c "$RUN/local.conf" --once 2>/dev/null
rg_is "$(ls "$RUN/solo-outbox" | grep -c '\.eml$')" 1 "the counts survive between runs: NET-A reaches three"
"$NOTIFY" -c "$RUN/local.conf" --once 2>/dev/null
rg_is "$(ls "$RUN/solo-outbox" | grep -c '\.eml$')" 1 "and is not told twice"
rg_like "$("$RG_TOP_BUILDDIR/ctl/relayguard-ctl" -c "$RUN/local.conf" notices)" "192.0.2.0 - 192.0.2.255 +3 +3  abuse@net-a.example" \
	"ctl notices without Redis reads the notifier's state"
rg_like "$("$RG_TOP_BUILDDIR/ctl/relayguard-ctl" -c "$RUN/local.conf" queue)" "pending +0" "ctl queue without Redis: the journal"
rg_like "$(grep '^net' "$RUN/solo-state/notify.state" | cut -f3,10 | tr '\t' ' ')" "192.0.2.128-192.0.2.191 2" \
	"the state file keeps NET-B-SUB's two hits"

# A notifier killed in the middle of its work: no notice lost, none twice.
python3 - "$RUN" <<'PY'
import sys, time
run = sys.argv[1]
with open(run + "/many.csv", "w") as f:
    for n in range(2000):
        f.write("10.%d.%d.0/24,Net %d,abuse%d@many.example\n" % (n // 256, n % 256, n, n))
t = int(time.time())
def cmd(*a):
    return "*%d\r\n" % len(a) + "".join("$%d\r\n%s\r\n" % (len(x.encode()), x) for x in a)
with open(run + "/many.resp", "w") as f:
    for i in range(20000):
        n = i % 2000
        f.write(cmd("XADD", "n4:reports", "*", "id", "ev%d@gen" % i, "t", str(t), "client",
                    "10.%d.%d.%d" % (n // 256, n % 256, 1 + i // 2000), "host", "gen.test",
                    "lists", "bl.test%3D127.0.0.2"))
PY
R --pipe <"$RUN/many.resp" >/dev/null
engine_conf "$RUN/many.conf" mx1.test n4: "owners_db = $RUN/many.csv"
printf 'notify_rate = 100000\n' >>"$RUN/many.conf"
"$NOTIFY" -c "$RUN/many.conf" --consumer k1 2>"$RUN/k1.err" &
npid=$!
rg_track "$npid"
for _ in $(seq 1 $((RG_VG_WAIT * 2))); do	# 10 s, 60 s under valgrind
	[ "$(ls "$RUN/outbox-n4:" 2>/dev/null | wc -l)" -ge 100 ] && break
	sleep 0.05
done
kill -9 "$npid"
wait "$npid" 2>/dev/null
before=$(ls "$RUN/outbox-n4:" | grep -c '\.eml$')
rg_ok "$([ "$before" -gt 0 ] && [ "$before" -lt 2000 ]; echo $?)" "killed -9 in the middle ($before of 2000 notices out)"
sleep 1.2	# notify_claim_idle = 1s: the dead notifier's claims and pending events expire
"$NOTIFY" -c "$RUN/many.conf" --once --consumer k2 2>"$RUN/many.err"; rc=$?
rg_is "$rc" 0 "a second notifier finishes the work"
rg_is "$(ls "$RUN/outbox-n4:" | grep -c '\.eml$')" 2000 "every network got its notice"
rg_is "$(grep -h '^To: ' "$RUN/outbox-n4:"/*.eml | sort -u | wc -l)" 2000 "each to its own abuse address"
# (a notifier killed between delivery and its log line logs one notice less)
rg_is "$(cat "$RUN/k1.err" "$RUN/many.err" | grep -o 'notice rg-[0-9a-f]* sent' | sort | uniq -d | wc -l)" 0 \
	"no notice delivered by both notifiers"
rg_is "$(R LLEN "n4:{n4:reports}:notices")" 1000 "the notice log keeps its last 1000"
rg_is "$(R XPENDING n4:reports notify | head -1)" 0 "no event left pending"
sum=$(R ZRANGE "n4:{n4:reports}:v3:nets:$(( $(date +%s) / 86400 ))" 0 -1 WITHSCORES | awk 'NR % 2 == 0 { s += $1 } END { print s }')
rg_is "$sum" 20000 "the counts are exact: every event counted once"

# Events concentrated on few networks: several reads go into one commit
# (NOTIFY_COMMIT_ROWS), and every count is still exact.
python3 - "$RUN" <<'PY'
import sys, time
run = sys.argv[1]
t = int(time.time())
def cmd(*a):
    return "*%d\r\n" % len(a) + "".join("$%d\r\n%s\r\n" % (len(x.encode()), x) for x in a)
with open(run + "/few.resp", "w") as f:
    for i in range(5000):
        n = i % 3
        f.write(cmd("XADD", "n5:reports", "*", "id", "few%d@gen" % i, "t", str(t), "client",
                    "10.%d.%d.%d" % (n // 256, n % 256, 1 + i % 10), "host", "gen%d.test" % (i % 4),
                    "lists", "bl.test%3D127.0.0.2"))
PY
R --pipe <"$RUN/few.resp" >/dev/null
engine_conf "$RUN/few.conf" mx1.test n5: "owners_db = $RUN/many.csv"
R CONFIG RESETSTAT >/dev/null
"$NOTIFY" -c "$RUN/few.conf" --once --consumer f1 2>"$RUN/few.err"; rc=$?
rg_is "$rc" 0 "5,000 events on three networks"
commits=$(R INFO commandstats | tr -d '\r' | sed -n 's/^cmdstat_xack:calls=\([0-9]*\),.*/\1/p')
rg_ok "$([ "${commits:-0}" -ge 1 ] && [ "${commits:-0}" -lt 5 ]; echo $?)" \
	"five reads of 1,000 in fewer than five commits (XACK calls: ${commits:-none})"
w=$(( $(date +%s) / 86400 ))
rg_is "$(R ZRANGE "n5:{n5:reports}:v3:nets:$w" 0 -1 WITHSCORES | awk 'NR % 2 == 0 { s += $1 } END { print s }')" 5000 \
	"the network totals are exact"
nk=$(R ZRANGE "n5:{n5:reports}:v3:nets:$w" 0 -1 | grep -m1 '^10\.0\.1\.')
# the network's one string (notify/ncounts.h): records summed per address / name
count() {	# count TYPE NAME: the sum of NAME's records of TYPE (a: hits, h/L: n)
	R GET "n5:{n5:reports}:v3:net:$w:$nk" | awk -F'\t' -v t="$1" -v n="$2" '$1 == t && $2 == n { s += $3 } END { print s + 0 }'
}
rg_is "$(count a 10.0.1.4)" 167 "an address's count is exact (167 of 1,667 events)"
rg_is "$(count h gen1.test)" 417 "a reporting host's count is exact"
rg_is "$(count L bl.test)" 1667 "a list's count is exact"
rg_is "$(R XPENDING n5:reports notify | head -1)" 0 "no event left pending"
rg_is "$(grep -c 'notice rg-[0-9a-f]* sent' "$RUN/few.err")" 3 "one notice per network"

# Commits only append to a network's string (notify/ncounts.h): one network
# with 250 addresses, 12 passes of one event per address, one commit each.
# The notifier compacts the string as it grows: it stays well under the 12
# deltas appended, and every count is still exact.
python3 - "$RUN" <<'PY'
import sys, time
run = sys.argv[1]
t = int(time.time())
def cmd(*a):
    return "*%d\r\n" % len(a) + "".join("$%d\r\n%s\r\n" % (len(x.encode()), x) for x in a)
for r in range(12):
    with open(run + "/grow%d.resp" % r, "w") as f:
        for a in range(250):
            f.write(cmd("XADD", "n6:reports", "*", "id", "grow%d.%d@gen" % (r, a), "t", str(t), "client",
                        "10.0.7.%d" % (1 + a), "host", "gen%d.test" % (a % 2), "helo", "h%d.example" % a,
                        "lists", "bl.test%3D127.0.0.2"))
PY
engine_conf "$RUN/grow.conf" mx1.test n6: "owners_db = $RUN/many.csv"
rc=0
for r in 0 1 2 3 4 5 6 7 8 9 10 11; do
	R --pipe <"$RUN/grow$r.resp" >/dev/null
	"$NOTIFY" -c "$RUN/grow.conf" --once --consumer g1 2>>"$RUN/grow.err" || rc=1
done
rg_is "$rc" 0 "12 passes over one network of 250 addresses"
gnk=$(R ZRANGE "n6:{n6:reports}:v3:nets:$w" 0 -1 | head -1)
gk="n6:{n6:reports}:v3:net:$w:$gnk"
R GET "$gk" >"$RUN/grow.counts"
rg_like "$(head -c 2 "$RUN/grow.counts")" "^c" "the string was compacted (it starts with the compaction header)"
# one delta is 250 address records of about 65 bytes (16 KB): twelve take
# about 190 KB; compacted it is one record per address plus what came after
# the last compaction (less than as much again)
rg_ok "$([ "$(R STRLEN "$gk")" -lt 100000 ]; echo $?)" \
	"and is less than half what 12 deltas take ($(R STRLEN "$gk") bytes)"
rg_is "$(R ZSCORE "n6:{n6:reports}:v3:nets:$w" "$gnk")" 3000 "the network's total is exact"
rg_is "$(awk -F'\t' '$1 == "a" { s += $3 } END { print s }' "$RUN/grow.counts")" 3000 "its address records add up to it"
rg_is "$(awk -F'\t' '$1 == "a" && $2 == "10.0.7.100" { s += $3 } END { print s }' "$RUN/grow.counts")" 12 \
	"one address: 12 hits"
rg_is "$(awk -F'\t' '$1 == "h" && $2 == "gen1.test" { s += $3 } END { print s }' "$RUN/grow.counts")" 1500 \
	"a reporting host: 1,500"
rg_is "$(grep -c 'notice rg-[0-9a-f]* sent' "$RUN/grow.err")" 1 "one notice for the network"

rg_done
