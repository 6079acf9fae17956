#!/bin/sh
# metrics.sh - metrics_listen on the three daemons: relayguard-policyd and
# relayguard-milter against a real rbldnsd and redis-server, relayguard-notify
# on the report stream they fill (one network's notice sent, one suppressed).  Each is scraped with curl; the counters must
# have moved the way the traffic says, promtool (Debian's prometheus package)
# must accept every scrape, requests other than GET /metrics are refused, and
# every metric the Grafana dashboard uses must appear in a scrape.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
rg_require rbldnsd redis-server miltertest curl promtool
[ -n "$PY" ] || rg_require python3
CHECK="$PY $RG_TOP_SRCDIR/tests/integration/metrics_check.py"
POLICYD="$RG_TOP_BUILDDIR/policy/relayguard-policyd"
MILTER="$RG_TOP_BUILDDIR/milter/relayguard-milter"
NOTIFY="$RG_TOP_BUILDDIR/notify/relayguard-notify"
for p in "$POLICYD" "$MILTER" "$NOTIFY"; do [ -x "$p" ] || rg_bail "$p not built"; done

# test.bl lists 192.0.2.5 (127.0.0.2); err.bl answers every 192.0.2.x with the
# "query refused" code 127.255.255.254 (a default dnsbl_error_codes entry).
cp "$RG_TOP_SRCDIR"/tests/data/rbldnsd/test.bl.* "$RUN/"
printf ':127.255.255.254:refused\n192.0.2.0/24\n' >"$RUN/err.bl.ip4set"
chmod 644 "${RUN:?}"/*
DNS_PORT=$(rg_free_port)
rg_start_rbldnsd "$DNS_PORT" test.bl:generic:test.bl.common test.bl:ip4set:test.bl.ip4set \
	err.bl:ip4set:err.bl.ip4set
REDIS_PORT=$(rg_free_port)
rg_start_redis "$REDIS_PORT"
POLICY_PORT=$(rg_free_port)
M_POLICY=$(rg_free_port)
M_MILTER=$(rg_free_port)
M_NOTIFY=$(rg_free_port)
SOCK="$RUN/milter.sock"

# conf FILE SPOOL [EXTRA]: the configuration; one file could serve all three
# (each has its own metrics_listen item), one each keeps their spools apart
conf() {
	cat >"$1" <<CONF
allow_root = yes
dns_servers = 127.0.0.1:$DNS_PORT
dnsbl_sites = test.bl, err.bl
dnsbl_timeout = 3s
dnsbl_probe_interval = 0
redis_server = 127.0.0.1:$REDIS_PORT
redis_prefix = m:
report_spool = $RUN/spool-$2
report_dedupe_window = 0
myhostname = mx.example
log_level = info
stats_dir = $RUN/stats
stats_history_dir = $RUN/history
policy_listen = inet:$POLICY_PORT@127.0.0.1
policy_allowed_clients = 127.0.0.1/32
policy_workers = 2
milter_socket = unix:$SOCK
owners_db = $RG_TOP_SRCDIR/tests/data/owners/registry.db
notify_fallback_address = abuse@example.net
notify_min_hits = 1
notify_window = 1d
notify_template = $RG_TOP_SRCDIR/conf/notice.txt
notify_transport = outbox:$RUN/outbox
notify_state_dir = $RUN/state
metrics_listen = policyd=127.0.0.1:$M_POLICY, milter=127.0.0.1:$M_MILTER, notify=127.0.0.1:$M_NOTIFY
${3:-}
CONF
}

# scrape PORT FILE: GET /metrics into FILE; prints the HTTP status
scrape() { curl -s -m 10 -o "$2" -w '%{http_code}' "http://127.0.0.1:$1/metrics"; }
# value FILE NAME [LABEL=VALUE...]
value() { $CHECK value "$@"; }
# wait_value PORT FILE MIN NAME [LABEL=VALUE...]: scrape until NAME >= MIN (20 s)
wait_value() {
	_p=$1; _f=$2; _min=$3; shift 3
	for _ in $(seq 1 100); do
		scrape "$_p" "$_f" >/dev/null
		[ "$(value "$_f" "$@" 2>/dev/null || echo 0)" -ge "$_min" ] 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}

# --- the loopback rule -------------------------------------------------------
conf "$RUN/remote.conf" 1 "metrics_listen = policyd=0.0.0.0:$M_POLICY"
"$POLICYD" -f -c "$RUN/remote.conf" >"$RUN/remote.out" 2>&1
rg_ok $(( $? == 0 )) "metrics_listen on 0.0.0.0 refused without metrics_allow_remote"
rg_like "$(cat "$RUN/remote.out")" "not a loopback address.*metrics_allow_remote" "and the error says how to allow it"
conf "$RUN/syntax.conf" 1 "metrics_listen = postfix=127.0.0.1:80"
"$POLICYD" -f -c "$RUN/syntax.conf" >"$RUN/syntax.out" 2>&1
rg_ok $(( $? == 0 )) "a bad metrics_listen is refused"
rg_like "$(cat "$RUN/syntax.out")" "syntax.conf:[0-9]+: .*metrics_listen" "the error names file, line and setting"

# --- relayguard-policyd --------------------------------------------------------
conf "$RUN/policyd.conf" policyd
"$POLICYD" -f -c "$RUN/policyd.conf" 2>"$RUN/policyd.log" &
rg_track $!
rg_wait_port "$POLICY_PORT" && rg_wait_port "$M_POLICY" || rg_bail "relayguard-policyd did not start: $(cat "$RUN/policyd.log")"
RCPT="protocol_state=RCPT protocol_name=ESMTP helo_name=client.example sender=s@example.org recipient=r@example.net"
rg_like "$($CLIENT ask "$POLICY_PORT" $RCPT client_address=192.0.2.5 instance=m1)" "^action=550 " "listed client refused"
rg_is "$($CLIENT ask "$POLICY_PORT" $RCPT client_address=192.0.2.5 instance=m2 | cut -c1-10)" "action=550" "again (from the cache)"
rg_is "$($CLIENT ask "$POLICY_PORT" $RCPT client_address=192.0.2.77 instance=m3)" "action=DUNNO" "unlisted client passes"
rg_is "$($CLIENT ask "$POLICY_PORT" $RCPT client_address=192.0.2.5 instance=m4 sasl_username=alice)" "action=DUNNO" \
	"authenticated client skipped"

P="$RUN/policyd.prom"
wait_value "$M_POLICY" "$P" 4 relayguard_checks_total
rg_is "$(scrape "$M_POLICY" "$P")" 200 "policyd: GET /metrics answers 200"
rg_like "$(curl -s -m 10 -o /dev/null -w '%{content_type}' "http://127.0.0.1:$M_POLICY/metrics")" \
	"^text/plain; version=0.0.4" "the text format's content type"
rg_is "$(value "$P" relayguard_checks_total)" 4 "four checks counted"
rg_is "$(value "$P" relayguard_engines)" 2 "two engines (policy_workers = 2)"
rg_is "$(value "$P" relayguard_verdicts_total action=reject)" 2 "two reject verdicts"
rg_is "$(value "$P" relayguard_verdicts_total action=pass)" 2 "two pass verdicts (one unlisted, one skipped)"
rg_is "$(value "$P" relayguard_checks_skipped_total reason=authenticated)" 1 "one check skipped: authenticated"
rg_is "$(value "$P" relayguard_zone_queries_total zone=test.bl)" 2 "test.bl: two DNS queries (one per address)"
rg_is "$(value "$P" relayguard_zone_listed_total zone=test.bl code=127.0.0.2)" 1 "test.bl: one listing, code 127.0.0.2"
rg_is "$(value "$P" relayguard_zone_not_listed_total zone=test.bl)" 1 "test.bl: one not-listed answer"
# errors are not cached: both checks of 192.0.2.5 and the one of 192.0.2.77 asked err.bl
rg_is "$(value "$P" relayguard_zone_refusals_total zone=err.bl code=127.255.255.254)" 3 \
	"err.bl: three refusals, code 127.255.255.254"
rg_is "$(value "$P" relayguard_zone_errors_total zone=err.bl)" 3 "err.bl: refusals are errors"
rg_is "$(value "$P" relayguard_zone_suspended zone=test.bl)" 0 "test.bl in service"
rg_is "$(value "$P" relayguard_zone_query_duration_seconds_count zone=test.bl)" 2 "test.bl latency: two observations"
rg_is "$(value "$P" relayguard_check_duration_seconds_count)" 4 "check latency: four observations"
rg_ok "$(( $(value "$P" relayguard_answers_total layer=lookup) + $(value "$P" relayguard_answers_total layer=memory) + $(value "$P" relayguard_answers_total layer=redis) >= 3 ? 0 : 1 ))" \
	"answers counted by layer"
rg_is "$(value "$P" relayguard_redis_up)" 1 "Redis up"
rg_is "$(value "$P" relayguard_report_events_total outcome=queued)" 2 \
	"two report events queued (one per listed lookup; report_dedupe_window = 0)"
rg_is "$(value "$P" relayguard_report_deduplicated_total scope=local)" 0 "none deduplicated"
promtool check metrics <"$P" >"$RUN/promtool.policyd" 2>&1
rg_ok $? "promtool check metrics accepts the policyd scrape"
sed 's/^/# /' "$RUN/promtool.policyd"

# --- refused requests --------------------------------------------------------
U="http://127.0.0.1:$M_POLICY"
rg_is "$(curl -s -m 10 -o /dev/null -w '%{http_code}' -X POST -d x=1 "$U/metrics")" 413 "POST with a body: refused (no body accepted)"
rg_is "$(curl -s -m 10 -o /dev/null -w '%{http_code}' -X DELETE "$U/metrics")" 405 "DELETE /metrics: 405"
rg_is "$(curl -s -m 10 -o /dev/null -w '%{http_code}' -I "$U/metrics")" 405 "HEAD /metrics: 405"
rg_is "$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$U/")" 404 "GET /: 404"
rg_is "$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$U/metricsx")" 404 "GET /metricsx: 404"
big=$(head -c 9000 /dev/zero | tr '\0' a)
code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -H "X-Big: $big" "$U/metrics")
rg_ok "$([ "$code" != 200 ] && echo 0 || echo 1)" "a request over 8 kB of headers is refused (got $code)"
# a client that never finishes its request is dropped after the timeout, not kept
start=$(date +%s)
$PY -c "import socket,sys; s=socket.create_connection(('127.0.0.1',int(sys.argv[1]))); s.sendall(b'GET /metrics HTTP/1.1\r\n'); s.settimeout(30); print(len(s.recv(100)))" "$M_POLICY" >/dev/null 2>&1
took=$(( $(date +%s) - start ))
rg_ok "$([ "$took" -ge 5 ] && [ "$took" -le 25 ] && echo 0 || echo 1)" "a slow client is closed after the timeout (${took}s)"
rg_is "$(scrape "$M_POLICY" "$RUN/again.prom")" 200 "still serving after the refused requests"

# A listed client of NET-D (198.51.100.0/24), a network notify_suppress lists:
# its notice is counted as suppressed below, not sent.
rg_like "$($CLIENT ask "$POLICY_PORT" $RCPT client_address=198.51.100.5 instance=m3)" "^action=550 " \
	"a client of a suppressed network refused"

# --- relayguard-milter ---------------------------------------------------------
conf "$RUN/milter.conf" milter
"$MILTER" -f -c "$RUN/milter.conf" 2>"$RUN/milter.log" &
rg_track $!
rg_wait_port "$M_MILTER" || rg_bail "relayguard-milter did not start: $(cat "$RUN/milter.log")"
miltertest -s "$RG_TOP_SRCDIR/tests/data/metrics/milter.lua" -D "SOCK=unix:$SOCK" >"$RUN/mt.out" 2>&1
rg_ok $? "miltertest: two sessions"
sed 's/^/# /' "$RUN/mt.out"
MF="$RUN/milter.prom"
wait_value "$M_MILTER" "$MF" 4 relayguard_checks_total
# each session is checked twice: prefetched at connect, decided at RCPT
rg_is "$(value "$MF" relayguard_checks_total)" 4 "milter: four checks (two per session)"
rg_is "$(value "$MF" relayguard_verdicts_total action=reject)" 2 "milter: the listed session's two are rejects"
rg_is "$(value "$MF" relayguard_engines)" 1 "milter: one engine thread"
rg_ok "$(( $(value "$MF" relayguard_answers_total layer=redis) >= 1 ? 0 : 1 ))" \
	"milter: 192.0.2.5 answered from Redis (policyd cached it)"
promtool check metrics <"$MF" >"$RUN/promtool.milter" 2>&1
rg_ok $? "promtool check metrics accepts the milter scrape"
sed 's/^/# /' "$RUN/promtool.milter"

# --- relayguard-notify -----------------------------------------------------------
echo 198.51.100.0/24 >"$RUN/suppress"
conf "$RUN/notify.conf" notify "notify_suppress = $RUN/suppress"
"$NOTIFY" -c "$RUN/notify.conf" --consumer m 2>"$RUN/notify.log" &
rg_track $!
rg_wait_port "$M_NOTIFY" || rg_bail "relayguard-notify did not start: $(cat "$RUN/notify.log")"
NF="$RUN/notify.prom"
wait_value "$M_NOTIFY" "$NF" 1 relayguard_notify_notices_total result=sent
rg_ok "$(( $(value "$NF" relayguard_notify_events_total) >= 1 ? 0 : 1 ))" "notify: report events read"
rg_is "$(value "$NF" relayguard_notify_notices_total result=sent)" 1 "notify: one notice sent"
rg_is "$(ls "$RUN/outbox" | grep -c '\.eml$')" 1 "and it is in the outbox"
rg_is "$(value "$NF" relayguard_notify_notices_total result=failed)" 0 "notify: none failed"
wait_value "$M_NOTIFY" "$NF" 1 relayguard_notify_notices_total result=suppressed
rg_is "$(value "$NF" relayguard_notify_notices_total result=suppressed)" 1 \
	"notify: one notice suppressed (198.51.100.0/24 is in notify_suppress)"
rg_ok "$(( $(value "$NF" relayguard_notify_last_read_timestamp_seconds) > 0 ? 0 : 1 ))" "notify: last read time set"
promtool check metrics <"$NF" >"$RUN/promtool.notify" 2>&1
rg_ok $? "promtool check metrics accepts the notify scrape"
sed 's/^/# /' "$RUN/promtool.notify"

# --- the dashboard -----------------------------------------------------------------
D="$RG_TOP_SRCDIR/contrib/grafana/relayguard.json"
$PY -m json.tool "$D" >/dev/null
rg_ok $? "the Grafana dashboard is valid JSON"
out=$($CHECK dashboard "$D" "$P" "$MF" "$NF")
rg_ok $? "every metric the dashboard uses is in a scrape"
echo "$out" | sed 's/^/# /'
rg_done
