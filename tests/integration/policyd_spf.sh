#!/bin/sh
# policyd_spf.sh - SPF in relayguard-policyd (spf = reject | tag) with the
# SPF records served by a real rbldnsd zone through dns_servers.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
rg_require rbldnsd
[ -n "$PY" ] || rg_require python3
POLICYD="$RG_TOP_BUILDDIR/policy/relayguard-policyd"
[ -x "$POLICYD" ] || rg_bail "$POLICYD not built"

cp "$RG_TOP_SRCDIR"/tests/data/rbldnsd/test.bl.* "$RG_TOP_SRCDIR"/tests/data/spf/spf.test.generic "$RUN/"
DNS_PORT=$(rg_free_port)
rg_start_rbldnsd "$DNS_PORT" test.bl:generic:test.bl.common test.bl:ip4set:test.bl.ip4set \
	spf.test:generic:spf.test.generic

# start_policyd SPF_MODE: a daemon on a fresh port; sets PORT
start_policyd() {
	PORT=$(rg_free_port)
	cat >"$RUN/policyd-$1.conf" <<CONF
allow_root = yes
dns_servers = 127.0.0.1:$DNS_PORT
dnsbl_sites = test.bl
dnsbl_timeout = 3s
dnsbl_probe_interval = 0
myhostname = mx.example
spf = $1
report_enable = no
policy_listen = inet:$PORT@127.0.0.1
policy_pidfile = $RUN/policyd-$1.pid
policy_workers = 1
stats_dir = $RUN/stats
stats_history_dir = $RUN/history
CONF
	"$POLICYD" -f -c "$RUN/policyd-$1.conf" 2>"$RUN/policyd-$1.log" &
	rg_track $!
	rg_wait_port "$PORT" || rg_bail "relayguard-policyd did not start: $(cat "$RUN/policyd-$1.log")"
}
ask() { $CLIENT ask "$PORT" protocol_state=RCPT protocol_name=ESMTP helo_name=client.example "$@"; }

start_policyd reject
rg_like "$(ask client_address=192.0.2.77 sender=u@fail.spf.test instance=r1)" \
	"^action=550 5.7.1 SPF: " "spf = reject: an SPF fail is refused with 550 5.7.1"
out=$(ask client_address=192.0.2.77 sender=u@exp.spf.test instance=r2)
rg_like "$out" "^action=550 5.7.1 SPF: You are not welcome here, 192.0.2.77" "the domain's exp= explanation is the reply text"
rg_ok "$(printf '%s' "$out" | grep -c 'X-Injected' | grep -qx 1; echo $?)" "its text stays on the reply line"
rg_ok "$(printf '%s\n' "$out" | wc -l | grep -qx 1; echo $?)" "no CR/LF from the TXT record reaches the reply"
rg_like "$(ask client_address=192.0.2.77 sender=u@pass.spf.test instance=r3)" \
	"^action=PREPEND Received-SPF: pass \(.*client-ip=192.0.2.77;.*envelope-from=.?u@pass.spf.test.?;" \
	"an SPF pass gets a Received-SPF header"
rg_like "$(ask client_address=192.0.2.5 sender=u@pass.spf.test instance=r4)" \
	"^action=550 5.7.1 Service unavailable; client \[192.0.2.5\] blocked using test.bl" \
	"a listed client is refused by the list, not by SPF"
rg_is "$(ask client_address=192.0.2.77 sender=u@fail.spf.test instance=r5 sasl_username=alice)" \
	"action=DUNNO" "an authenticated client is not SPF-checked"
rg_is "$($CLIENT ask "$PORT" protocol_state=CONNECT client_address=192.0.2.77 sender= instance=r6)" \
	"action=DUNNO" "no SPF at CONNECT"
rg_like "$(grep -c 'spf=fail' "$RUN/policyd-reject.log")" "^[2-9]" "the SPF result is in the decision log line"

start_policyd tag
rg_like "$(ask client_address=192.0.2.77 sender=u@fail.spf.test instance=t1)" \
	"^action=PREPEND Received-SPF: fail " "spf = tag: an SPF fail is only recorded"
rg_like "$(ask client_address=192.0.2.77 sender=u@softfail.spf.test instance=t2)" \
	"^action=PREPEND Received-SPF: softfail " "softfail recorded"
rg_done
