#!/bin/sh
# doctor.sh - `relayguard-ctl doctor` against a real rbldnsd whose zones play
# every case, and relayguard-policyd logging the same diagnosis once per
# change of state, not once per query.  Zones (tests/data/doctor/):
#   healthy.test   127.0.0.2 listed, 127.0.0.1 not (and the IPv6 test names)
#   domains.test   a healthy domain list: TEST listed, INVALID not
#   refused.test   127.255.255.254 for everything (public resolver refused)
#   quota.test     127.255.255.255 for everything (excessive queries)
#   typo.test      127.255.255.252 for everything (typing error in the name)
#   own.test       127.0.0.99 for everything, an error code set for this zone
#   all.test       lists everything, 127.0.0.1 included (a dead list)
#   notest.test    no 127.0.0.2 test entry (NXDOMAIN)
#   outside.test   192.0.2.80 for everything (a resolver rewriting NXDOMAIN)
#   notserved.test not served by rbldnsd: REFUSED
# and a UDP socket bound and never read: a resolver that never answers.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
rg_require rbldnsd dig
[ -n "$PY" ] || rg_require python3
CTL="$RG_TOP_BUILDDIR/ctl/relayguard-ctl"
POLICYD="$RG_TOP_BUILDDIR/policy/relayguard-policyd"
[ -x "$CTL" ] || rg_bail "$CTL not built"
[ -x "$POLICYD" ] || rg_bail "$POLICYD not built"

