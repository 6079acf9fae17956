#!/bin/sh
# health_fleet.sh - zone health shared by a fleet through Redis (issue 11,
# section 2).  Two relayguard-policyd ("mxa", "mxb") share one real
# redis-server.  Each asks its own rbldnsd for split.bl: mxa's rbldnsd is
# reloaded with a file that lists everything (a dead list), mxb's keeps
# answering normally, so only mxa's probes can see the death.  Both stop
# counting split.bl (mxb by the verdict mxa shares, within a probe interval),
# and so does relayguard-ctl check on mxb's configuration.  When mxa's probes
# pass again, both count it again.  With Redis gone, checks go on.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
rg_require rbldnsd redis-server redis-cli
POLICYD="$RG_TOP_BUILDDIR/policy/relayguard-policyd"
CTL="$RG_TOP_BUILDDIR/ctl/relayguard-ctl"
for b in "$POLICYD" "$CTL"; do [ -x "$b" ] || rg_bail "$b not built"; done

alive() { printf ':127.0.0.2:Listed in split.bl\n127.0.0.2\n192.0.2.5\n' >"$1"; }
dead() { printf ':127.0.0.2:Listed in split.bl\n0.0.0.0/1\n128.0.0.0/1\n' >"$1"; }
mkdir -p "$RUN/a" "$RUN/b"
chmod 755 "$RUN/a" "$RUN/b"
alive "$RUN/a/split.ip4set"
alive "$RUN/b/split.ip4set"
chmod 644 "$RUN"/a/* "$RUN"/b/*
DNS_A=$(rg_free_port)
rg_start_rbldnsd_as rbldnsd-a "$DNS_A" split.bl:ip4set:a/split.ip4set
RBLDNSD_A=$RG_RBLDNSD_PID
DNS_B=$(rg_free_port)
rg_start_rbldnsd_as rbldnsd-b "$DNS_B" split.bl:ip4set:b/split.ip4set
REDIS_PORT=$(rg_free_port)
rg_start_redis "$REDIS_PORT"

# conf NAME DNS_PORT POLICY_PORT
conf() {
	cat >"$RUN/$1.conf" <<CONF
allow_root = yes
dns_servers = 127.0.0.1:$2
dnsbl_sites = split.bl
dnsbl_timeout = 3s
dnsbl_probe_interval = 1s
redis_server = 127.0.0.1:$REDIS_PORT
redis_timeout = 500ms
report_enable = no
report_spool = $RUN/spool-$1
log_level = info
myhostname = $1.example
policy_listen = inet:$3@127.0.0.1
policy_allowed_clients = 127.0.0.1/32
policy_pidfile = $RUN/$1.pid
policy_workers = 1
CONF
}
PORT_A=$(rg_free_port)
PORT_B=$(rg_free_port)
conf mxa "$DNS_A" "$PORT_A"
conf mxb "$DNS_B" "$PORT_B"
PIDS=""
for mx in mxa mxb; do
	"$POLICYD" -f -c "$RUN/$mx.conf" 2>"$RUN/$mx.log" &
	rg_track $!
	PIDS="$PIDS $!"
done
rg_wait_port "$PORT_A" || rg_bail "mxa did not start: $(cat "$RUN/mxa.log")"
rg_wait_port "$PORT_B" || rg_bail "mxb did not start: $(cat "$RUN/mxb.log")"

RCPT="protocol_state=RCPT protocol_name=ESMTP helo_name=client.example sender=s@example.org recipient=r@example.net"
N=0
ask() { N=$((N + 1)); $CLIENT ask "$1" $RCPT client_address="$2" instance="i$N" | cut -d' ' -f1; }
wait_log() {	# FILE PATTERN: wait up to 20 s
	for _ in $(seq 1 200); do
		grep -q -- "$2" "$1" && return 0
		sleep 0.1
	done
	return 1
}

sleep 1.5	# a probe round on both
rg_is "$(ask "$PORT_A" 192.0.2.5)" "action=550" "alive: mxa refuses 192.0.2.5"
rg_is "$(ask "$PORT_B" 192.0.2.5)" "action=550" "alive: mxb refuses 192.0.2.5"
rg_is "$(ask "$PORT_B" 192.0.2.5)" "action=550" "alive: mxb again, from its cache"
rg_like "$(redis-cli -p "$REDIS_PORT" hget rg:v1:health 'split.bl|mxb.example/relayguard/policyd')" \
	'^A [0-9]+ 1000$' "each server publishes its passing rounds: 'A <ms> <interval>'"

# --- only mxa's resolver sees the list die ----------------------------------------
dead "$RUN/a/split.ip4set"
kill -HUP "$RBLDNSD_A"
wait_log "$RUN/mxa.log" 'zone=split.bl state=suspended was=in_service reason="1\.0\.0\.127\.split\.bl listed'
rg_ok $? "mxa: its own probes suspend split.bl"
wait_log "$RUN/mxb.log" 'zone=split.bl state=suspended was=in_service reason="shared from Redis by host mxa.example/relayguard/policyd: 1\.0\.0\.127\.split\.bl listed'
rg_ok $? "mxb: suspended by the verdict mxa shared, the log names the host and its probe"
rg_like "$(redis-cli -p "$REDIS_PORT" hget rg:v1:health 'split.bl|mxa.example/relayguard/policyd')" \
	'^D [0-9]+ 1000 1\.0\.0\.127\.split\.bl listed 127\.0\.0\.2' "mxa's dead verdict is in Redis with its reason"
rg_is "$(ask "$PORT_B" 192.0.2.5)" "action=DUNNO" "mxb: 192.0.2.5 (its own resolver says listed, cached) no longer counts"
rg_is "$(ask "$PORT_A" 192.0.2.5)" "action=DUNNO" "mxa: 192.0.2.5 no longer counts"
rg_is "$(ask "$PORT_A" 192.0.2.77)" "action=DUNNO" "mxa: what only the dead list lists passes"
out=$("$CTL" -c "$RUN/mxb.conf" check 192.0.2.5 2>/dev/null); rc=$?
rg_is "$rc" 0 "ctl check on mxb's config (a healthy resolver): not listed, as mxb says"
rg_like "$out" 'zone split.bl: suspended \(shared from Redis by host mxa.example/relayguard/policyd' \
	"ctl check: suspended, shared by mxa"
sleep 2
rg_is "$(ask "$PORT_B" 192.0.2.5)" "action=DUNNO" "mxb's passing probes do not lift mxa's verdict"

# --- repaired where mxa looks: both count it again ----------------------------------
alive "$RUN/a/split.ip4set"
kill -HUP "$RBLDNSD_A"
wait_log "$RUN/mxa.log" 'zone=split.bl state=in_service was=suspended'
rg_ok $? "mxa: back in service by its own probes"
wait_log "$RUN/mxb.log" 'zone=split.bl state=in_service was=suspended'
rg_ok $? "mxb: back in service once mxa publishes 'alive'"
rg_is "$(ask "$PORT_B" 192.0.2.5)" "action=550" "mxb refuses 192.0.2.5 again"
rg_is "$(ask "$PORT_A" 192.0.2.5)" "action=550" "mxa refuses 192.0.2.5 again"

# --- Redis gone: each decides alone, checks go on ---------------------------------------
rg_stop "$RG_REDIS_PID"
start=$(date +%s%N)
rg_is "$(ask "$PORT_B" 192.0.2.5)" "action=550" "Redis down: mxb still answers"
rg_is "$(ask "$PORT_B" 192.0.2.88)" "action=DUNNO" "Redis down: an unlisted client passes"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
rg_ok "$([ "$ms" -lt 2500 ]; echo $?)" "Redis down: two checks in $ms ms, nothing waits for Redis"

for pid in $PIDS; do rg_stop "$pid"; done
! grep -l 'Sanitizer\|runtime error' "$RUN"/mxa.log "$RUN"/mxb.log
rg_ok $? "both daemons end without a sanitizer report"

rg_done
