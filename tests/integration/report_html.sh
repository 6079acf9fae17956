#!/bin/sh
# report_html.sh - relayguard-ctl report --html on a run this test makes.
# A real rbldnsd serves test.bl and fade.bl, a real redis-server holds the
# report queue; relayguard-policyd (stats every second, its history in $RUN)
# refuses three listed clients of two networks and passes four unlisted
# ones; then fade.bl dies (everything listed) and the health probes suspend
# it.  relayguard-notify --once sends the notice of NET-A to a real
# smtp-sink and, by notify_suppress, none to NET-D.  The report is rendered
# by headless Chromium: a screenshot is kept next to this test's log
# (tests/integration/report_html.png) and must not be blank, --dump-dom
# must give back every chart; and the page's SVG marks must hold this run's
# numbers: verdicts, listings per list, networks and who was told, notices
# per day, each zone's health.  Also: the history's files (umask, pruning
# by age and size), an empty period, and data that needs HTML escaping.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
rg_require rbldnsd redis-server redis-cli chromium smtp-sink
CHECK="$PY $RG_TOP_SRCDIR/tests/integration/report_html_check.py"
POLICYD="$RG_TOP_BUILDDIR/policy/relayguard-policyd"
NOTIFY="$RG_TOP_BUILDDIR/notify/relayguard-notify"
CTL="$RG_TOP_BUILDDIR/ctl/relayguard-ctl"
for b in "$POLICYD" "$NOTIFY" "$CTL"; do [ -x "$b" ] || rg_bail "$b not built"; done

