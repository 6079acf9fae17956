#!/bin/sh
# dnsbl_txt.sh - a lost or broken TXT answer never lets a listed client in.
#
# tests/integration/txt_dns.py, a DNS server of the test's own on 127.0.0.1
# (raw DNS over UDP), answers A 127.0.0.2 for the listed cases and then
# drops, garbles, fails, delays or answers their TXT (cases in txt_dns.py).
# Each case must be listed, with no error, well within dnsbl_timeout (5 s),
# through the dnsbl module and the engine (dnsbl_txt_driver), through
# relayguard-policyd, `relayguard-ctl check` and relayguard-milter.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
[ -n "$PY" ] || rg_require python3
DRIVER=$RG_TOP_BUILDDIR/tests/integration/dnsbl_txt_driver
POLICYD=$RG_TOP_BUILDDIR/policy/relayguard-policyd
CTL=$RG_TOP_BUILDDIR/ctl/relayguard-ctl
MILTER=$RG_TOP_BUILDDIR/milter/relayguard-milter
rg_require miltertest
for b in "$DRIVER" "$POLICYD" "$CTL" "$MILTER"; do [ -x "$b" ] || rg_bail "$b not built"; done

# The TXT of 192.0.2.7 comes 3 s after its question: after the grace
# (200 ms) and the bound of each check (2 s), before the deadline (5 s).
DNS_PORT=$(rg_free_port)
$PY "$RG_TOP_SRCDIR/tests/integration/txt_dns.py" "$DNS_PORT" "$RUN/dns.log" 3000 2>"$RUN/dns.err" &
rg_track $!
rg_wait_port "$DNS_PORT" udp || rg_bail "txt_dns.py did not start: $(cat "$RUN/dns.err")"

# now_ms: a monotonic-enough clock for bounds of seconds
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
BOUND_MS=2000
CASES="1:dropped 2:malformed 3:wrong-type 4:cut-short 5:truncated-TC 6:SERVFAIL 7:late 8:in-time"
text_of() { [ "$1" = 8 ] && echo ": Listed in txt.test: 192.0.2.8"; }

# --- the module and the engine ---------------------------------------------------
"$DRIVER" "$DNS_PORT" 2>"$RUN/driver.log" >"$RUN/driver.tap"
rc=$?
grep -v '^1\.\.' "$RUN/driver.tap"
RG_TESTS=$(grep -c '^\(not \)\{0,1\}ok ' "$RUN/driver.tap")
RG_FAILED=$(grep -c '^not ok ' "$RUN/driver.tap")
rg_ok "$rc" "driver exit status $rc"
log=$(cat "$RUN/driver.log")
rg_like "$log" 'debug: dnsbl zone txt.test: listing 127.0.0.2 delivered without text: TXT answer SERVFAIL' \
	"a TXT failure is logged at debug, with its reason"
# The driver runs four dnsbl_t (two of its own, one in each of two engines),
# and TXT fails in each: one notice per dnsbl_t and zone, the rest at debug.
rg_is "$(grep -c 'notice: dnsbl zone txt.test: .* without their TXT text' "$RUN/driver.log")" 4 \
	"a failed TXT is a notice once per zone and interval, not once per query"
rg_ok "$([ "$(grep -c 'debug: dnsbl zone txt.test: listing .* without text' "$RUN/driver.log")" -ge 16 ]; echo $?)" \
	"... and every listing without text is logged at debug"
rg_is "$(grep -c 'warning' "$RUN/driver.log")" 0 "no warning for a TXT failure"
# One round trip: each TXT question left with its A question.
# (c-ares resends a cancelled query when a broken answer resets the server: only
# the first TXT question after each A question counts.)
gaps=$(awk '$2 == "A" { a[$3] = $1 } $2 == "TXT" && ($3 in a) { d = $1 - a[$3]; delete a[$3]; if (d > 100) print $3, d }' "$RUN/dns.log")
txts=$(grep -c ' TXT ' "$RUN/dns.log")
rg_ok "$([ -z "$gaps" ] && [ "$txts" -ge 8 ]; echo $?)" \
	"A and TXT questions sent together ($txts TXT questions; apart by >100 ms: ${gaps:-none})"

