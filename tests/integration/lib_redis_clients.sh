# lib_redis_clients.sh - every Redis client of relayguard, against one Redis
# server reached in some particular way (a unix socket, an ACL user...).
# Sourced after lib.sh by redis_unix.sh and redis_acl.sh.
#
#   rg_redis_clients_check PORT PREFIX ZONE DOMAIN HOW
#
# Needs: policyd running from $RUN/p.conf on 127.0.0.1:PORT, with
# redis_prefix = PREFIX, the DNS list ZONE listing 198.51.100.0/24,
# $RUN/owners.csv giving that network to abuse@DOMAIN and rg_notify_lines
# DOMAIN; $POLICYD, $NOTIFY, $CTL; and R, the test's redis-cli for the server.
# HOW ends each check's name ("over the socket").  Nine checks:
#  - four listed clients are refused, their answers cached, their four
#    report events on the stream;
#  - relayguard-ctl queue reads the stream; relayguard-notify --once sends
#    one notice to abuse@DOMAIN and acknowledges every event;
#  - relayguard-ctl import writes a list, and lists shows it.
rg_redis_clients_check() {
	_port=$1 _pfx=$2 _zone=$3 _dom=$4 _how=$5
	_rcpt="protocol_state=RCPT protocol_name=ESMTP helo_name=client.example sender=s@example.org recipient=r@example.net"
	_bad=""
	for _i in 1 2 3 4; do
		# shellcheck disable=SC2086
		_a=$($CLIENT ask "$_port" $_rcpt client_address="198.51.100.$_i" instance="i$_i" | cut -d' ' -f1)
		[ "$_a" = action=550 ] || _bad="$_bad 198.51.100.$_i=$_a"
	done
	rg_is "${_bad:-none}" none "four listed clients refused, $_how"
	_key="${_pfx}v2:c:{198.51.100.4}:$_zone"
	for _ in $(seq 1 50); do [ "$(R exists "$_key")" = 1 ] && break; sleep 0.1; done
	rg_is "$(R exists "$_key")" 1 "their answers are cached in Redis"
	for _ in $(seq 1 50); do [ "$(R xlen "${_pfx}reports")" = 4 ] && break; sleep 0.1; done
	rg_is "$(R xlen "${_pfx}reports")" 4 "and their four report events are on the stream"

	rg_like "$("$CTL" -c "$RUN/p.conf" queue 2>&1)" "length +4" "relayguard-ctl queue reads the stream, $_how"
	"$NOTIFY" -c "$RUN/p.conf" --once --consumer n 2>"$RUN/notify.err"
	rg_is "$?" 0 "relayguard-notify --once, $_how: $(tail -c 300 "$RUN/notify.err")"
	rg_is "$(grep -l "^To: abuse@$_dom" "$RUN"/outbox/*.eml 2>/dev/null | wc -l)" 1 \
		"one notice, to the network's abuse contact"
	rg_is "$(R xpending "${_pfx}reports" notify | head -1)" 0 "every event acknowledged"

	printf '203.0.113.0/24\n' >"$RUN/l.txt"
	"$CTL" -c "$RUN/p.conf" import test-list "$RUN/l.txt" >"$RUN/import.out" 2>&1
	rg_ok $? "relayguard-ctl import, $_how: $(head -c 200 "$RUN/import.out")"
	rg_like "$("$CTL" -c "$RUN/p.conf" lists 2>&1)" "test-list" "relayguard-ctl lists shows it"
}