cp "$RG_TOP_SRCDIR"/tests/data/rbldnsd/test.bl.* "$RUN/"
alive() { printf ':127.0.0.2:Listed in fade.bl\n127.0.0.2\n192.0.2.5\n' >"$RUN/fade.ip4set"; }
dead() { printf ':127.0.0.2:Listed in fade.bl\n0.0.0.0/1\n128.0.0.0/1\n' >"$RUN/fade.ip4set"; }
printf '$SOA 60 ns.fade.bl. hm.fade.bl. 1 600 300 86400 60\n$NS 60 ns.fade.bl.\n' >"$RUN/fade.generic"
alive
chmod 644 "${RUN:?}"/*.ip4set "${RUN:?}"/*.generic "${RUN:?}"/test.bl.*
DNS_PORT=$(rg_free_port)
rg_start_rbldnsd "$DNS_PORT" test.bl:generic:test.bl.common test.bl:ip4set:test.bl.ip4set \
	fade.bl:ip4set:fade.ip4set fade.bl:generic:fade.generic
RBLDNSD=$RG_RBLDNSD_PID
REDIS_PORT=$(rg_free_port)
rg_start_redis "$REDIS_PORT"
SINK_PORT=$(rg_free_port)
rg_start_sink
POLICY_PORT=$(rg_free_port)
H="$RUN/history"

# History retention: a day older than stats_history_keep goes, and so does
# yesterday's file, which alone is over stats_history_max_size.
mkdir -p "$H"
echo "t=946684800 src=old.1.0 checks=1 skipped=0 listed=0 failed=0" >"$H/history-20000101.log"
yday=$(date -u -d yesterday +%Y%m%d)
head -c 70000 /dev/zero | tr '\0' '#' >"$H/history-$yday.log"

cat >"$RUN/rg.conf" <<CONF
allow_root = yes
dns_servers = 127.0.0.1:$DNS_PORT
dnsbl_sites = test.bl, fade.bl
dnsbl_timeout = 3s
dnsbl_probe_interval = 1s
redis_server = 127.0.0.1:$REDIS_PORT
redis_prefix = rh:
report_spool = $RUN/spool
report_dedupe_window = 0
myhostname = mx.example
log_level = info
stats_dir = $RUN/stats
stats_interval = 1s
stats_history_dir = $H
stats_history_interval = 1s
stats_history_keep = 30d
stats_history_max_size = 64k
policy_listen = inet:$POLICY_PORT@127.0.0.1
policy_allowed_clients = 127.0.0.1/32
policy_workers = 1
owners_db = $RG_TOP_SRCDIR/tests/data/owners/registry.db
notify_fallback_address = abuse@example.net
notify_min_hits = 1
notify_window = 1d
notify_template = $RG_TOP_SRCDIR/conf/notice.txt
notify_from = rg-notices@relayguard.test
notify_transport = smtp:127.0.0.1:$SINK_PORT
notify_state_dir = $RUN/state
notify_suppress = $RUN/suppress
CONF
echo 198.51.100.0/24 >"$RUN/suppress"

START=$(date +%s)
"$POLICYD" -f -c "$RUN/rg.conf" 2>"$RUN/policyd.log" &
POLICYD_PID=$!
rg_track "$POLICYD_PID"
rg_wait_port "$POLICY_PORT" || rg_bail "relayguard-policyd did not start: $(cat "$RUN/policyd.log")"

RCPT="protocol_state=RCPT protocol_name=ESMTP helo_name=client.example sender=s@example.org recipient=r@example.net"
N=0
ask() { N=$((N + 1)); $CLIENT ask "$POLICY_PORT" $RCPT client_address="$1" instance="i$N" | cut -d' ' -f1; }
listed=0
passed=0
for ip in 192.0.2.5 192.0.2.6 198.51.100.5; do
	[ "$(ask "$ip")" = action=550 ] && listed=$((listed + 1))
done
for ip in 192.0.2.50 192.0.2.51 198.51.100.77 203.0.113.50; do
	[ "$(ask "$ip")" = action=DUNNO ] && passed=$((passed + 1))
done
rg_is "$listed $passed" "3 4" "three listed clients refused, four unlisted passed"

# fade.bl in service for a while (two 10 s columns of the chart), then dead
while [ $(($(date +%s) - START)) -lt 22 ]; do sleep 1; done
dead
kill -HUP "$RBLDNSD"
for _ in $(seq 1 300); do
	"$CTL" -c "$RUN/rg.conf" stats 2>/dev/null | grep -q '^fade.bl .*suspended' && break
	sleep 0.1
done
rg_like "$("$CTL" -c "$RUN/rg.conf" stats 2>&1 | grep '^fade.bl')" "suspended" "fade.bl is suspended once it lists everything"
sleep 12	# a column of the chart with fade.bl suspended throughout
rg_stop "$POLICYD_PID"

# The history: today's file, mode by the daemon's umask, old days pruned;
# relayguard-ctl's own engine (check) keeps none.
today="$H/history-$(date -u +%Y%m%d).log"
rg_ok "$([ -s "$today" ]; echo $?)" "policyd appended to today's history file"
rg_is "$(stat -c %a "$today")" 640 "created with the daemons' umask (027: 0640)"
rg_ok "$([ ! -e "$H/history-20000101.log" ]; echo $?)" "a day older than stats_history_keep is removed"
rg_ok "$([ ! -e "$H/history-$yday.log" ]; echo $?)" "the oldest day goes when the files exceed stats_history_max_size"
rg_like "$(grep -c ' zone=fade.bl .*state=suspended' "$today")" "^[1-9]" "the history records fade.bl suspended"
rg_like "$(grep -c ' zone=fade.bl .*state=in_service' "$today")" "^[1-9]" "and in service before"
"$CTL" -c "$RUN/rg.conf" check 192.0.2.99 >/dev/null 2>&1
rg_is "$(grep -c 'src=relayguard-ctl' "$H"/history-*.log | awk -F: '{ n += $NF } END { print n + 0 }')" 0 \
	"relayguard-ctl check adds nothing to the history"
rg_is "$(grep -c 'src=relayguard-policyd' "$today" | tr -d ' ')" "$(grep -c 'src=' "$today")" "only policyd's lines"

# The notifier: NET-A told (one notice to the sink), NET-D suppressed.
"$NOTIFY" -c "$RUN/rg.conf" --once --consumer rh 2>"$RUN/notify.log"
rg_ok $? "relayguard-notify --once"
rg_is "$(ls "$RUN/sink" | wc -l | tr -d ' ')" 1 "one notice in the smtp-sink"

# --- the report ----------------------------------------------------------------
"$CTL" -c "$RUN/rg.conf" report --html "$RUN/report.html" --since 1h 2>"$RUN/report.err"
rg_ok $? "relayguard-ctl report --html"
[ -s "$RUN/report.html" ] || rg_bail "no report written: $(cat "$RUN/report.err")"
$CHECK charts "$RUN/report.html" >"$RUN/marks"
sed 's/^/# /' "$RUN/marks" | grep -v '	no data$' | head -60
sum() {	# sum SECTION SERIES: the values drawn for that series
	awk -F'\t' -v s="$1" -v r="$2" '$1 == s && $2 == r { n += $4 } END { print n + 0 }' "$RUN/marks"
}
value() { awk -F'\t' -v s="$1" -v l="$2" '$1 == s && $3 == l { print $4 }' "$RUN/marks"; }
rg_is "$(sum verdicts listed)" 3 "verdicts over time: 3 listed"
rg_is "$(sum verdicts passed)" 4 "verdicts over time: 4 passed"
rg_is "$(value listings test.bl)" 3 "listings per list: test.bl listed 3"
rg_is "$(value listings fade.bl)" 1 "listings per list: fade.bl listed 1 (192.0.2.5)"
rg_like "$(awk -F'\t' '$1 == "networks" { print $3 "=" $4 }' "$RUN/marks" | sort | tr '\n' ' ')" \
	"192\.0\.2\.[^=]*NET-A[^=]*=2 .*198\.51\.100\.[^=]*NET-D[^=]*=1" "top networks: NET-A 2 hits, NET-D 1"
rg_like "$(grep '^told' "$RUN/marks" | grep '192\.0\.2\.')" "	yes$" "NET-A was told"
rg_like "$(grep '^told' "$RUN/marks" | grep '198\.51\.100\.')" "	nobody$" "NET-D: nobody to tell (suppressed)"
rg_like "$(grep -o 'notify_suppress lists 198[^<]*' "$RUN/report.html")" "198\.51\.100\.0/24" "and the page says why"
rg_is "$(awk -F'\t' '$1 == "notices" { print $3 "=" $4 }' "$RUN/marks")" "$(date -u +%Y-%m-%d)=1" \
	"notices sent per day: one today"
fade=$(awk -F'\t' '$1 == "health" && $2 == "fade.bl" { print $4 }' "$RUN/marks" | sort -u | tr '\n' ',')
rg_like "$fade" "in service" "zones' health: fade.bl in service in a column"
rg_like "$fade" "suspended" "zones' health: fade.bl suspended in a later one"
last=$(awk -F'\t' '$1 == "health" && $2 == "fade.bl" && $4 != "no data" { v = $4 } END { print v }' "$RUN/marks")
rg_is "$last" suspended "fade.bl's last column is suspended"
rg_like "$(awk -F'\t' '$1 == "health" && $2 == "test.bl" { print $4 }' "$RUN/marks" | sort -u | tr '\n' ,)" \
	"^(in service,|no data,in service,|in service,no data,|[a-z ,]*in service)" "test.bl in service"
rg_is "$(grep -c '^empty' "$RUN/marks")" 0 "no section is empty"
rg_is "$(grep -ci '<script\|src=\|href=\|url(' "$RUN/report.html")" 0 "self-contained: no script, no external reference"

# --- headless Chromium -----------------------------------------------------------
chrome() { timeout 180 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$RUN/chromium" "$@" 2>>"$RUN/chromium.log"; }
chrome --dump-dom "file://$RUN/report.html" >"$RUN/dom.html"
rg_ok $? "chromium --dump-dom"
for s in verdicts listings networks notices health; do
	rg_is "$(grep -c "data-chart=\"$s\"" "$RUN/dom.html")" 1 "the DOM Chromium parsed holds the $s chart"
done
rg_is "$($CHECK charts "$RUN/dom.html" | grep -v '^told' | sort | md5sum)" "$(grep -v '^told' "$RUN/marks" | sort | md5sum)" \
	"and the same marks as the file (the page parses as written)"
chrome --screenshot="$RUN/report.png" --window-size=1200,3000 "file://$RUN/report.html" >/dev/null
rg_ok $? "chromium --screenshot"
cp "$RUN/report.png" "$RG_TOP_BUILDDIR/tests/integration/report_html.png" 2>/dev/null &&
	echo "# screenshot kept: tests/integration/report_html.png"
set -- $($CHECK png "$RUN/report.png")
echo "# screenshot: ${1:-?}x${2:-?}, ${3:-?} pixels not white, ${4:-?} colours, ${5:-?} red, ${6:-?} green"
rg_is "${1:-0}x${2:-0}" 1200x3000 "the screenshot has the window's size"
rg_ok "$([ "${3:-0}" -gt 50000 ] && [ "${4:-0}" -gt 20 ]; echo $?)" "the screenshot is not blank"
rg_ok "$([ "${5:-0}" -gt 2000 ] && [ "${6:-0}" -gt 2000 ]; echo $?)" "it shows the charts' red (listed) and green (passed)"

# --- an empty period, and a name that needs escaping ---------------------------------
mkdir -p "$RUN/h2" "$RUN/st2"
now=$(date +%s)
printf 't=%s src=x.1.0 zone=<b>evil&"q".bl kind=dnsbl queries=0 listed=0 not_listed=0 errors=0 timeouts=0 state=in_service\n' \
	"$((now - 86400 * 3))" >"$RUN/h2/history-$(date -u -d @$((now - 86400 * 3)) +%Y%m%d).log"
printf 'stats_history_dir = %s\nnotify_state_dir = %s\nmyhostname = mx.example\n' "$RUN/h2" "$RUN/st2" >"$RUN/empty.conf"
"$CTL" -c "$RUN/empty.conf" report --html "$RUN/empty.html" --since 1d 2>"$RUN/empty.err"
rg_ok $? "a report of a period without data"
rg_is "$($CHECK charts "$RUN/empty.html" | grep -c '^empty')" 5 "each of the five sections says 'no data in this period'"
"$CTL" -c "$RUN/empty.conf" report --html "$RUN/old.html" --since 7d 2>"$RUN/old.err"
rg_like "$(cat "$RUN/old.html")" "&lt;b&gt;evil&amp;&quot;q&quot;\.bl" "a zone name is HTML-escaped"
rg_is "$(grep -c '<b>evil' "$RUN/old.html")" 0 "no raw markup from the data"
# Without Redis the notifier keeps its state in notify_state_dir/notify.state
# (lines as relayguard-notify's spool mode writes them): the networks of the
# latest window, told or not, and the log of notices.
w=$((now / 86400))
{
	printf 'net\t%s\t192.0.2.0-192.0.2.255\t192.0.2.0 - 192.0.2.255\tNET-A\t\tNL\tabuse@net-a.example\t1\t7\t%s\t%s\n' $((w - 1)) "$now" "$now"
	printf 'net\t%s\t192.0.2.0-192.0.2.255\t192.0.2.0 - 192.0.2.255\tNET-A\t\tNL\tabuse@net-a.example\t1\t5\t%s\t%s\n' "$w" "$now" "$now"
	printf 'net\t%s\t198.51.100.0-198.51.100.255\t198.51.100.0 - 198.51.100.255\tNET-<D>\t\tGB\t\t1\t9\t%s\t%s\n' "$w" "$now" "$now"
	printf 'told\t192.0.2.0-192.0.2.255\t%s\n' "$now"
	printf 'untold\t198.51.100.0-198.51.100.255\t%s\n' "$now"
	printf 'log\t{"id":"a","time":%s,"network":"192.0.2.0 - 192.0.2.255","to":"abuse@net-a.example"}\n' "$now"
	printf 'log\t{"id":"b","time":%s,"network":"192.0.2.0 - 192.0.2.255","to":"abuse@net-a.example"}\n' "$((now - 86400))"
} >"$RUN/st2/notify.state"
"$CTL" -c "$RUN/empty.conf" report --html "$RUN/spool.html" --since 7d 2>"$RUN/spool.err"
$CHECK charts "$RUN/spool.html" >"$RUN/spool.marks"
rg_is "$(awk -F'\t' '$1 == "networks" { print $3 "=" $4 }' "$RUN/spool.marks" | tr '\n' ' ')" \
	"198.51.100.0-198.51.100.255 (NET-<D>)=9 192.0.2.0-192.0.2.255 (NET-A)=5 " \
	"spool mode: the latest window's networks, most hits first"
rg_is "$(grep '^told' "$RUN/spool.marks" | cut -f3 | tr '\n' ' ')" "nobody yes " "spool mode: who was told"
rg_is "$(awk -F'\t' '$1 == "notices" { n++ } END { print n }' "$RUN/spool.marks")" 2 "spool mode: notices on two days"
rg_like "$(cat "$RUN/spool.html")" "NET-&lt;D&gt;" "an owner's name is HTML-escaped"
"$CTL" -c "$RUN/empty.conf" report --html "$RUN/x.html" --since yesterday >/dev/null 2>"$RUN/bad.err"
rg_is $? 2 "a --since that is not a time: usage error"
rg_like "$(cat "$RUN/bad.err")" "--since yesterday: expected" "and the message says what is expected"
rg_done
