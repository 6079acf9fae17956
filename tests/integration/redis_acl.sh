#!/bin/sh
# redis_acl.sh - Redis 6 ACL users (redis_username), on a real redis-server
# whose default user is off, so nothing gets in without a user name: the
# least-privilege user doc/fleet.md gives ("~PREFIX* +@all -@dangerous
# +role", no channels) is enough for every Redis client of
# relayguard: policyd's cache and report writer, relayguard-notify sending a
# notice, relayguard-ctl import, lists and queue; the server's ACL LOG shows
# no denial.  A wrong user name is an error that says the server refused
# the AUTH and never shows the password, once per connection, and checks
# go on from DNS; a user without a password, or a name with a
# space, is refused by check-config.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
. "$RG_TOP_SRCDIR/tests/integration/lib_redis_clients.sh"
rg_require rbldnsd redis-server redis-cli
POLICYD="$RG_TOP_BUILDDIR/policy/relayguard-policyd"
NOTIFY="$RG_TOP_BUILDDIR/notify/relayguard-notify"
CTL="$RG_TOP_BUILDDIR/ctl/relayguard-ctl"
for b in "$POLICYD" "$NOTIFY" "$CTL"; do [ -x "$b" ] || rg_bail "$b not built"; done

rg_start_listing_zone acl.bl 198.51.100.0/24

PW="rg-acl-pw-$$"
ADMIN_PW="admin-pw-$$"
RP=$(rg_free_port)
cat >"$RUN/redis.conf" <<CONF
bind 127.0.0.1
port $RP
save ""
appendonly no
dir $RUN
logfile $RUN/redis.log
user default off
user relayguard on >$PW ~ac:* +@all -@dangerous +role
user admin on >$ADMIN_PW ~* &* +@all
CONF
redis-server "$RUN/redis.conf" &
rg_track $!
rg_wait_port "$RP" tcp || rg_bail "redis-server did not start: $(cat "$RUN/redis.log")"
R() { redis-cli -p "$RP" --user admin --pass "$ADMIN_PW" --no-auth-warning "$@"; }
rg_like "$(redis-cli -p "$RP" --no-auth-warning -a "$PW" ping 2>&1)" "WRONGPASS|NOAUTH|invalid" \
	"the server refuses the password alone (the default user is off)"
R acl log reset >/dev/null
printf '198.51.100.0/24,ACL Net,abuse@acl.example\n' >"$RUN/owners.csv"

conf() {	# conf FILE USER PASSWORD [LINES]
	cat >"$1" <<CONF
allow_root = yes
myhostname = mx.acl.example
dns_servers = 127.0.0.1:$DNS
dnsbl_sites = acl.bl
dnsbl_timeout = 2s
redis_server = 127.0.0.1:$RP
redis_username = $2
redis_password = $3
redis_timeout = 300ms
redis_prefix = ac:
report_enable = yes
report_spool = $RUN/spool-$(basename "$1" .conf)
log_level = info
$(rg_notify_lines acl.example)
${4:-}
CONF
}

# --- the configuration check ------------------------------------------------------
conf "$RUN/nopw.conf" relayguard ""
out=$("$CTL" -c "$RUN/nopw.conf" check-config 2>&1)
rg_ok $((! $?)) "check-config refuses redis_username without redis_password"
rg_like "$out" "redis_username is set but redis_password is not" "and says why: $out"
printf 'redis_username = rg user\n' >"$RUN/space.conf"
out=$("$CTL" -c "$RUN/space.conf" check-config 2>&1)
rg_ok $((! $?)) "check-config refuses a user name with a space"
rg_like "$out" "redis_username.*without spaces" "and says what a user name may hold: $out"
conf "$RUN/good.conf" relayguard "$PW"
out=$("$CTL" -c "$RUN/good.conf" check-config 2>&1)
rg_ok $? "check-config accepts redis_username with redis_password: $(printf '%s' "$out" | grep redis_)"
rg_ok "$(printf '%s' "$out" | grep -c "$PW")" "without showing the password"

# --- every client, as the ACL user ------------------------------------------------
PP=$(rg_free_port)
conf "$RUN/p.conf" relayguard "$PW" "$(rg_policyd_lines p "$PP")"
rg_start_policyd p "$PP"
for _ in $(seq 1 50); do grep -q "redis 127.0.0.1:$RP: connected" "$RUN/p.log" && break; sleep 0.1; done
rg_like "$(cat "$RUN/p.log")" "redis 127.0.0.1:$RP: connected" "policyd connects as the ACL user"

rg_redis_clients_check "$PP" ac: acl.bl acl.example "as the ACL user"
rg_is "$(R acl log | grep -c .)" 0 "no ACL denial for any client: $(R acl log | head -20 | tr '\n' ' ')"

# --- a wrong user name: an error that says so, never the password -------------------
conf "$RUN/bad.conf" nobody-here "$PW"
"$CTL" -c "$RUN/bad.conf" queue >"$RUN/bad.out" 2>&1
rg_ok $((! $?)) "relayguard-ctl queue with a user the server does not know fails"
rg_like "$(cat "$RUN/bad.out")" "AUTH.*WRONGPASS" "and says the server refused the AUTH: $(head -c 200 "$RUN/bad.out")"
rg_ok "$(grep -c "$PW" "$RUN/bad.out")" "without showing the password"
"$CTL" -c "$RUN/bad.conf" import test-list "$RUN/l.txt" >"$RUN/bad-import.out" 2>&1
rg_ok $((! $?)) "relayguard-ctl import as an unknown user fails"
rg_like "$(cat "$RUN/bad-import.out")" "WRONGPASS" "and says why: $(head -c 200 "$RUN/bad-import.out")"

PB=$(rg_free_port)
conf "$RUN/pb.conf" nobody-here "$PW" "$(rg_policyd_lines pb "$PB")
stats_dir = $RUN/stats-pb
stats_interval = 1s"
rg_start_policyd pb "$PB"
rg_is "$($CLIENT ask "$PB" protocol_state=RCPT client_address=198.51.100.9 instance=b1 | cut -d' ' -f1)" "action=550" \
	"policyd as an unknown user still checks, from DNS"
for _ in $(seq 1 50); do grep -q "AUTH refused" "$RUN/pb.log" && break; sleep 0.1; done
rg_like "$(grep "AUTH refused" "$RUN/pb.log" | head -1)" "error: redis 127.0.0.1:$RP: AUTH refused \(WRONGPASS" \
	"and logs that the server refused the AUTH"
sleep 2		# several reconnects (backoff from 100 ms): still one error per connection
rg_is "$(grep -c 'error: .*AUTH refused' "$RUN/pb.log")" 2 "once for each of its two connections (cache, reports)"
rg_ok "$(grep -c "$PW" "$RUN/pb.log")" "without logging the password"
rg_like "$("$CTL" -c "$RUN/pb.conf" stats 2>&1)" "cache=redis up=0 state=refused" "ctl stats: the cache's Redis state is 'refused'"
rg_done