# --- relayguard-policyd --------------------------------------------------------------
PORT=$(rg_free_port)
cat >"$RUN/rg.conf" <<CONF
allow_root = yes
dns_servers = 127.0.0.1:$DNS_PORT
dnsbl_sites = txt.test
dnsbl_timeout = 5s
dnsbl_probe_interval = 0
lookup_error_action = tempfail
cache_size = 0
report_enable = no
report_spool = $RUN/spool
log_level = info
policy_listen = inet:$PORT@127.0.0.1
policy_allowed_clients = 127.0.0.1/32
policy_pidfile = $RUN/policyd.pid
policy_workers = 1
stats_dir = $RUN/stats
stats_history_dir = $RUN/history
CONF
"$POLICYD" -f -c "$RUN/rg.conf" 2>"$RUN/policyd.log" &
PID=$!
rg_track "$PID"
rg_wait_port "$PORT" || rg_bail "relayguard-policyd did not start: $(cat "$RUN/policyd.log")"
RCPT="protocol_state=RCPT protocol_name=ESMTP helo_name=client.example sender=s@example.org recipient=r@example.net"
for c in $CASES; do
	n=${c%%:*} what=${c#*:}
	t0=$(now_ms)
	out=$($CLIENT ask "$PORT" $RCPT client_address=192.0.2.$n instance=p$n)
	ms=$(( $(now_ms) - t0 ))
	rg_is "$out" "action=550 5.7.1 Service unavailable; client [192.0.2.$n] blocked using txt.test$(text_of "$n")" \
		"policyd, TXT $what: rejected$([ "$n" = 8 ] && echo ' with the text' || echo ', {txt} empty')"
	rg_ok "$([ "$ms" -lt "$BOUND_MS" ]; echo $?)" "policyd, TXT $what: answered in $ms ms (bound $BOUND_MS ms)"
done
rg_is "$(grep -c 'verdict=reject' "$RUN/policyd.log")" 8 "policyd: eight rejects logged"
rg_is "$(grep -c 'errors=' "$RUN/policyd.log")" 0 "policyd: no zone error logged"

# --- relayguard-ctl check ------------------------------------------------------------
for c in $CASES; do
	n=${c%%:*} what=${c#*:}
	t0=$(now_ms)
	out=$("$CTL" -c "$RUN/rg.conf" check 192.0.2.$n 2>>"$RUN/ctl.err")
	rc=$?
	ms=$(( $(now_ms) - t0 ))
	rg_is "$rc" 1 "ctl check, TXT $what: exit status 1 (listed)"
	rg_like "$out" "^txt.test +dnsbl +listed +1 +127.0.0.2 +lookup " "ctl check, TXT $what: the zone is listed"
	rg_like "$out" "-> reject" "ctl check, TXT $what: reject"
	rg_ok "$([ "$ms" -lt "$BOUND_MS" ]; echo $?)" "ctl check, TXT $what: done in $ms ms (bound $BOUND_MS ms)"
done

# --- relayguard-milter (miltertest, reject at RCPT) ---------------------------------------
SOCK="$RUN/milter.sock"
cat "$RUN/rg.conf" - >"$RUN/milter.conf" <<CONF
milter_socket = unix:$SOCK
milter_pidfile = $RUN/milter.pid
milter_error_action = accept
CONF
"$MILTER" -f -c "$RUN/milter.conf" 2>"$RUN/milter.log" &
MILTER_PID=$!
rg_track "$MILTER_PID"
for _ in $(seq 1 300); do
	[ -S "$SOCK" ] && grep -q "started" "$RUN/milter.log" && break
	sleep 0.1
done
[ -S "$SOCK" ] || rg_bail "relayguard-milter did not start: $(cat "$RUN/milter.log")"
for c in $CASES; do
	n=${c%%:*} what=${c#*:}
	t0=$(now_ms)
	miltertest -s "$RG_TOP_SRCDIR/tests/data/milter/listed_rcpt.lua" -D "SOCK=$SOCK" \
		-D "DIR=$RG_TOP_SRCDIR/tests/data/milter" -D "IP=192.0.2.$n" >"$RUN/mt.out" 2>&1
	rc=$?
	ms=$(( $(now_ms) - t0 ))
	rg_ok "$rc" "milter, TXT $what: refused at RCPT"
	[ "$rc" -eq 0 ] || sed 's/^/# /' "$RUN/mt.out"
	rg_ok "$([ "$ms" -lt "$BOUND_MS" ]; echo $?)" "milter, TXT $what: in $ms ms (bound $BOUND_MS ms)"
done
rg_is "$(grep -c 'stage=rcpt milter=reject client=192.0.2.[1-8] .*verdict=reject' "$RUN/milter.log")" 8 \
	"milter: eight rejects logged"
rg_is "$(grep -c 'error-accept\|errors=' "$RUN/milter.log")" 0 "milter: no error, no error-accept"

# --- both daemons end cleanly (under ASan: no leak, no error report) -------------------------
for p in "$PID:policyd" "$MILTER_PID:milter"; do
	kill -TERM "${p%%:*}"
	wait "${p%%:*}"
	rg_is "$?" 0 "${p#*:}: SIGTERM: exit status 0"
done
rg_ok "$(grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error' "$RUN"/policyd.log "$RUN"/milter.log "$RUN"/ctl.err; [ $? -ne 0 ]; echo $?)" \
	"no sanitizer report from policyd, milter or relayguard-ctl"

if [ "$RG_FAILED" -ne 0 ]; then
	echo "# driver log:"; sed 's/^/#   /' "$RUN/driver.log"
	echo "# policyd log:"; sed 's/^/#   /' "$RUN/policyd.log"
	echo "# milter log:"; sed 's/^/#   /' "$RUN/milter.log"
fi
rg_done
