#!/bin/sh
# relayguard-probe against real hosts in the test's own network namespace
# (issue 17): a Postfix open relay and the same Postfix configured
# correctly, an open HTTP proxy (tinyproxy), an open SOCKS proxy (dante),
# a closed proxy (tinyproxy refusing us), a host with nothing listening,
# and an address outside probe_allowed_targets with a listener that
# records every connection.  Everything runs inside `unshare -n`: the
# addresses below exist only there and nothing can leave the machine.
#
#   198.51.100.10  the probe's canary (probe_canary = 198.51.100.10:2525)
#   198.51.100.25  Postfix, open relay          198.51.100.26  Postfix, closed
#   198.51.100.27  Postfix, accepts relay recipients, then discards the mail
#   198.51.100.31  tinyproxy, open              198.51.100.32  danted, open
#   198.51.100.33  tinyproxy, closed            198.51.100.40  nothing
#   2001:db8:100::26  Postfix, closed, over IPv6; 2001:db8:100::40 nothing
#   198.51.100.34  danted, open, SOCKS5 only    198.51.100.35  tinyproxy, open, CONNECT to 443 only
#   198.51.100.50  hostile: endless SMTP reply, endless HTTP header
#   203.0.113.9    outside probe_allowed_targets: a recording listener

if [ -z "${RG_PROBE_NETNS:-}" ]; then
	if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null 2>&1; then
		[ -n "${CI:-}" ] && { echo "Bail out! needs root and unshare"; exit 1; }
		echo "1..0 # SKIP needs root and unshare (a private network namespace)"
		exit 0
	fi
	RG_PROBE_NETNS=1 exec unshare -n -- /bin/sh "$0" "$@"
fi

. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
rg_require postfix tinyproxy danted ip
PROBE="$RG_TOP_BUILDDIR/probe/relayguard-probe"
PY=/usr/bin/python3
DATA="$RG_TOP_SRCDIR/tests/data/probe"

ip link set lo up || rg_bail "cannot bring lo up in the namespace"
for a in 198.51.100.10 198.51.100.25 198.51.100.26 198.51.100.27 198.51.100.31 198.51.100.32 198.51.100.33 \
	198.51.100.34 198.51.100.35 \
	198.51.100.40 198.51.100.50 203.0.113.9; do
	ip addr add "$a/32" dev lo || rg_bail "cannot add $a"
done
ip -6 addr add 2001:db8:100::26/128 dev lo nodad || rg_bail "cannot add 2001:db8:100::26"
ip -6 addr add 2001:db8:100::40/128 dev lo nodad || rg_bail "cannot add 2001:db8:100::40"

# --- the hosts -----------------------------------------------------------
SMTP_PORT=25
mkdir -p "$RUN/tests/data/postfix"
cp "$DATA/main.cf.in" "$DATA/master.cf.in" "$RUN/tests/data/postfix/"
RG_TOP_SRCDIR_SAVED=$RG_TOP_SRCDIR
RG_TOP_SRCDIR=$RUN rg_start_postfix main.cf.in
RG_TOP_SRCDIR=$RG_TOP_SRCDIR_SAVED
ss -Hltn "sport = :25" | grep -q 198.51.100.26 || rg_bail "Postfix does not listen on 198.51.100.26:25"

