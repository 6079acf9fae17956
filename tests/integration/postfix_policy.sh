#!/bin/sh
# postfix_policy.sh - a private Postfix instance with check_policy_service
# pointing at relayguard-policyd (real rbldnsd behind it), smtp-sink as the
# next hop, swaks with XCLIENT to make Postfix see any client address.
#
# XCLIENT cannot simulate SASL authentication: the "authenticated client
# passes" case is covered in policyd.sh with sasl_username in the request.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
rg_require rbldnsd postfix swaks smtp-sink
if [ "$(id -u)" != 0 ]; then
	[ -n "${CI:-}" ] && rg_bail "Postfix needs root (CI runs as root)"
	rg_skip_all "Postfix needs root"
fi
POLICYD="$RG_TOP_BUILDDIR/policy/relayguard-policyd"
[ -x "$POLICYD" ] || rg_bail "$POLICYD not built"

cp "$RG_TOP_SRCDIR"/tests/data/rbldnsd/test.bl.* "$RG_TOP_SRCDIR"/tests/data/spf/spf.test.generic "$RUN/"
DNS_PORT=$(rg_free_port)
rg_start_rbldnsd "$DNS_PORT" test.bl:generic:test.bl.common test.bl:ip4set:test.bl.ip4set \
	spf.test:generic:spf.test.generic
POLICY_PORT=$(rg_free_port)
SMTP_PORT=$(rg_free_port)
SINK_PORT=$(rg_free_port)

write_conf() {
	cat >"$RUN/policyd.conf" <<CONF
allow_root = yes
dns_servers = 127.0.0.1:$DNS_PORT
dnsbl_sites = test.bl
dnsbl_timeout = 3s
dnsbl_probe_interval = 0
dnsbl_action = $1
cache_size = 0
report_enable = no
report_spool = $RUN/spool
stats_dir = $RUN/stats
stats_history_dir = $RUN/history
policy_listen = inet:$POLICY_PORT@127.0.0.1
policy_pidfile = $RUN/policyd.pid
policy_workers = 1
myhostname = mx.example
${2:-}
CONF
}
write_conf reject
"$POLICYD" -f -c "$RUN/policyd.conf" 2>"$RUN/policyd.log" &
POLICYD_PID=$!
rg_track "$POLICYD_PID"
rg_wait_port "$POLICY_PORT" || rg_bail "relayguard-policyd did not start: $(cat "$RUN/policyd.log")"

rg_start_sink

# the Postfix instance; stopped on exit before the generic cleanup
rg_start_postfix main.cf.in

# send ADDR TO [swaks args...]: prints swaks' exit status; transcript in $RUN/swaks.out
send() {
	_addr=$1; _to=$2; shift 2
	swaks --server 127.0.0.1 --port "$SMTP_PORT" --helo client.example --from s@example.org \
		--to "$_to" --xclient "ADDR=$_addr NAME=client.example" "$@" >"$RUN/swaks.out" 2>&1
	echo $?
}

rg_is "$(send 192.0.2.5 r@example.net)" 24 "listed client: every RCPT rejected (swaks exit 24)"
rg_ok "$(grep -qF '550 5.7.1 <r@example.net>: Recipient address rejected: Service unavailable; client [192.0.2.5] blocked using test.bl: Listed in test.bl, see http://test.bl/lookup?ip=192.0.2.5' "$RUN/swaks.out"; echo $?)" \
	"listed client: 550 5.7.1 with the documented text"

rg_is "$(send 192.0.2.77 r@example.net --header 'Subject: unlisted-77')" 0 "unlisted client accepted"
rg_ok "$(rg_wait_sink 'unlisted-77' >/dev/null; echo $?)" "unlisted client: message delivered to the sink"

TO=$(seq -f 'r%g@example.net' 1 50 | paste -sd, -)
rg_is "$(send 192.0.2.80 "$TO" --header 'Subject: fifty')" 0 "50 recipients from an unlisted client accepted"
rg_ok "$(rg_wait_sink 'fifty' >/dev/null; echo $?)" "50 recipients: delivered"
rg_is "$(grep 'client=192.0.2.80' "$RUN/policyd.log" | grep -c 'verdict=')" 1 "50 recipients: one check"
rg_is "$(grep -cw '80\.2\.0\.192\.test\.bl' "$RUN/rbldnsd.log")" \
	"$(grep -cw '77\.2\.0\.192\.test\.bl' "$RUN/rbldnsd.log")" "50 recipients: the DNS queries of one check"

