#!/bin/sh
# quickstart_demo.sh - the DEMO configuration of `./quickstart.sh run`
# (conf/demo, rendered by conf/demo/render.sh as the quick start does) on
# free loopback ports: the real policy server and the real milter (driven by
# miltertest) refuse a listed documentation address and pass an unlisted one,
# the commands the quick start prints say the same, and the compiled-in
# defaults (no configuration) still check nothing.  Prints TAP.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
rg_require miltertest python3
POLICYD="$RG_TOP_BUILDDIR/policy/relayguard-policyd"
MILTER="$RG_TOP_BUILDDIR/milter/relayguard-milter"
CTL="$RG_TOP_BUILDDIR/ctl/relayguard-ctl"
ASK="/usr/bin/python3 $RG_TOP_SRCDIR/tests/integration/policy_client.py ask"
LISTED=192.0.2.1
UNLISTED=198.51.100.7

P_PORT=$(rg_free_port)
M_PORT=$(rg_free_port)
while [ "$M_PORT" = "$P_PORT" ]; do M_PORT=$(rg_free_port); done
CONF=$("$RG_TOP_SRCDIR/conf/demo/render.sh" "$RUN/demo" "$P_PORT" "$M_PORT") ||
	rg_bail "conf/demo/render.sh failed"
rg_is "$CONF" "$RUN/demo/relayguard-demo.conf" "render.sh prints the path of the configuration it wrote"
rg_like "$(head -n 1 "$CONF")" "DEMO .*NOT for a mail server" "the configuration says it is a demo on its first line"
"$CTL" -c "$CONF" check-config >"$RUN/check-config.out" 2>&1
rg_ok $? "relayguard-ctl check-config accepts the demo configuration"

"$MILTER" -f -c "$CONF" 2>"$RUN/milter.log" &
rg_track $!
"$POLICYD" -f -c "$CONF" 2>"$RUN/policyd.log" &
rg_track $!
rg_wait_port "$P_PORT" || rg_bail "relayguard-policyd did not listen: $(cat "$RUN/policyd.log")"
rg_wait_port "$M_PORT" || rg_bail "relayguard-milter did not listen: $(cat "$RUN/milter.log")"

ask() { $ASK "$P_PORT" request=smtpd_access_policy protocol_state=RCPT "client_address=$1"; }
rg_like "$(ask $LISTED)" "^action=550 5\.7\.1 .*\[$LISTED\] blocked using relayguard-DEMO-list: DEMO listing" \
	"policy server: the listed documentation address is refused, the reply names the DEMO list"
rg_is "$(ask $UNLISTED)" "action=DUNNO" "policy server: the unlisted documentation address passes"
rg_like "$(ask 203.0.113.9)" "^action=550 " "policy server: the second listed range (203.0.113.0/24) is refused too"
rg_like "$(cat "$RUN/policyd.log")" "client=$LISTED verdict=reject score=1 lists=relayguard-DEMO-list" \
	"the refusal is logged with the demo list's name"
rg_like "$(cat "$RUN/policyd.log")" "client=$UNLISTED verdict=pass" "the pass is logged"

mt() {
	miltertest -s "$RG_TOP_SRCDIR/tests/data/demo/demo.lua" -D "DIR=$RG_TOP_SRCDIR/tests/data/demo" \
		-D "PORT=$M_PORT" -D "IP=$1" -D "WANT=$2" >"$RUN/mt.out" 2>&1
	_rc=$?
	[ $_rc -eq 0 ] || sed 's/^/# /' "$RUN/mt.out"
	return $_rc
}
mt $LISTED reject
rg_ok $? "milter: the listed documentation address is refused at RCPT"
mt $UNLISTED pass
rg_ok $? "milter: the unlisted documentation address passes"

# The explanation command the quick start prints.
out=$("$CTL" -c "$CONF" check $LISTED); rc=$?
rg_is "$rc" 1 "relayguard-ctl check $LISTED: listed (exit status 1)"
rg_like "$out" "^demo +file +listed " "... and the explanation names the demo file list"
"$CTL" -c "$CONF" check $UNLISTED >/dev/null
rg_is "$?" 0 "relayguard-ctl check $UNLISTED: not listed (exit status 0)"

# The production default is untouched: with no settings nothing is listed.
: >"$RUN/empty.conf"
out=$("$CTL" -c "$RUN/empty.conf" check $LISTED); rc=$?
rg_is "$rc" 0 "the compiled-in defaults (an empty file) do not refuse $LISTED: the demo list is only in the demo file"

# Run files stay in the demo's own folder.
rg_ok "$([ -s "$RUN/demo/relayguard-policyd.pid" ] && [ -s "$RUN/demo/relayguard-milter.pid" ] && echo 0 || echo 1)" \
	"the pid files are written in the demo's folder, not under /run"
rg_done