start_tinyproxy() {	# NAME ADDRESS [EXTRA LINE]
	_d="$RUN/$1"
	mkdir -p "$_d" && chmod 1777 "${_d:?}"
	sed -e "s|@ADDR@|$2|g" -e "s|@DIR@|$_d|g" -e "s|@NAME@|$1|g" "$DATA/tinyproxy.conf.in" >"$_d/tinyproxy.conf"
	[ -n "${3:-}" ] && echo "$3" >>"$_d/tinyproxy.conf"
	tinyproxy -d -c "$_d/tinyproxy.conf" >"$_d/stdout" 2>&1 &
	rg_track $!
}
start_tinyproxy tp-open 198.51.100.31
start_tinyproxy tp-closed 198.51.100.33 "Allow 127.0.0.1"
start_tinyproxy tp-noconnect 198.51.100.35 "ConnectPort 443"
DANTED=$(command -v danted || echo /usr/sbin/danted)
start_dante() {	# NAME ADDRESS PROTOCOLS
	_d="$RUN/$1"
	mkdir -p "$_d" && chmod 1777 "${_d:?}"
	sed -e "s|@DIR@|$_d|g" -e "s|@ADDR@|$2|g" -e "s|@PROTO@|$3|g" "$DATA/danted.conf.in" >"$_d/danted.conf"
	"$DANTED" -f "$_d/danted.conf" -p "$_d/danted.pid" -N 1 >"$_d/stdout" 2>&1 &
	rg_track $!
}
start_dante dante 198.51.100.32 "socks_v4 socks_v5"
start_dante dante5 198.51.100.34 socks_v5
OUTSIDE_PORTS="25 587 1080 3128 8080"
: >"$RUN/outside.record"
$PY "$RG_TOP_SRCDIR/tests/integration/probe_listener.py" 203.0.113.9 "$RUN/outside.record" $OUTSIDE_PORTS \
	>"$RUN/outside.out" 2>&1 &
rg_track $!
$PY "$RG_TOP_SRCDIR/tests/integration/probe_hostile.py" 198.51.100.50 >"$RUN/hostile.out" 2>&1 &
rg_track $!
wait_listen() { for _ in $(seq 1 100); do ss -Hltn | grep -q "$1" && return 0; sleep 0.1; done; return 1; }
wait_listen 198.51.100.31:3128 || rg_bail "tinyproxy (open) did not start: $(cat "$RUN/tp-open/stdout")"
wait_listen 198.51.100.33:3128 || rg_bail "tinyproxy (closed) did not start: $(cat "$RUN/tp-closed/stdout")"
wait_listen 198.51.100.32:1080 || rg_bail "danted did not start: $(cat "$RUN/dante/stdout" "$RUN/dante/danted.log")"
wait_listen 198.51.100.34:1080 || rg_bail "danted (SOCKS5) did not start: $(cat "$RUN/dante5/stdout" "$RUN/dante5/danted.log")"
wait_listen 198.51.100.35:3128 || rg_bail "tinyproxy (no CONNECT) did not start: $(cat "$RUN/tp-noconnect/stdout")"
wait_listen 198.51.100.50:3128 || rg_bail "the hostile host did not start: $(cat "$RUN/hostile.out")"
wait_listen 203.0.113.9:8080 || rg_bail "the recording listener did not start: $(cat "$RUN/outside.out")"

# --- the probe's configuration -----------------------------------------------
cat >"$RUN/probe.conf" <<CONF
myhostname = prober.probe-test.example
probe_allowed_targets = 198.51.100.0/24, 2001:db8:100::/48
probe_canary = 198.51.100.10:2525
probe_canary_domain = canary.probe-test.example
probe_state_dir = $RUN/probe-state
probe_host_interval = 0
probe_network_rate = 100
probe_canary_wait = 15s
probe_connect_timeout = 5s
probe_read_timeout = 15s
CONF

# summary FILE: "ADDRESS RESULT RELAY PROXY CACHED" per JSON line
summary() {
	$PY -c '
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    print(o["address"], o["result"], o.get("relay", "-"), o.get("proxy", "-"), o.get("cached", "-"))
' "$1"
}
field() {	# field FILE ADDRESS KEY
	$PY -c '
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o["address"] == sys.argv[2]:
        print(o.get(sys.argv[3], ""))
' "$1" "$2" "$3"
}
# wait_log REGEX: postlogd writes asynchronously; wait up to 20 s for a line.
wait_log() {
	for _ in $(seq 1 200); do
		grep -Eq -- "$1" "$BASE/maillog" && return 0
		sleep 0.1
	done
	return 1
}
TARGETS="198.51.100.25 198.51.100.26 198.51.100.31 198.51.100.32 198.51.100.33 198.51.100.34 198.51.100.35
	198.51.100.40"

