#!/bin/sh
# notify_contact.sh - who receives a notice: the fallback chain (owners_db,
# then notify_abuse_zone served by a real rbldnsd, then
# notify_fallback_address), contacts refused when they are not a valid
# mailbox, one log line per notify_interval for a network nobody can be
# told (and relayguard-ctl networks --untold), notify_suppress by network,
# contact and domain, reloaded by a running notifier when it changes, and
# relayguard-ctl notices --suppress/--unsuppress; with Redis and without.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
rg_require redis-server redis-cli rbldnsd

NOTIFY="$RG_TOP_BUILDDIR/notify/relayguard-notify"
CTL="$RG_TOP_BUILDDIR/ctl/relayguard-ctl"
PORT=$(rg_free_port)
DNS_PORT=$(rg_free_port)
rg_start_redis "$PORT"
R() { redis-cli -p "$PORT" "$@"; }

# The owners database: networks with no enclosing object, so that the
# result does not depend on how contacts are inherited.
cat >"$RUN/owners.db" <<'RPSL'
inetnum:        192.0.2.0 - 192.0.2.255
netname:        NET-OWN
abuse-mailbox:  abuse@own.example
source:         TEST

inetnum:        198.51.100.0 - 198.51.100.255
netname:        NET-NOC
descr:          no contact in the registry: the DNS zone has one
source:         TEST

inet6num:       2001:db8:1::/48
netname:        NET-V6
source:         TEST

inetnum:        203.0.113.0 - 203.0.113.255
netname:        NET-ROOT
abuse-mailbox:  root
source:         TEST

inetnum:        198.19.0.0 - 198.19.0.255
netname:        NET-DNSBAD
source:         TEST

inetnum:        198.18.0.0 - 198.18.0.255
netname:        NET-NONE
source:         TEST

inetnum:        198.18.1.0 - 198.18.1.255
netname:        NET-Z2
source:         TEST

inetnum:        198.18.2.0 - 198.18.2.255
netname:        NET-Z3
source:         TEST
RPSL

# The abuse-contact zone, in the shape of the public ones: a TXT record
# under the reversed address (IPv6: 32 nibbles).
cat >"$RUN/abuse.test.generic" <<'ZONE'
$SOA 60 ns.abuse.test. hostmaster.abuse.test. 1 600 300 86400 60
$NS 60 ns.abuse.test.
ns A 127.0.0.1
1.100.51.198 TXT "dns-abuse@zone.example"
1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2 TXT "v6-abuse@zone.example"
1.0.19.198 TXT "-oQ/tmp/x@evil.example"
1.1.18.198 TXT "z2-abuse@zone.example"
1.2.18.198 TXT "z3-abuse@zone.example"
ZONE
rg_start_rbldnsd "$DNS_PORT" abuse.test:generic:abuse.test.generic
rg_like "$(dig @127.0.0.1 -p "$DNS_PORT" +short 1.100.51.198.abuse.test TXT 2>/dev/null)" "dns-abuse@zone.example" \
	"rbldnsd serves the abuse-contact zone"