write_conf tag
kill -HUP "$POLICYD_PID"
sleep 1
rg_is "$(send 192.0.2.6 r@example.net --header 'Subject: tagged-6')" 0 "tag mode: listed client accepted"
f=$(rg_wait_sink 'tagged-6')
rg_ok "$(grep -q '^X-Relayguard: listed action=tag score=1 lists=test.bl' "$f" 2>/dev/null; echo $?)" \
	"tag mode: delivered message carries X-Relayguard"

# quarantine: HOLD with the reason rendered (every field filled), through Postfix.
write_conf quarantine "quarantine_reason = held [{client}] in {lists} code={code} txt={txt} from={sender_domain} by={host}"
kill -HUP "$POLICYD_PID"
sleep 1
rg_is "$(send 192.0.2.5 r@example.net --header 'Subject: held-5')" 0 "quarantine: listed client accepted (HOLD)"
REASON="held [192.0.2.5] in test.bl code=127.0.0.2 txt=Listed in test.bl, see http://test.bl/lookup?ip=192.0.2.5 from=example.org by=mx.example"
held=""
for _ in $(seq 1 100); do
	held=$(postqueue -c "$BASE/etc" -j 2>/dev/null | grep '"queue_name": *"hold"')
	[ -n "$held" ] && break
	sleep 0.1
done
rg_like "$held" '"recipients": *\[\{"address": *"r@example.net"' "quarantine: the message is in Postfix's hold queue"
hold_line=$(grep ' hold: ' "$BASE/maillog" | tail -1)
echo "# Postfix: $hold_line"
case "$hold_line" in
*" hold: RCPT from "*"[192.0.2.5]: <r@example.net>: Recipient address $REASON; from=<s@example.org> to=<r@example.net> "*) r=0 ;;
*) r=1 ;;
esac
rg_ok $r "quarantine: Postfix logs the reason with every field filled"
! grep ' hold: ' "$BASE/maillog" | grep -q '{'
rg_ok $? "quarantine: no template field is left raw in Postfix's log"

# SPF through the same resolver settings, records served by the local zone.
write_conf reject "spf = reject"
kill -HUP "$POLICYD_PID"
sleep 1
_spf=$(swaks --server 127.0.0.1 --port "$SMTP_PORT" --helo client.example --from u@fail.spf.test \
	--to r@example.net --xclient "ADDR=192.0.2.77 NAME=client.example" >"$RUN/swaks.out" 2>&1; echo $?)
rg_is "$_spf" 24 "spf = reject: a sender whose SPF fails is refused (swaks exit 24)"
rg_ok "$(grep -q '550 5.7.1 <r@example.net>: Recipient address rejected: SPF: ' "$RUN/swaks.out"; echo $?)" \
	"spf = reject: 550 5.7.1 with the SPF text"
write_conf reject "spf = tag"
kill -HUP "$POLICYD_PID"
sleep 1
_spf=$(swaks --server 127.0.0.1 --port "$SMTP_PORT" --helo client.example --from u@pass.spf.test \
	--to r@example.net --xclient "ADDR=192.0.2.77 NAME=client.example" \
	--header 'Subject: spf-tagged' >"$RUN/swaks.out" 2>&1; echo $?)
rg_is "$_spf" 0 "spf = tag: an SPF pass is accepted"
f=$(rg_wait_sink 'spf-tagged')
rg_ok "$(grep -q '^Received-SPF: pass (' "$f" 2>/dev/null; echo $?)" \
	"spf = tag: the delivered message carries Received-SPF: pass"

rg_ok "$(grep -q 'problem talking to server' "$BASE/maillog"; [ $? -ne 0 ]; echo $?)" \
	"Postfix talked to the policy server without protocol warnings"
rg_done