# --- 1. rcpt mode: every kind of host ---------------------------------------
"$PROBE" -c "$RUN/probe.conf" --json --mode rcpt $TARGETS >"$RUN/rcpt.json" 2>"$RUN/rcpt.err"
rc=$?
rg_is "$rc" 1 "rcpt mode: exit 1 (an open proxy confirmed)"
rg_is "$(summary "$RUN/rcpt.json")" "198.51.100.25 relay-recipient-accepted accepted no-service False
198.51.100.26 closed closed no-service False
198.51.100.31 open-proxy no-service confirmed False
198.51.100.32 open-proxy no-service confirmed False
198.51.100.33 closed no-service closed False
198.51.100.34 open-proxy no-service confirmed False
198.51.100.35 open-proxy no-service confirmed False
198.51.100.40 no-service no-service no-service False" "rcpt mode: each host classified"
rg_like "$(field "$RUN/rcpt.json" 198.51.100.25 relay_detail)" "rcpt mode: no message was sent" \
	"rcpt mode: the open relay's detail says it is weaker evidence"
ev=$(field "$RUN/rcpt.json" 198.51.100.25 evidence)
rg_like "$ev" "> RCPT TO:<rgprobe-[0-9a-f]{16}@canary.probe-test.example>" "the transcript keeps the RCPT"
rg_like "$ev" "< 250 2.1.5 Ok" "the transcript keeps the 250"
rg_ok "$(printf '%s' "$ev" | grep -c '^> DATA' | grep -qx 0; echo $?)" "rcpt mode: DATA never sent"
rg_like "$(field "$RUN/rcpt.json" 198.51.100.26 evidence)" "< 554 5.7.1 .*Relay access denied" \
	"the closed relay's refusal is in its transcript"
rg_like "$(field "$RUN/rcpt.json" 198.51.100.31 proxy_detail)" "^port 3128, http-connect: the canary received token" \
	"tinyproxy confirmed by CONNECT"
rg_like "$(field "$RUN/rcpt.json" 198.51.100.32 proxy_detail)" "^port 1080, socks4: the canary received token" \
	"dante confirmed by SOCKS4"
rg_like "$(field "$RUN/rcpt.json" 198.51.100.34 proxy_detail)" "^port 1080, socks5: the canary received token" \
	"dante without SOCKS4 confirmed by SOCKS5"
rg_like "$(field "$RUN/rcpt.json" 198.51.100.35 proxy_detail)" "^port 3128, http-get: the canary received token" \
	"tinyproxy refusing CONNECT confirmed by GET http://"
rg_like "$(field "$RUN/rcpt.json" 198.51.100.35 evidence)" "> CONNECT 198.51.100.10:2525 HTTP/1.0" \
	"the refused CONNECT is in its evidence"
rg_like "$(field "$RUN/rcpt.json" 198.51.100.33 evidence)" "< HTTP/1.0 403" "the closed proxy answered 403"
wait_log 'postfix-open/smtpd.*disconnect from'
rg_ok "$(grep -c 'message-id=' "$BASE/maillog" | grep -qx 0; echo $?)" "rcpt mode: the open relay queued no message"
rg_like "$(postqueue -c "$BASE/etc" -p 2>&1)" "Mail queue is empty" "rcpt mode: the open relay's queue is empty"
rg_like "$(grep 'postfix-open/smtpd.*disconnect from' "$BASE/maillog")" "rcpt=1 rset=1 quit=1" \
	"rcpt mode: the open relay saw RCPT, RSET, QUIT and no DATA"

