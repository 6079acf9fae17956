#!/bin/sh
# milter.sh - relayguard-milter driven by miltertest (a real milter client)
# against a real rbldnsd serving tests/data/engine, one Lua script per path
# (tests/data/milter/*.lua).  The milter listens on a Unix socket in $RUN and
# runs under valgrind (ASan builds: under ASan) for the whole suite; its
# configuration is switched between the scripts with SIGHUP, which is then
# tested too.  Prints TAP.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
rg_require rbldnsd miltertest python3
MILTER="$RG_TOP_BUILDDIR/milter/relayguard-milter"
[ -x "$MILTER" ] || rg_bail "$MILTER not built"
D="$RG_TOP_SRCDIR/tests/data/milter"

# Under ASan the leak check is ASan's (valgrind cannot run ASan binaries).
# gcc links libasan.so, clang (the fuzzing build) links ASan in statically:
# look for ASan's entry point in the binary itself.
if grep -q __asan_init "$MILTER"; then
	WRAP=""
	LEAKS_BY=ASan
elif [ -n "${RG_VALGRIND:-}" ] && [ "$RG_VALGRIND" != 0 ]; then
	WRAP=""		# $MILTER is lib.sh's valgrind wrapper already
	LEAKS_BY=valgrind
else
	rg_require valgrind
	WRAP="valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect --error-exitcode=97 --log-file=$RUN/valgrind.log"
	LEAKS_BY=valgrind
fi