# queue PREFIX ADDR...: one event per address, now
queue() {
	_p=$1; shift
	for _a in "$@"; do
		R XADD "${_p}reports" '*' id "ev-$_p$_a-$(date +%s%N)" t "$(date +%s)" client "$_a" helo h.example \
			host mx.test lists 'bl.test%3D127.0.0.2' >/dev/null
	done
}
conf() {	# conf PREFIX [extra lines]
	cat <<CONF
allow_root = yes
myhostname = mx.test
redis_server = 127.0.0.1:$PORT
redis_prefix = $1
owners_db = $RUN/owners.db
notify_min_hits = 3
notify_template = $RG_TOP_SRCDIR/conf/notice.txt
notify_from = rg-notices@relayguard.test
notify_transport = outbox:$RUN/out-$1
dns_servers = 127.0.0.1:$DNS_PORT
notify_abuse_zone = abuse.test
${2:-}
CONF
}
to_of() {	# to_of PREFIX: the sorted To: of the notices in its outbox
	grep -h '^To: ' "$RUN/out-$1"/*.eml 2>/dev/null | sort | tr '\n' ' '
}
ALL="192.0.2.1 198.51.100.1 2001:db8:1::1 203.0.113.1 198.19.0.1 198.18.0.1"
for _ in 1 2 3; do queue a: $ALL; done

# 1. The chain without a fallback address.
conf a: >"$RUN/a.conf"
"$NOTIFY" -c "$RUN/a.conf" --once 2>"$RUN/a1.err"; rc=$?
rg_is "$rc" 0 "relayguard-notify --once with notify_abuse_zone"
rg_is "$(to_of a:)" "To: abuse@own.example To: dns-abuse@zone.example To: v6-abuse@zone.example " \
	"link 1 (owners_db), link 2 (TXT of an IPv4 and an IPv6 address): three notices"
rg_like "$(cat "$RUN/a1.err")" "network 198.51.100.0 - 198.51.100.255: contact dns-abuse@zone.example from notify_abuse_zone \(1.100.51.198.abuse.test\)" \
	"the log says where a contact came from"
# (refused by the notifier, or already by the owners loader with its file:line)
rg_like "$(cat "$RUN/a1.err")" "network 203.0.113.0 - 203.0.113.255: contact \"root\" from owners_db refused: no domain|owners.db:[0-9]+: contact refused \(no domain.*203.0.113.0 - 203.0.113.255" \
	"a local name from the owners database is refused, with the network and the source"
rg_like "$(cat "$RUN/a1.err")" "network 198.19.0.0 - 198.19.0.255: contact \"-oQ/tmp/x@evil.example\" from notify_abuse_zone refused: starts with '-'" \
	"a contact from the zone that would read as an option is refused"
rg_is "$(grep -c 'no notice, no contact' "$RUN/a1.err")" 3 "three networks nobody can be told: one log line each"
rg_like "$(grep 'no notice, no contact' "$RUN/a1.err" | grep 198.18.0.0)" \
	"network 198.18.0.0 - 198.18.0.255 \(198.18.0.0-198.18.0.255\): no notice, no contact: no abuse contact in owners_db; notify_abuse_zone: 1.0.18.198.abuse.test nxdomain; no notify_fallback_address" \
	"the line gives the range and why, link by link"
rg_is "$(grep -rlE 'To: (root|-oQ)' "$RUN/out-a:" | wc -l)" 0 "nothing went to a refused contact"

# Once per notify_interval, also across runs.
queue a: 198.18.0.1 198.18.0.2 203.0.113.2
"$NOTIFY" -c "$RUN/a.conf" --once 2>"$RUN/a2.err"
rg_is "$(grep -c 'no notice, no contact' "$RUN/a2.err")" 0 "a second pass does not log them again"
out=$("$CTL" -c "$RUN/a.conf" networks --untold)
rg_like "$out" "198.18.0.0-198.18.0.255 +NET-NONE +5  198.18.0.0 - 198.18.0.255: no abuse contact in owners_db" \
	"ctl networks --untold lists a network nobody can be told, with its range and why"
rg_is "$(printf '%s\n' "$out" | grep -c 'NET-OWN')" 0 "and not a network that was told"
rg_like "$("$CTL" -c "$RUN/a.conf" networks)" "198.18.0.0-198.18.0.255 +NET-NONE +5  none" "ctl networks: told = none"

# 2. With notify_fallback_address: the last link.
conf a: "notify_fallback_address = fallback@site.example" >"$RUN/b.conf"
"$NOTIFY" -c "$RUN/b.conf" --once 2>"$RUN/b.err"
rg_is "$(grep -l 'To: fallback@site.example' "$RUN/out-a:"/*.eml | wc -l)" 3 \
	"link 3: the three networks without a valid contact go to notify_fallback_address"
rg_is "$(ls "$RUN/out-a:" | grep -c '\.eml$')" 6 "six notices in all"
printf 'notify_fallback_address = root\n' >>"$RUN/b.conf"
"$NOTIFY" -c "$RUN/b.conf" --once 2>"$RUN/b2.err"; rc=$?
rg_is "$rc" 1 "notify_fallback_address = root is a configuration error"
rg_like "$(cat "$RUN/b2.err")" "notify_fallback_address.*no domain" "with the reason"

# 3. notify_suppress, edited by relayguard-ctl.
printf '# receivers that asked for no notice\n192.0.2.0/24   # NET-OWN, ticket 42\n' >"$RUN/suppress"
conf s: "notify_suppress = $RUN/suppress" >"$RUN/s.conf"
out=$("$CTL" -c "$RUN/s.conf" notices --suppress DNS-Abuse@Zone.Example); rc=$?
rg_is "$rc" 0 "ctl notices --suppress CONTACT"
rg_is "$(cat "$RUN/suppress")" "$(printf '# receivers that asked for no notice\n192.0.2.0/24   # NET-OWN, ticket 42\ndns-abuse@zone.example')" \
	"the entry is added, comments kept"
"$CTL" -c "$RUN/s.conf" notices --suppress root >"$RUN/ctl.out" 2>"$RUN/ctl.err"; rc=$?
rg_is "$rc" 1 "ctl notices --suppress root: refused"
rg_like "$(cat "$RUN/ctl.err")" "'root' is not a valid entry" "with a clear error"
"$CTL" -c "$RUN/s.conf" notices --suppress 10.1.2.0/8 2>"$RUN/ctl.err"; rc=$?
rg_is "$rc" 1 "a network with host bits set is refused"
rg_is "$(grep -c . "$RUN/suppress")" 3 "the file is unchanged by refused entries"
rg_like "$("$CTL" -c "$RUN/s.conf" notices --suppress 192.0.2.0/24)" "is already there" "a present entry is not added twice"
rg_is "$(ls "$RUN" | grep -c 'suppress.tmp')" 0 "no temporary file left"
for _ in 1 2 3; do queue s: 192.0.2.1 198.51.100.1 2001:db8:1::1; done
"$NOTIFY" -c "$RUN/s.conf" --once 2>"$RUN/s1.err"
rg_is "$(to_of s:)" "To: v6-abuse@zone.example " "suppressed by network and by contact: only NET-V6 is told"
rg_like "$(cat "$RUN/s1.err")" "network 192.0.2.0 - 192.0.2.255 .*no notice, notify_suppress lists 192.0.2.0/24" \
	"logged: suppressed by the network entry"
rg_like "$(cat "$RUN/s1.err")" "no notice, notify_suppress lists dns-abuse@zone.example" "logged: suppressed by the contact entry"

# A running notifier reloads the file when it changes: domain, then removed.
"$CTL" -c "$RUN/s.conf" notices --unsuppress dns-abuse@zone.example >/dev/null
"$CTL" -c "$RUN/s.conf" notices --suppress zone.example >/dev/null
rg_like "$(cat "$RUN/suppress")" "zone.example" "ctl: the contact replaced by its domain"
"$NOTIFY" -c "$RUN/s.conf" 2>"$RUN/daemon.err" &
npid=$!
rg_track "$npid"
wait_log() {	# wait_log PATTERN: up to 20 s for PATTERN in the daemon's log
	for _ in $(seq 1 200); do
		grep -q -- "$1" "$RUN/daemon.err" && return 0
		sleep 0.1
	done
	return 1
}
queue s: 198.18.1.1 198.18.1.1 198.18.1.1
wait_log "notify_suppress lists zone.example"; rc=$?
rg_is "$rc" 0 "a domain entry suppresses every contact at it (z2-abuse@zone.example)"
rg_is "$(to_of s:)" "To: v6-abuse@zone.example " "no notice meanwhile"
"$CTL" -c "$RUN/s.conf" notices --unsuppress zone.example >/dev/null
rg_is "$(grep -v '^#' "$RUN/suppress" | tr -s ' ' | tr '\n' ' ')" "192.0.2.0/24 # NET-OWN, ticket 42 " \
	"ctl notices --unsuppress removes the entry, keeps the rest"
queue s: 198.18.2.1 198.18.2.1 198.18.2.1
wait_log "notice rg-[0-9a-f]* sent: network=198.18.2.0 - 198.18.2.255 to=z3-abuse@zone.example"; rc=$?
rg_is "$rc" 0 "the running notifier read the changed file: the next network at zone.example is told"
rg_like "$(cat "$RUN/daemon.err")" "notify_suppress $RUN/suppress: 1 entries" "its reload is logged"
rg_stop "$npid"

# 4. Without Redis (the spool journal and the state file): the same chain,
# the untold network logged once across runs, ctl networks --untold.
DRV="$RG_TOP_BUILDDIR/tests/integration/report_driver"
printf '%s\n' 192.0.2.1 192.0.2.2 192.0.2.3 198.51.100.1 198.18.0.1 198.18.0.2 198.18.0.3 >"$RUN/bl.list"
cat >"$RUN/spool.conf" <<CONF
allow_root = yes
myhostname = solo.test
report_spool = $RUN/spool
report_dedupe_window = 0
file_lists = bl.test:$RUN/bl.list*2
dnsbl_threshold = 2
owners_db = $RUN/owners.db
notify_min_hits = 3
notify_from = rg-notices@relayguard.test
notify_transport = outbox:$RUN/out-spool
notify_state_dir = $RUN/state-spool
dns_servers = 127.0.0.1:$DNS_PORT
notify_abuse_zone = abuse.test
CONF
"$DRV" "$RUN/spool.conf" engine 192.0.2.1 192.0.2.2 192.0.2.3 198.51.100.1 198.51.100.1 198.51.100.1 \
	198.18.0.1 198.18.0.2 198.18.0.3 >/dev/null
"$NOTIFY" -c "$RUN/spool.conf" --once 2>"$RUN/sp1.err"; rc=$?
rg_is "$rc" 0 "spool mode: relayguard-notify --once"
rg_is "$(grep -h '^To: ' "$RUN/out-spool"/*.eml | sort | tr '\n' ' ')" "To: abuse@own.example To: dns-abuse@zone.example " \
	"spool mode: owners_db and notify_abuse_zone contacts"
rg_is "$(grep -c 'no notice, no contact' "$RUN/sp1.err")" 1 "spool mode: the network nobody can be told is logged"
"$DRV" "$RUN/spool.conf" engine 198.18.0.1 198.18.0.2 >/dev/null
"$NOTIFY" -c "$RUN/spool.conf" --once 2>"$RUN/sp2.err"
rg_is "$(grep -c 'no notice, no contact' "$RUN/sp2.err")" 0 "spool mode: and not again within notify_interval (the state file remembers)"
rg_like "$("$CTL" -c "$RUN/spool.conf" networks --untold)" "198.18.0.0-198.18.0.255 +no contact or suppressed" \
	"spool mode: ctl networks --untold lists it"

rg_done