# --- 1b. IPv6 targets ---------------------------------------------------------------------------
"$PROBE" -c "$RUN/probe.conf" --json --mode rcpt 2001:db8:100::26 2001:db8:100::40 >"$RUN/v6.json" 2>"$RUN/v6.err"
rg_is "$(summary "$RUN/v6.json")" "2001:db8:100::26 closed closed no-service False
2001:db8:100::40 no-service no-service no-service False" "IPv6: a closed relay and an empty host"
rg_like "$(field "$RUN/v6.json" 2001:db8:100::26 evidence)" \
	"> RCPT TO:<rgprobe-[0-9a-f]{16}%canary.probe-test.example@\[IPv6:2001:db8:100::26\]>" \
	"IPv6: the forms carry an IPv6 address literal"
wait_log 'postfix-closed6/smtpd.*disconnect'
rg_like "$(grep 'postfix-closed6/smtpd.*disconnect' "$BASE/maillog")" "rcpt=0/5" "IPv6: Postfix refused the five forms"

# --- 2. deliver mode: the relays ---------------------------------------------
"$PROBE" -c "$RUN/probe.conf" --json --force --mode deliver 198.51.100.25 198.51.100.26 \
	>"$RUN/deliver.json" 2>"$RUN/deliver.err"
rc=$?
rg_is "$rc" 1 "deliver mode: exit 1 (an open relay confirmed)"
rg_is "$(summary "$RUN/deliver.json")" "198.51.100.25 open-relay confirmed no-service False
198.51.100.26 closed closed no-service False" "deliver mode: the open relay confirmed, the closed one closed"
rg_like "$(field "$RUN/deliver.json" 198.51.100.25 relay_detail)" \
	"^port 25, form plain: the canary received token rgprobe-[0-9a-f]{16} from 198.51.100.25$" \
	"deliver mode: the canary got the token from the relay itself"
wait_log 'postfix-rg-probe/smtp\[.*status=sent'
rg_like "$(grep 'postfix-rg-probe/smtp\[' "$BASE/maillog")" "relay=198.51.100.10\[198.51.100.10\]:2525.*status=sent" \
	"deliver mode: Postfix delivered to the canary, nowhere else"
rg_is "$(grep -c 'status=' "$BASE/maillog")" 1 "deliver mode: one message, delivered once, nothing left to retry"
rg_is "$(grep -c 'message-id=' "$BASE/maillog")" 1 "deliver mode: the open relay queued exactly one message"

sed -e 's/^probe_canary_wait = .*/probe_canary_wait = 3s/' "$RUN/probe.conf" >"$RUN/short.conf"
"$PROBE" -c "$RUN/short.conf" --json --force --mode deliver 198.51.100.27 >"$RUN/discard.json" 2>"$RUN/discard.err"
rc=$?
rg_is "$rc" 2 "deliver mode, a relay that discards: exit 2 (accepted, not confirmed)"
rg_is "$(summary "$RUN/discard.json")" "198.51.100.27 relay-recipient-accepted accepted no-service False" \
	"deliver mode: accepted but never seen by the canary is not confirmed"
rg_like "$(field "$RUN/discard.json" 198.51.100.27 relay_detail)" "the canary received no token$" "and it says so"

# --- 3. the stored result -------------------------------------------------------
"$PROBE" -c "$RUN/probe.conf" --json 198.51.100.26 >"$RUN/cached.json" 2>"$RUN/cached.err"
rg_is "$(summary "$RUN/cached.json")" "198.51.100.26 closed closed no-service True" "a fresh stored result is reused"
"$PROBE" -c "$RUN/probe.conf" --evidence 198.51.100.25 >"$RUN/human.txt" 2>&1
rg_like "$(head -1 "$RUN/human.txt")" "^198.51.100.25: open-relay \(stored result of 20[0-9-]+T[0-9:]+Z, deliver mode\)$" \
	"human output: the stored deliver-mode result"
rg_like "$(cat "$RUN/human.txt")" "    # canary received rgprobe-" "human output: --evidence prints the transcript"