cp "$RG_TOP_SRCDIR"/tests/data/engine/* "$RG_TOP_SRCDIR"/tests/data/spf/spf.test.generic "$RUN/"
chmod 644 "${RUN:?}"/*
DNS_PORT=$(rg_free_port)
rg_start_rbldnsd "$DNS_PORT" \
	bl1.test:ip4set:bl1.ip4set bl1.test:ip6trie:bl1.ip6trie bl1.test:generic:common.generic \
	bl2.test:ip4set:bl2.ip4set dom.test:dnset:dom.dnset spf.test:generic:spf.test.generic
# A DNS server that never answers: a UDP socket bound and never read.
BH_PORT=$(rg_free_port)
python3 -c "import socket,time,sys; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(('127.0.0.1',int(sys.argv[1]))); time.sleep(900)" "$BH_PORT" &
rg_track $!

SOCK="$RUN/milter.sock"
CONF="$RUN/milter.conf"
# write_conf [EXTRA LINES...]: the base configuration plus overrides
write_conf() {
	{
		echo "allow_root = yes"
		echo "dns_servers = 127.0.0.1:$DNS_PORT"
		echo "dnsbl_sites = bl1.test=127.0.0.[2..4]*2, bl2.test*1"
		echo "dnsbl_threshold = 2"
		echo "dnsbl_timeout = 2s"
		echo "dnsbl_probe_interval = 0"
		echo "report_enable = no"
		echo "report_spool = $RUN/spool"
		echo "stats_dir = $RUN/stats"
		echo "stats_history_dir = $RUN/history"
		echo "myhostname = mx.example"
		echo "log_level = info"
		echo "milter_socket = unix:$SOCK"
		echo "milter_pidfile = $RUN/milter.pid"
		for line in "$@"; do echo "$line"; done
	} >"$CONF"
}

# Bad configurations stop the milter before it listens, naming file and line.
write_conf "milter_reject_stage = data"
"$MILTER" -f -c "$CONF" >"$RUN/bad.out" 2>&1
rg_ok $(( $? == 0 )) "a bad milter_reject_stage is refused"
rg_like "$(cat "$RUN/bad.out")" "milter.conf:$(grep -n "milter_reject_stage" "$CONF" | cut -d: -f1): .*milter_reject_stage" "the error names file, line and setting"

write_conf
$WRAP "$MILTER" -f -c "$CONF" 2>"$RUN/milter.log" &
MILTER_PID=$!
rg_track "$MILTER_PID"
for _ in $(seq 1 300); do
	[ -S "$SOCK" ] && grep -q "started" "$RUN/milter.log" && break
	sleep 0.1
done
[ -S "$SOCK" ] || rg_bail "relayguard-milter did not start: $(cat "$RUN/milter.log")"
rg_is "$(cat "$RUN/milter.pid" 2>/dev/null)" "$MILTER_PID" "the pid file holds the milter's pid"
# libmilter's signal thread stops the milter on SIGHUP; relayguard's sigwait()
# (milter/milter.c) keeps SIGHUP for the reload.  A libmilter that stopped
# calling sigwait() would make reloads stop the milter at random: caught here.
for _ in $(seq 1 200); do
	grep -q "waits through relayguard's sigwait\|did not call sigwait" "$RUN/milter.log" && break
	sleep 0.1
done
rg_like "$(cat "$RUN/milter.log")" "SIGHUP reloads: libmilter's signal thread waits through relayguard's sigwait" \
	"libmilter's signal thread waits through relayguard's sigwait() (SIGHUP stays a reload)"

RELOADS=0
# reload [EXTRA LINES...]: new configuration, SIGHUP, wait for the log line
reload() {
	write_conf "$@"
	RELOADS=$((RELOADS + 1))
	kill -HUP "$MILTER_PID"
	for _ in $(seq 1 300); do
		[ "$(grep -c 'configuration reloaded' "$RUN/milter.log")" -ge "$RELOADS" ] && return 0
		kill -0 "$MILTER_PID" 2>/dev/null || break
		sleep 0.1
	done
	rg_ok 1 "reload $RELOADS"
	sed 's/^/# /' "$RUN/milter.log" | tail -20
	return 1
}

# spf_pass IP SENDER: the Received-SPF value of an SPF pass from client.example
spf_pass() {
	printf '%s' "pass (mx.example: domain of $2 designates $1 as permitted sender)" \
		" client-ip=$1; envelope-from=\"$2\"; helo=client.example; receiver=mx.example;" \
		" identity=mailfrom"
}

# run SCRIPT "description" [-D NAME=VALUE...]
run() {
	_script=$1; _desc=$2; shift 2
	miltertest -s "$D/$_script.lua" -D "SOCK=$SOCK" -D "DIR=$D" "$@" >"$RUN/mt.out" 2>&1
	_rc=$?
	rg_ok $_rc "$_desc"
	[ $_rc -eq 0 ] || sed 's/^/# /' "$RUN/mt.out"
}

# milter_reject_stage = rcpt (the default), dnsbl_action = reject
run listed_rcpt "listed IPv4 client refused at RCPT with a reply code"
run listed_rcpt "listed IPv6 client refused at RCPT" -D IP=2001:db8:1::5
run unlisted "unlisted client passes, nothing added"
run unlisted "unlisted IPv6 client passes" -D IP=2001:db8:2::1
run tag "unlisted client: a forged X-Relayguard is deleted, none added" -D FORGED=2 -D IP=192.0.2.99
run authenticated "authenticated listed client passes; the next transaction is checked"
run local "local connection (no address) passes"
run abort "connections that end in the middle, then a new one"
rg_like "$(cat "$RUN/milter.log")" "stage=rcpt milter=reject client=192.0.2.5 helo=client.example queue_id=LISTEDRCPT verdict=reject score=2 lists=bl1.test=127.0.0.2" \
	"the decision is logged with stage and queue id"
rg_like "$(cat "$RUN/milter.log")" "stage=rcpt milter=reject client=2001:db8:1::5 " "the IPv6 decision is logged"

# A broken configuration on SIGHUP: the milter says why and keeps the running one
write_conf "dnsbl_threshold = many"
kill -HUP "$MILTER_PID"
for _ in $(seq 1 300); do
	grep -q 'reload failed' "$RUN/milter.log" && break
	sleep 0.1
done
rg_like "$(grep 'reload failed' "$RUN/milter.log")" \
	"reload failed, keeping the running configuration: .*milter.conf:[0-9]+: .*dnsbl_threshold" \
	"SIGHUP with a broken file: refused, naming file, line and setting"
run listed_rcpt "... and the running configuration goes on"

reload "milter_reject_stage = connect"
run listed_connect "milter_reject_stage = connect: refused at connect (after SIGHUP)"
run unlisted "milter_reject_stage = connect: unlisted client passes"
reload "milter_reject_stage = helo"
run listed_helo "milter_reject_stage = helo: refused at HELO"
run unlisted "milter_reject_stage = helo: unlisted client passes"

# One session, one report event: the connect-time prefetch (a look-ahead
# that only warms the caches) reports nothing; the check at RCPT does.  With
# report_dedupe_window = 0 nothing else would fold the two.
reload "report_enable = yes" "report_dedupe_window = 0"
for ip in 198.51.100.10 198.51.100.11 198.51.100.12; do
	run listed_rcpt "a listed client from a range list refused at RCPT ($ip)" -D IP=$ip
done
for _ in $(seq 1 50); do
	[ "$(grep -c '	client=198\.51\.100\.1[012]	' "$RUN/spool/reports.journal" 2>/dev/null)" -ge 3 ] && break
	sleep 0.1
done
sleep 0.5	# a second event, if one were coming
for ip in 198.51.100.10 198.51.100.11 198.51.100.12; do
	rg_is "$(grep -c "	client=$ip	" "$RUN/spool/reports.journal" 2>/dev/null)" 1 \
		"report_dedupe_window = 0: one report event for one session of $ip (the prefetch reports nothing)"
done

# milter_early_accept: a pass known at connect accepts the whole connection
reload "milter_early_accept = yes"
! grep -q "has no effect" "$RUN/milter.log"
rg_ok $? "milter_early_accept = yes: no notice without RHSBL or SPF"
run early "early accept: a client not checked lately goes on at connect" -D WANT=continue
run early "early accept: the next connection of a client that passed is accepted at connect" -D WANT=accept
rg_like "$(cat "$RUN/milter.log")" "stage=connect milter=accept queue_id=NOQUEUE client=192.0.2.99 verdict=pass checked=lately" \
	"the early accept is logged"
run listed_rcpt "early accept: a listed client goes on at connect and is refused at RCPT"
run listed_rcpt "early accept: ... also at its next connection"
run authenticated "early accept: an authenticated listed client passes" -D ONCE=1
run listed_rcpt "early accept: a pass that came from the login is not remembered for the address"
reload "milter_early_accept = yes" "milter_reject_stage = connect"
run early "early accept, stage connect: an unlisted client is accepted at its first connection" \
	-D IP=192.0.2.97 -D WANT=accept
rg_like "$(cat "$RUN/milter.log")" "stage=connect milter=accept queue_id=NOQUEUE client=192.0.2.97 verdict=pass" \
	"the early accept after a check is logged with the engine's line"
run listed_connect "early accept, stage connect: a listed client is refused at connect"
reload "milter_early_accept = yes" "rhsbl_helo_sites = dom.test"
rg_like "$(cat "$RUN/milter.log")" "milter_early_accept = yes has no effect: rhsbl_helo_sites needs the HELO name" \
	"early accept with RHSBL: the notice says why it is off"
run early "early accept with RHSBL: first connection goes on" -D WANT=continue
run early "early accept with RHSBL: so does the next" -D WANT=continue

reload "dnsbl_action = tag"
run tag "tag: one X-Relayguard with the exact value" \
	-D "HEADER=listed action=tag score=2 lists=bl1.test host=mx.example"
run tag "tag: forged copies deleted, ours added once" -D FORGED=3 \
	-D "HEADER=listed action=tag score=2 lists=bl1.test host=mx.example"
run tag "tag: two lists in the header" -D IP=192.0.2.6 \
	-D "HEADER=listed action=tag score=3 lists=bl1.test,bl2.test host=mx.example"
reload "dnsbl_action = quarantine" "quarantine_reason = held: [{client}] in {list}"
run quarantine "quarantine with the rendered reason" -D "REASON=held: [192.0.2.5] in bl1.test"
reload "dnsbl_action = log"
run tag "log: no header, no reject"

# SPF (tests/data/spf/spf.test.generic); 192.0.2.77 is listed nowhere
reload "spf = reject"
run spf "spf = reject: an SPF fail is refused at MAIL FROM" -D SENDER=u@fail.spf.test -D WANT=reject
rg_like "$(grep 'milter=spf-reject' "$RUN/milter.log" | tail -1)" \
	"stage=mail milter=spf-reject client=192.0.2.77 helo=client.example queue_id=SPFTEST .* spf=fail" \
	"the SPF reject is logged with stage and result"
run spf "spf = reject: refused with the domain's exp= explanation" -D SENDER=u@exp.spf.test -D WANT=reject
rg_like "$(grep 'milter=spf-reject' "$RUN/milter.log" | tail -1)" \
	"spf=fail spf_explanation=\"You are not welcome here, 192.0.2.77. X-Injected: yes end\" reply=\"550 5.7.1 SPF: You are not welcome here, 192.0.2.77. X-Injected: yes end\"\$" \
	"the explanation (the reply text) is logged, cleaned, and the reply it made"
run spf "spf = reject: an SPF pass is tagged, earlier Received-SPF kept" -D SENDER=u@pass.spf.test \
	-D WANT=accept -D "HEADER=$(spf_pass 192.0.2.77 u@pass.spf.test)"
run spf "spf = reject: an authenticated client is not SPF-checked" -D SENDER=u@fail.spf.test \
	-D AUTH=alice -D WANT=accept
run spf "spf = reject: a listed client is refused by the list, not by SPF" -D IP=192.0.2.5 \
	-D SENDER=u@fail.spf.test -D WANT=listed
run spf "spf = reject: a null sender checks the HELO name" -D IP=192.0.2.9 -D SENDER= \
	-D HELO=helo.spf.test -D WANT=accept -D "HEADER_PREFIX=pass (mx.example: " 
run spf "spf = reject: null sender, HELO not permitted" -D SENDER= -D HELO=helo.spf.test -D WANT=reject
reload "spf = reject" "allow_networks = 192.0.2.77"
run spf "spf = reject: a client in allow_networks is not SPF-checked" -D SENDER=u@fail.spf.test -D WANT=accept
reload "spf = reject" "milter_reject_stage = connect"
run spf "spf = reject, milter_reject_stage = connect: refused at MAIL FROM" -D SENDER=u@fail.spf.test -D WANT=reject
reload "spf = tag"
run spf "spf = tag: an SPF pass gets Received-SPF on top" -D SENDER=u@pass.spf.test \
	-D WANT=accept -D "HEADER=$(spf_pass 192.0.2.77 u@pass.spf.test)"
run spf "spf = tag: an SPF fail is only recorded" -D SENDER=u@fail.spf.test -D WANT=accept \
	-D "HEADER_PREFIX=fail (mx.example: domain of u@fail.spf.test does not designate 192.0.2.77 "
run spf "spf = tag: an authenticated client gets no Received-SPF" -D SENDER=u@pass.spf.test \
	-D AUTH=alice -D WANT=accept
rg_like "$(grep -c 'stage=rcpt milter=pass client=192.0.2.77 .* spf=pass$' "$RUN/milter.log")" "^[1-9]" \
	"the RCPT decision line carries the SPF result"

reload "dns_servers = 127.0.0.1:$BH_PORT" "dnsbl_timeout = 1s" "milter_error_action = accept"
run error "DNS never answers, milter_error_action = accept: RCPT goes on" -D WANT=accept
reload "dns_servers = 127.0.0.1:$BH_PORT" "dnsbl_timeout = 1s" "milter_error_action = tempfail"
run error "DNS never answers, milter_error_action = tempfail: RCPT gets a reply code" -D WANT=tempfail
rg_like "$(cat "$RUN/milter.log")" "milter=error-tempfail client=192.0.2.77" "the error decision is logged"

kill -0 "$MILTER_PID" 2>/dev/null
rg_ok $? "the milter survived $RELOADS reloads (SIGHUP)"
kill -TERM "$MILTER_PID"
wait "$MILTER_PID"
MILTER_RC=$?
rg_is "$MILTER_RC" 0 "SIGTERM: clean exit, no leaks or memory errors ($LEAKS_BY)"
[ "$MILTER_RC" -eq 0 ] || { sed 's/^/# /' "$RUN/valgrind.log" 2>/dev/null | head -60; grep -A20 "Sanitizer" "$RUN/milter.log" | sed 's/^/# /' | head -60; }
[ ! -e "$RUN/milter.pid" ]
rg_ok $? "the pid file is removed at exit"
rg_done