cp "$RG_TOP_SRCDIR"/tests/data/doctor/* "$RUN/" || rg_bail "missing tests/data/doctor"
cp "$RUN/refused.ip4set" "$RUN/flip.ip4set"	# policyd's zone, repaired and broken again below
chmod 644 "${RUN:?}"/*
DNS_PORT=$(rg_free_port)
rg_start_rbldnsd "$DNS_PORT" healthy.test:ip4set:healthy.ip4set domains.test:dnset:domains.dnset \
	refused.test:ip4set:refused.ip4set quota.test:ip4set:quota.ip4set \
	typo.test:ip4set:typo.ip4set own.test:ip4set:own.ip4set all.test:ip4set:all.ip4set \
	notest.test:ip4set:notest.ip4set outside.test:ip4set:outside.ip4set flip.test:ip4set:flip.ip4set

# conf FILE SETTINGS...: a config on the rbldnsd, one setting per argument
conf() {
	_f=$1; shift
	{ echo "dns_servers = 127.0.0.1:$DNS_PORT"; echo "dnsbl_timeout = 3s"; printf '%s\n' "$@"; } >"$_f"
}
# doctor SETTINGS...: run doctor on a config of these settings; sets $out and $rc
doctor() {
	conf "$RUN/d.conf" "$@"
	out=$("$CTL" -c "$RUN/d.conf" doctor 2>&1); rc=$?
}

# --- one zone per case --------------------------------------------------------
doctor "dnsbl_sites = healthy.test" "rhsbl_helo_sites = domains.test"
rg_is "$rc" 0 "healthy zones: exit status 0"
rg_like "$out" "zone healthy.test \(dnsbl_sites\): healthy, [0-9.]+ ms" "healthy: the zone and its latency"
rg_like "$out" "127\.0\.0\.2 +must be listed +answered 127\.0\.0\.2 +[0-9.]+ ms" "127.0.0.2 listed, with its time"
rg_like "$out" "127\.0\.0\.1 +must not be listed +nxdomain" "127.0.0.1 not listed"
rg_like "$out" "::FFFF:7F00:2 +must be listed +answered 127\.0\.0\.2" "dnsbl_ipv6 = yes: the IPv6 test name too"
rg_like "$out" "zone domains.test \(rhsbl_helo_sites\): healthy" "a domain list: TEST and INVALID"
rg_like "$out" "2 of 2 zones healthy" "the summary"

doctor "dnsbl_sites = healthy.test" "dnsbl_ipv6 = no"
rg_is "$rc $(printf '%s' "$out" | grep -c '127\.0\.0\.[12] ') $(printf '%s' "$out" | grep -c 'FFFF')" "0 2 0" \
	"dnsbl_ipv6 = no: the IPv4 test names only"

doctor "dnsbl_sites = refused.test"
rg_is "$rc" 1 "127.255.255.254: exit status 1"
rg_like "$out" "problem public-resolver \(127\.0\.0\.2 answered 127\.255\.255\.254\): the list refuses queries that reach it through a public or shared resolver" \
	"127.255.255.254: named, with its meaning"
rg_like "$out" "fix: use a local recursive resolver .* set dns_servers .* dnsbl_reply_map" \
	"127.255.255.254: the fix names dns_servers and the keyed service with dnsbl_reply_map"

doctor "dnsbl_sites = quota.test" "dnsbl_reply_map = quota.test=Paid-List"
rg_is "$rc" 1 "127.255.255.255: exit status 1"
rg_like "$out" "problem quota \(127\.0\.0\.2 answered 127\.255\.255\.255\): the resolver's address sent more queries" \
	"127.255.255.255: excessive queries"
rg_like "$out" "zone Paid-List \(dnsbl_sites; its dnsbl_reply_map name\)" "a mapped zone is shown by its name"
rg_ok "$(printf '%s' "$out" | grep -q 'quota\.test' && echo 1 || echo 0)" "... and its zone (a key) never"

doctor "dnsbl_sites = typo.test"
rg_is "$rc" 1 "127.255.255.252: exit status 1"
rg_like "$out" "problem bad-zone-name .*typing error in the zone name" "127.255.255.252: a typing error"

doctor "dnsbl_sites = own.test" "dnsbl_error_codes = 127.255.255.[252..255], own.test=127.0.0.99"
rg_is "$rc" 1 "a configured error code: exit status 1"
rg_like "$out" "problem error-code \(127\.0\.0\.2 answered 127\.0\.0\.99\): the zone answered a code of dnsbl_error_codes" \
	"a zone's own error code (dnsbl_error_codes)"

doctor "dnsbl_sites = all.test"
rg_is "$rc" 1 "a zone listing everything: exit status 1"
rg_like "$out" "problem lists-everything \(127\.0\.0\.1 answered 127\.0\.0\.2\): .*dead list" "it lists 127.0.0.1: a dead list"

doctor "dnsbl_sites = notest.test"
rg_is "$rc" 1 "no test entry: exit status 1"
rg_like "$out" "127\.0\.0\.2 +must be listed +nxdomain" "127.0.0.2: NXDOMAIN"
rg_like "$out" "problem test-entry-missing \(127\.0\.0\.2\)" "the test entry is missing"

doctor "dnsbl_sites = outside.test"
rg_is "$rc" 1 "answers outside 127.0.0.0/8: exit status 1"
rg_like "$out" "problem answer-outside-127 \(127\.0\.0\.2 answered 192\.0\.2\.80\): .*rewrites unknown names" \
	"an answer outside 127/8: a rewriting resolver"

doctor "dnsbl_sites = notserved.test"
rg_is "$rc" 1 "a zone the server refuses: exit status 1"
rg_like "$out" "problem refused \(127\.0\.0\.2\): the DNS server in dns_servers refused the query" "REFUSED"

# --- all together, as JSON ------------------------------------------------------
conf "$RUN/all.conf" \
	"dnsbl_sites = healthy.test, refused.test, quota.test, all.test, notest.test, notserved.test" \
	"rhsbl_helo_sites = domains.test" "rhsbl_sender_sites = domains.test"
json=$("$CTL" -c "$RUN/all.conf" doctor --json); rc=$?
rg_is "$rc" 1 "every case at once: exit status 1"
rg_is "$(printf '%s' "$json" | $PY -c '
import json, sys
d = json.load(sys.stdin)
print(d["problems"], len(d["zones"]), ",".join(
    z["zone"] + ":" + "+".join(f["id"] for f in z["findings"]) for z in d["zones"]))')" \
	"5 7 healthy.test:,refused.test:public-resolver,quota.test:quota,all.test:lists-everything,notest.test:test-entry-missing,notserved.test:refused,domains.test:" \
	"--json: one object, a zone in two settings asked once, each finding by name"
rg_is "$(printf '%s' "$json" | $PY -c '
import json, sys
z = json.load(sys.stdin)["zones"][0]
print(z["healthy"], z["ms"] > 0, [t["codes"] for t in z["tests"]][:2])')" \
	"True True [['127.0.0.2'], []]" "--json: latency and the codes of each test"

# --- a resolver that never answers ------------------------------------------------
SILENT_PORT=$(rg_free_port)
$PY -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1])))
time.sleep(120)' "$SILENT_PORT" &
rg_track $!
rg_wait_port "$SILENT_PORT" udp || rg_bail "the silent socket did not bind"
printf 'dns_servers = 127.0.0.1:%s\ndnsbl_sites = healthy.test\ndnsbl_timeout = 1s\n' "$SILENT_PORT" >"$RUN/silent.conf"
start=$(date +%s%N)
out=$("$CTL" -c "$RUN/silent.conf" doctor 2>&1); rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
rg_is "$rc" 1 "a resolver that never answers: exit status 1"
rg_like "$out" "healthy.test \(dnsbl_sites\): PROBLEM, no answer" "no answer"
rg_like "$out" "problem timeout \(127\.0\.0\.2\): no answer within dnsbl_timeout" "a timeout, explained"
rg_ok "$([ "$ms" -ge 900 ] && [ "$ms" -lt 6000 ] && echo 0 || echo 1)" \
	"it waits dnsbl_timeout (1 s), not the resolver's retries ($ms ms)"

# --- cannot run -------------------------------------------------------------------
conf "$RUN/none.conf" "log_level = info"
"$CTL" -c "$RUN/none.conf" doctor >/dev/null 2>"$RUN/none.err"; rc=$?
rg_is "$rc" 2 "no zones: exit status 2"
rg_like "$(cat "$RUN/none.err")" "no DNS lists configured" "... and says so"
printf 'dnsbl_sites = healthy.test=127.0.0.[2..300]\n' >"$RUN/bad.conf"
"$CTL" -c "$RUN/bad.conf" doctor >/dev/null 2>"$RUN/bad.err"; rc=$?
rg_is "$rc" 2 "a bad config: exit status 2"
rg_like "$(cat "$RUN/bad.err")" "bad.conf:1:" "... with file and line"
"$CTL" -c "$RUN/d.conf" doctor extra >/dev/null 2>&1; rc=$?
rg_is "$rc" 2 "an argument: usage error, exit status 2"

# --- policyd logs the same diagnosis once per change of state ---------------------
PORT=$(rg_free_port)
conf "$RUN/policyd.conf" "dnsbl_sites = flip.test" "dnsbl_probe_interval = 0" "cache_size = 0" "dnsbl_txt = no" \
	"report_enable = no" "report_spool = $RUN/spool" "log_level = info" \
	"policy_listen = inet:$PORT@127.0.0.1" "policy_allowed_clients = 127.0.0.1/32" \
	"policy_pidfile = $RUN/policyd.pid" "policy_workers = 2" "stats_dir =" "stats_history_dir =" "allow_root = yes"
"$POLICYD" -f -c "$RUN/policyd.conf" 2>"$RUN/policyd.log" &
PID=$!
rg_track "$PID"
rg_wait_port "$PORT" || rg_bail "relayguard-policyd did not start: $(cat "$RUN/policyd.log")"
RCPT="protocol_state=RCPT protocol_name=ESMTP helo_name=client.example sender=s@example.org recipient=r@example.net"
ask_many() {	# ask_many FIRST LAST: one request per client 192.0.2.FIRST..LAST
	for _i in $(seq "$1" "$2"); do
		$PY "$RG_TOP_SRCDIR/tests/integration/policy_client.py" ask "$PORT" $RCPT \
			client_address="192.0.2.$_i" >/dev/null
	done
}
# flip_to FILE ANSWER: serve FILE as flip.test, reload rbldnsd, wait until it answers so
flip_to() {
	cp "$RUN/$1" "$RUN/flip.ip4set"
	kill -HUP "$RG_RBLDNSD_PID"
	for _ in $(seq 1 100); do
		[ "$(dig +short +time=1 +tries=1 -p "$DNS_PORT" @127.0.0.1 7.0.0.10.flip.test A)" = "$2" ] && return 0
		sleep 0.1
	done
	rg_bail "rbldnsd did not reload flip.test"
}
refusals() { grep -c "dnsbl zone flip.test answered 127.255.255.254" "$RUN/policyd.log"; }
recoveries() { grep -c "dnsbl zone flip.test answers normally again" "$RUN/policyd.log"; }

ask_many 1 12
rg_is "$(grep -c 'flip.test' "$RUN/rbldnsd.log")" 12 "12 queries reached the refusing zone"
rg_is "$(refusals)" 1 "policyd (2 workers) logs the refusal once, not per query"
rg_like "$(grep 'flip.test answered' "$RUN/policyd.log")" \
	"warning.*127\.255\.255\.254: error code 127\.255\.255\.254 \(query refused: use a local resolver\), not a listing; the list refuses queries that reach it through a public or shared resolver.*; fix: use a local recursive resolver" \
	"the daemon's line carries doctor's meaning and fix"

# The list accepts us again (rbldnsd reloaded), then refuses again.
flip_to healthy.ip4set ""
ask_many 13 20
rg_is "$(recoveries)" 1 "the end of the refusal is logged once"
rg_is "$(refusals)" 1 "and no further refusal line meanwhile"
flip_to refused.ip4set 127.255.255.254
ask_many 21 30
rg_is "$(refusals)" 2 "a new refusal is a new change of state: logged once more"
if [ "$RG_FAILED" -ne 0 ]; then
	echo "# policyd log:"; sed 's/^/#   /' "$RUN/policyd.log" | tail -30
fi
rg_done