CTL="$RG_TOP_BUILDDIR/ctl/relayguard-ctl"
"$CTL" -c "$RUN/probe.conf" probe 198.51.100.25 >"$RUN/ctl.txt" 2>&1
rc=$?
rg_is "$rc" 0 "relayguard-ctl probe: a stored result is shown"
rg_like "$(head -4 "$RUN/ctl.txt" | tr '\n' '|')" \
	"^198.51.100.25: open-relay\|  probed: 20[0-9-]+T[0-9:]+Z \([0-9]+s ago\), deliver mode\|  relay: confirmed: port 25, form plain: the canary received token rgprobe-[0-9a-f]{16} from 198.51.100.25\|  proxy: no-service" \
	"relayguard-ctl probe: the verdicts"
rg_like "$(cat "$RUN/ctl.txt")" "    > DATA" "relayguard-ctl probe: the transcript of deliver mode, DATA included"
"$CTL" -c "$RUN/probe.conf" probe 198.51.100.99 >"$RUN/ctl-none.txt" 2>&1
rc=$?
rg_is "$rc" 1 "relayguard-ctl probe: exit 1 for a host never probed"
rg_like "$(cat "$RUN/ctl-none.txt")" "no stored result for 198.51.100.99" "and it says so"

# --- 3b. results in Redis when redis_server is set ---------------------------------------
REDIS_PORT=$(rg_free_port)
rg_start_redis "$REDIS_PORT"
sed -e "s|^probe_state_dir = .*|probe_state_dir = $RUN/probe-state-redis|" "$RUN/probe.conf" >"$RUN/redis.conf"
printf 'redis_server = 127.0.0.1:%s\nredis_prefix = rgt:\nprobe_ttl = 2h\n' "$REDIS_PORT" >>"$RUN/redis.conf"
"$PROBE" -c "$RUN/redis.conf" --json --mode rcpt 198.51.100.26 >"$RUN/redis.json" 2>"$RUN/redis.err"
rg_is "$(summary "$RUN/redis.json")" "198.51.100.26 closed closed no-service False" "redis: probed (not the file's result)"
rg_like "$(redis-cli -p "$REDIS_PORT" GET rgt:{probe}:198.51.100.26 | head -5 | tr '\n' '|')" \
	"^relayguard-probe 1\|address 198.51.100.26\|time [0-9]+\|mode rcpt\|relay closed\|" "redis: the result is stored under redis_prefix {probe}:ADDRESS"
ttl=$(redis-cli -p "$REDIS_PORT" TTL rgt:{probe}:198.51.100.26)
rg_ok "$([ "$ttl" -gt 7000 ] && [ "$ttl" -le 7200 ]; echo $?)" "redis: the key expires after probe_ttl (TTL $ttl)"
rg_ok "$([ ! -e "$RUN/probe-state-redis/results/198.51.100.26" ]; echo $?)" "redis: no result file when Redis holds it"
"$PROBE" -c "$RUN/redis.conf" --json 198.51.100.26 >"$RUN/redis2.json" 2>"$RUN/redis2.err"
rg_is "$(summary "$RUN/redis2.json")" "198.51.100.26 closed closed no-service True" "redis: the stored result is reused"
rg_like "$("$CTL" -c "$RUN/redis.conf" probe 198.51.100.26 2>&1 | head -1)" "^198.51.100.26: closed$" \
	"redis: relayguard-ctl probe reads it from Redis"

# --- 4. the gate: outside probe_allowed_targets, nothing is sent --------------------
"$PROBE" -c "$RUN/probe.conf" --force 203.0.113.9 >"$RUN/outside.txt" 2>&1
rc=$?
rg_is "$rc" 3 "an address outside probe_allowed_targets: exit 3"
rg_is "$(cat "$RUN/outside.txt" | grep -v 'relayguard-probe\[')" \
	"203.0.113.9: refused: outside probe_allowed_targets: not contacted" "it says why"
