#!/bin/sh
# postfix_milter.sh - a private Postfix instance with smtpd_milters pointing
# at relayguard-milter on inet:127.0.0.1 (real rbldnsd behind it), smtp-sink
# as the next hop, swaks with XCLIENT to make Postfix see any client address.
# Checks what the SMTP client sees (reply codes and text) and what arrives
# (the tag header, forged copies removed).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
rg_require rbldnsd postfix swaks smtp-sink
if [ "$(id -u)" != 0 ]; then
	[ -n "${CI:-}" ] && rg_bail "Postfix needs root (CI runs as root)"
	rg_skip_all "Postfix needs root"
fi
MILTER="$RG_TOP_BUILDDIR/milter/relayguard-milter"
[ -x "$MILTER" ] || rg_bail "$MILTER not built"

cp "$RG_TOP_SRCDIR"/tests/data/engine/* "$RG_TOP_SRCDIR"/tests/data/spf/spf.test.generic \
	"$RG_TOP_SRCDIR"/tests/data/milter/spf-percent.generic "$RUN/"
chmod 644 "${RUN:?}"/*
DNS_PORT=$(rg_free_port)
rg_start_rbldnsd "$DNS_PORT" \
	bl1.test:ip4set:bl1.ip4set bl1.test:ip6trie:bl1.ip6trie bl1.test:generic:common.generic \
	bl2.test:ip4set:bl2.ip4set spf.test:generic:spf.test.generic \
	spfx.test:generic:spf-percent.generic
MILTER_PORT=$(rg_free_port)
SMTP_PORT=$(rg_free_port)
SINK_PORT=$(rg_free_port)

write_conf() {
	{
		echo "allow_root = yes"
		echo "dns_servers = 127.0.0.1:$DNS_PORT"
		echo "dnsbl_sites = bl1.test=127.0.0.[2..4]*2, bl2.test*1"
		echo "dnsbl_threshold = 2"
		echo "dnsbl_timeout = 3s"
		echo "dnsbl_probe_interval = 0"
		echo "report_enable = no"
		echo "report_spool = $RUN/spool"
		echo "stats_dir = $RUN/stats"
		echo "stats_history_dir = $RUN/history"
		echo "stats_interval = 1s"
		echo "myhostname = mx.example"
		echo "milter_socket = inet:$MILTER_PORT@127.0.0.1"
		echo "milter_pidfile = $RUN/milter.pid"
		for line in "$@"; do echo "$line"; done
	} >"$RUN/milter.conf"
}
write_conf
"$MILTER" -f -c "$RUN/milter.conf" 2>"$RUN/milter.log" &
MILTER_PID=$!
rg_track "$MILTER_PID"
rg_wait_port "$MILTER_PORT" || rg_bail "relayguard-milter did not start: $(cat "$RUN/milter.log")"

rg_start_sink

rg_start_postfix milter-main.cf.in

# send ADDR [swaks args...]: prints swaks' exit status; transcript in $RUN/swaks.out
send() {
	_addr=$1; shift
	swaks --server 127.0.0.1 --port "$SMTP_PORT" --helo client.example --from s@example.org \
		--to r@example.net --xclient "ADDR=$_addr NAME=client.example" "$@" >"$RUN/swaks.out" 2>&1
	echo $?
}
# reload [EXTRA LINES...]
RELOADS=0
reload() {
	write_conf "$@"
	RELOADS=$((RELOADS + 1))
	kill -HUP "$MILTER_PID"
	for _ in $(seq 1 100); do
		[ "$(grep -c 'configuration reloaded' "$RUN/milter.log")" -ge "$RELOADS" ] && return 0
		sleep 0.1
	done
	rg_ok 1 "reload $RELOADS"
}

rg_is "$(send 192.0.2.5)" 24 "listed client: RCPT rejected (swaks exit 24)"
rg_ok "$(grep -qF '<** 550 5.7.1 Service unavailable; client [192.0.2.5] blocked using bl1.test: Open relay 192.0.2.5 listed in bl1' "$RUN/swaks.out"; echo $?)" \
	"listed client: 550 5.7.1 with the templated text"
rg_is "$(send IPV6:2001:db8:1::7)" 24 "listed IPv6 client: RCPT rejected"
rg_ok "$(grep -qF '550 5.7.1 Service unavailable; client [2001:db8:1::7] blocked using bl1.test' "$RUN/swaks.out"; echo $?)" \
	"listed IPv6 client: the text names the address"

rg_is "$(send 192.0.2.77 --header 'Subject: unlisted-77' --header 'X-Relayguard: clean forged')" 0 "unlisted client accepted"
f=$(rg_wait_sink 'unlisted-77')
rg_ok $? "unlisted client: message delivered"
rg_is "$(grep -c '^X-Relayguard:' "$f" 2>/dev/null)" 0 "unlisted client: the forged X-Relayguard is removed"

# Oversized arguments (miltertest itself overflows above 1 kB, so through
# Postfix): a 1500-character HELO name and sender; the milter keeps 1024 of
# each for the engine and still decides
LONG=$(printf 'a%.0s' $(seq 1 1500))
rg_is "$(send 192.0.2.5 --ehlo "$LONG.example" --from "$LONG@example.org")" 24 \
	"1500-character HELO and sender: a listed client is still refused at RCPT"
rg_ok "$(grep -qF '<** 550 5.7.1 Service unavailable; client [192.0.2.5] blocked using bl1.test' "$RUN/swaks.out"; echo $?)" \
	"... with its 550 text"
rg_is "$(send 192.0.2.82 --ehlo "$LONG.example" --from "$LONG@example.org" --header 'Subject: long-82')" 0 \
	"1500-character HELO and sender: an unlisted client is accepted"
rg_ok "$(rg_wait_sink 'long-82' >/dev/null; echo $?)" "... and its message delivered"
rg_like "$(grep 'client=192.0.2.82 ' "$RUN/milter.log" | tail -1)" "helo=a{1024} " "the milter logs the HELO name cut to 1024 characters"

reload "reject_message = Your host [{client}] is listed in {lists}. $(printf 'Please ask your provider to secure it. %.0s' 1 2 3 4 5 6 7)See https://lists.example/{client}"
rg_is "$(send 192.0.2.6)" 24 "long reply text: RCPT rejected"
rg_ok "$(grep -q '^<\*\* *550-5.7.1 ' "$RUN/swaks.out" && grep -q '^<\*\* *550 5.7.1 .*lists.example/192.0.2.6' "$RUN/swaks.out"; echo $?)" \
	"long reply text: a multi-line 550 reply"

reload "dnsbl_action = tag"
rg_is "$(send 192.0.2.6 --header 'Subject: tagged-6' --header 'X-Relayguard: clean forged')" 0 "tag: listed client accepted"
f=$(rg_wait_sink 'tagged-6')
rg_ok $? "tag: message delivered"
rg_is "$(grep '^X-Relayguard:' "$f" 2>/dev/null)" \
	"X-Relayguard: listed action=tag score=3 lists=bl1.test,bl2.test host=mx.example" \
	"tag: exactly one X-Relayguard with the verdict (the forged one removed)"

reload "dnsbl_action = quarantine"
rg_is "$(send 192.0.2.5 --header 'Subject: held-5')" 0 "quarantine: listed client accepted"
for _ in $(seq 1 50); do
	[ -n "$(ls "$BASE/spool/hold" 2>/dev/null)" ] && break
	sleep 0.1
done
rg_ok "$([ -n "$(ls "$BASE/spool/hold" 2>/dev/null)" ]; echo $?)" "quarantine: the message is in the hold queue"

# SPF (tests/data/spf/spf.test.generic): 192.0.2.77 is listed nowhere
reload "spf = reject"
rg_is "$(send 192.0.2.77 --from u@exp.spf.test)" 23 "spf = reject: an SPF fail is refused at MAIL FROM (swaks exit 23)"
rg_ok "$(grep -qF '<** 550 5.7.1 SPF: You are not welcome here, 192.0.2.77. X-Injected: yes end' "$RUN/swaks.out"; echo $?)" \
	"spf = reject: 550 5.7.1 with the domain's explanation, on one line"
rg_is "$(send 192.0.2.77 --from u@pct.spfx.test)" 23 "spf = reject: an explanation with '%' is refused too"
rg_ok "$(grep -qF '<** 550 5.7.1 SPF: 100% refused: %s%n%d 192.0.2.77' "$RUN/swaks.out"; echo $?)" \
	"spf = reject: '%' in the explanation reaches the client as it is"
reload "spf = tag"
rg_is "$(send 192.0.2.77 --from u@pass.spf.test --header 'Subject: spf-pass-77' \
	--header 'Received-SPF: none (earlier.example: an earlier hop)')" 0 "spf = tag: an SPF pass is accepted"
f=$(rg_wait_sink 'spf-pass-77')
rg_ok $? "spf = tag: message delivered"
rg_like "$(grep '^Received-SPF:' "$f" 2>/dev/null | head -1)" \
	"^Received-SPF: pass \(mx.example: domain of u@pass.spf.test designates 192.0.2.77 as permitted sender\) client-ip=192.0.2.77;" \
	"spf = tag: our Received-SPF comes first"
rg_is "$(grep -c '^Received-SPF: none (earlier.example' "$f" 2>/dev/null)" 1 "spf = tag: the earlier hop's Received-SPF is kept"

# A DNS server that never answers: the milter gives up after dnsbl_timeout
# plus its margin and milter_error_action decides; Postfix never waits for
# its own milter timeouts (30 s in milter-main.cf.in)
BH_PORT=$(rg_free_port)
/usr/bin/python3 -c "import socket,time,sys; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(('127.0.0.1',int(sys.argv[1]))); time.sleep(900)" "$BH_PORT" &
rg_track $!
reload "dns_servers = 127.0.0.1:$BH_PORT" "dnsbl_timeout = 1s" "milter_error_action = tempfail"
t0=$(date +%s)
rg_is "$(send 192.0.2.80)" 24 "DNS silent, milter_error_action = tempfail: RCPT refused for now"
t1=$(date +%s)
rg_ok "$(grep -qF '<** 450 4.7.1 Service temporarily unavailable; please try again later' "$RUN/swaks.out"; echo $?)" \
	"DNS silent: 450 4.7.1 (tempfail_code, tempfail_dsn) with the milter's text"
rg_ok "$([ $((t1 - t0)) -le 10 ]; echo $?)" "DNS silent: the session ends in $((t1 - t0)) s, not at Postfix's 30 s milter timeout"
reload "dns_servers = 127.0.0.1:$BH_PORT" "dnsbl_timeout = 1s" "milter_error_action = accept"
rg_is "$(send 192.0.2.81 --header 'Subject: silent-dns-81')" 0 "DNS silent, milter_error_action = accept: the message is accepted"
rg_ok "$(rg_wait_sink 'silent-dns-81' >/dev/null; echo $?)" "DNS silent, accept: message delivered"

# milter_reject_stage = helo and a client that never says HELO (Postfix does
# not insist by default): the check runs at MAIL FROM instead
reload "milter_reject_stage = helo"
# nohelo ADDR: XCLIENT, then MAIL FROM at once; prints the reply to MAIL
nohelo() {
	/usr/bin/python3 - "$SMTP_PORT" "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
f = s.makefile("rb")
def reply():
    while True:
        line = f.readline().decode(errors="replace").rstrip("\r\n")
        if len(line) < 4 or line[3] != "-":
            return line
reply()
s.sendall(("XCLIENT ADDR=%s NAME=client.example\r\n" % sys.argv[2]).encode())
reply()
s.sendall(b"MAIL FROM:<s@example.org>\r\n")
print(reply())
s.sendall(b"QUIT\r\n")
PY
}
rg_like "$(nohelo 192.0.2.5)" "^550 5.7.1 Service unavailable; client \[192.0.2.5\] blocked using bl1.test" \
	"stage helo: a listed client that skips HELO is refused at MAIL FROM"
rg_like "$(nohelo 192.0.2.79)" "^250 " "stage helo: an unlisted client that skips HELO goes on"
rg_is "$(send 192.0.2.5)" 23 "stage helo: a listed client that says HELO is refused (Postfix answers at MAIL FROM: swaks exit 23)"

# milter_early_accept: the second connection of a client that passed is
# accepted at connect; Postfix then sends the milter nothing more for it
reload "milter_early_accept = yes"
rg_is "$(send 192.0.2.78 --header 'Subject: early-1')" 0 "early accept: unlisted client accepted"
rg_ok "$(rg_wait_sink 'early-1' >/dev/null; echo $?)" "early accept: first message delivered"
rg_is "$(send 192.0.2.78 --header 'Subject: early-2')" 0 "early accept: its next connection too"
rg_ok "$(rg_wait_sink 'early-2' >/dev/null; echo $?)" "early accept: second message delivered"
rg_like "$(cat "$RUN/milter.log")" "stage=connect milter=accept queue_id=NOQUEUE client=192.0.2.78 verdict=pass checked=lately" \
	"early accept: the second connection was accepted at connect"
rg_is "$(grep -c 'client=192.0.2.78 helo=' "$RUN/milter.log")" 1 "early accept: only the first connection was followed to RCPT"
rg_is "$(send 192.0.2.5)" 24 "early accept: a listed client is still refused"
rg_is "$(send 192.0.2.5)" 24 "early accept: ... at every connection"

# The milter does not see the messages of a connection it accepted early, so
# forged copies of its header are Postfix's to drop: header_checks run on
# what the client sent, before the milter adds its own header at the end
printf '%s\n' '/^X-Relayguard:/ IGNORE' >"$BASE/etc/relayguard_header_checks"
POSTCONF=$(command -v postconf || echo /usr/sbin/postconf)
"$POSTCONF" -c "$BASE/etc" -e "header_checks = regexp:$BASE/etc/relayguard_header_checks"
"$POSTFIX" -c "$BASE/etc" reload >/dev/null 2>&1
sleep 2
rg_is "$(send 192.0.2.78 --header 'Subject: early-3' --header 'X-Relayguard: clean forged')" 0 \
	"early accept + header_checks: the forged header's message accepted"
f=$(rg_wait_sink 'early-3')
rg_is "$(grep -c '^X-Relayguard:' "$f" 2>/dev/null)" 0 "early accept + header_checks: Postfix dropped the forged copy"
reload "milter_early_accept = yes" "dnsbl_action = tag"
rg_is "$(send 192.0.2.6 --header 'Subject: early-tag-6' --header 'X-Relayguard: clean forged')" 0 \
	"early accept + header_checks, tag: listed client accepted"
f=$(rg_wait_sink 'early-tag-6')
rg_is "$(grep '^X-Relayguard:' "$f" 2>/dev/null)" \
	"X-Relayguard: listed action=tag score=3 lists=bl1.test,bl2.test host=mx.example" \
	"early accept + header_checks, tag: exactly the milter's header survives"
"$POSTCONF" -c "$BASE/etc" -e "header_checks ="
"$POSTFIX" -c "$BASE/etc" reload >/dev/null 2>&1
sleep 2

grep -E '(warning|error|fatal):.*milter' "$BASE/maillog" >"$RUN/milter-warnings"
rg_ok "$([ ! -s "$RUN/milter-warnings" ]; echo $?)" "Postfix talked to the milter without warnings"
sed 's/^/# /' "$RUN/milter-warnings" | tail -10

# relayguard-ctl stats sees the running milter (one snapshot per generation)
sleep 1.2
out=$("$RG_TOP_BUILDDIR/ctl/relayguard-ctl" -c "$RUN/milter.conf" stats 2>&1)
rg_like "$out" "relayguard/milter\[$MILTER_PID\] snapshot" "stats: relayguard-ctl sees the running milter"
rg_like "$out" "bl1.test +dnsbl +[1-9]" "stats: the milter's DNS queries per zone"

# SIGTERM: libmilter's listener polls for 5 s between looks at its stop
# flag; the milter wakes it, so an idle milter is gone within a moment
kill -TERM "$MILTER_PID"
for _ in $(seq 1 30); do
	kill -0 "$MILTER_PID" 2>/dev/null || break
	sleep 0.1
done
rg_ok "$(! kill -0 "$MILTER_PID" 2>/dev/null; echo $?)" "SIGTERM: the milter exits within 3 s (libmilter alone: up to 5 s)"
wait "$MILTER_PID"
rg_is "$?" 0 "SIGTERM: exit status 0"
rg_done