"$PROBE" -c "$RUN/probe.conf" --json 198.51.100.999 >"$RUN/badaddr.json" 2>/dev/null
rc=$?
rg_is "$rc:$(cat "$RUN/badaddr.json")" '3:{"address":"198.51.100.999","result":"refused","reason":"not an IP address"}' \
	"not an IP address: refused, exit 3, valid JSON"
"$PROBE" -c "$RUN/probe.conf" >/dev/null 2>&1
rg_is "$?" 64 "no address: usage error, exit 64"
"$PROBE" -c "$RUN/probe.conf" --mode relay 198.51.100.40 >/dev/null 2>&1
rg_is "$?" 64 "--mode relay: usage error, exit 64"
grep -v probe_allowed_targets "$RUN/probe.conf" >"$RUN/unset.conf"
"$PROBE" -c "$RUN/unset.conf" 203.0.113.9 198.51.100.25 >"$RUN/unset.txt" 2>&1
rc=$?
rg_is "$rc" 78 "probe_allowed_targets unset: exit 78"
rg_like "$(cat "$RUN/unset.txt")" "probe_allowed_targets is not set in .*unset.conf: relayguard-probe contacts only networks listed there" \
	"probe_allowed_targets unset: it refuses to run and says why"
sleep 1
rg_is "$(cat "$RUN/outside.record")" "" "the recording listener outside the allowed networks saw no connection"
rg_ok "$(ss -Htn | grep -q 203.0.113.9; [ $? -ne 0 ]; echo $?)" "no socket to 203.0.113.9 exists"

# --- 4b. a hostile host: the limits hold ----------------------------------------------
start=$(date +%s)
"$PROBE" -c "$RUN/probe.conf" --json --force 198.51.100.50 >"$RUN/hostile.json" 2>"$RUN/hostile.err"
took=$(( $(date +%s) - start ))
rg_is "$(summary "$RUN/hostile.json")" "198.51.100.50 closed closed closed False" \
	"hostile host: an endless EHLO reply is a refusal; an endless header is no proxy"
rg_ok "$([ "$took" -lt 60 ]; echo $?)" "hostile host: done within the limits (${took}s)"
ev=$(field "$RUN/hostile.json" 198.51.100.50 evidence)
rg_ok "$([ "${#ev}" -le 34816 ]; echo $?)" "hostile host: the transcript is capped (${#ev} bytes)"
rg_like "$ev" "# reply too long|# read limit" "hostile host: the transcript says which limit stopped it"
rg_like "$ev" "\[\.\.\.\]$" "hostile host: the cut is marked"
rg_like "$ev" '< 250-\\x00\\xff\\x1b\[2J' "hostile host: binary bytes are escaped in the evidence"

# --- 5. rate limits and the per-host lock ------------------------------------------
sed -e 's/^probe_host_interval = 0/probe_host_interval = 1h/' "$RUN/probe.conf" >"$RUN/limit.conf"
"$PROBE" -c "$RUN/limit.conf" --force 198.51.100.40 >"$RUN/limit.txt" 2>&1
rc=$?
rg_is "$rc" 3 "probe_host_interval: a host probed a moment ago is not probed again (exit 3)"
rg_like "$(cat "$RUN/limit.txt")" "^198.51.100.40: not-probed: probed [0-9]+s ago; probe_host_interval is 3600s" "and it says why"
printf 'probe_network_rate = 3\n' >>"$RUN/probe.conf"
"$PROBE" -c "$RUN/probe.conf" --force 198.51.100.40 >"$RUN/netrate.txt" 2>&1
rg_like "$(cat "$RUN/netrate.txt")" "^198.51.100.40: not-probed: probe_network_rate reached: [0-9]+ probes into its network in the last hour" \
	"probe_network_rate: refused once the /24 had its probes this hour"

rg_done
