#!/bin/sh
# dnsbl.sh - the resolver and dnsbl modules against a real rbldnsd.
#
# Serves the zones of tests/data/rbldnsd/ on a free loopback port and runs
# tests/integration/dnsbl_driver (TAP).  Zones:
#   test.bl     the shared test list (ip4set, ip6trie, ip6tset; TXT with $)
#   second.bl   codes inside/outside the site filter, a zone error code,
#               a TXT with a tab, its own SOA minimum (negative TTL 120)
#   outside.bl  an answer outside 127.0.0.0/8
#   refused.bl  127.255.255.254 for everything (query refused)
#   dead.bl     lists everything, 127.0.0.1 included; the driver repairs it
#               and sends SIGHUP to the rbldnsd started here
#   rhsbl.bl    a domain list (dnset)
#   nozone.bl   not served: REFUSED
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }

DATA=$RG_TOP_SRCDIR/tests/data/rbldnsd
DRIVER=$RG_TOP_BUILDDIR/tests/integration/dnsbl_driver
[ -x "$DRIVER" ] || rg_bail "$DRIVER not built"
rg_require rbldnsd

for f in test.bl.common test.bl.ip4set test.bl.ip6trie test.bl.ip6tset \
	 second.bl.ip4set second.bl.more second.bl.more2 outside.bl.ip4set \
	 refused.bl.ip4set dead.bl.fixed rhsbl.bl.dnset; do
	cp "$DATA/$f" "$RUN/$f" || rg_bail "missing $DATA/$f"
done
cp "$DATA/dead.bl.ip4set" "$RUN/dead.bl"
chmod 644 "${RUN:?}"/*

PORT=$(rg_free_port)
rg_start_rbldnsd "$PORT" \
	test.bl:generic:test.bl.common test.bl:ip4set:test.bl.ip4set \
	test.bl:ip6trie:test.bl.ip6trie test.bl:ip6tset:test.bl.ip6tset \
	second.bl:ip4set:second.bl.ip4set second.bl:ip4set:second.bl.more \
	second.bl:ip4set:second.bl.more2 outside.bl:ip4set:outside.bl.ip4set \
	refused.bl:ip4set:refused.bl.ip4set dead.bl:ip4set:dead.bl \
	rhsbl.bl:dnset:rhsbl.bl.dnset

# The driver prints TAP; its plan is ours.  Its stderr is the module's log.
"$DRIVER" "$PORT" "$RG_RBLDNSD_PID" "$RUN/dead.bl" "$RUN/dead.bl.fixed" 2>"$RUN/driver.log" \
	>"$RUN/driver.tap"
rc=$?
grep -v '^1\.\.' "$RUN/driver.tap"
RG_TESTS=$(grep -c '^\(not \)\{0,1\}ok ' "$RUN/driver.tap")
RG_FAILED=$(grep -c '^not ok ' "$RUN/driver.tap")
rg_ok "$rc" "driver exit status $rc"

# Module log lines, from the driver's stderr.
refused_logs=$(grep -c 'dnsbl zone refused.bl answered 127.255.255.254: error code' "$RUN/driver.log")
rg_is "$refused_logs" 1 "error code logged once per zone (two refused answers)"
rg_like "$(cat "$RUN/driver.log")" 'dnsbl zone second.bl answered 127.0.0.99: configured error code' \
	"a zone-specific error code is logged with its code"
rg_like "$(cat "$RUN/driver.log")" 'use a local recursive resolver' "error code log hints at a local resolver"
rg_like "$(grep 'dead.bl' "$RUN/driver.log")" 'warning.*dnsbl zone=dead.bl state=suspended was=unprobed reason="1\.0\.0\.127\.dead\.bl listed 127\.0\.0\.2 \(it must not be' \
	"dead list suspension logged as a warning naming the zone, the probe and its answer"
rg_like "$(grep 'dead.bl' "$RUN/driver.log")" 'notice.*dnsbl zone=dead.bl state=in_service was=suspended reason="2\.0\.0\.127\.dead\.bl listed and 1\.0\.0\.127\.dead\.bl not listed"' \
	"resume logged as a notice, with the probes that passed"
rg_like "$(grep 'nozone.bl' "$RUN/driver.log")" 'dnsbl zone=nozone.bl state=suspended was=unprobed reason="3 probe rounds failed in a row, the last: [12]\.0\.0\.127\.nozone\.bl: REFUSED' \
	"probe failures suspension logged"
rg_is "$(grep -c 'zone=test.bl state=in_service was=unprobed' "$RUN/driver.log")" 1 \
	"a healthy zone's entry into service logged once"
queries=$(grep -c 'nozone.bl' "$RUN/rbldnsd.log")
rg_ok "$([ "$queries" -gt 0 ] && echo 0 || echo 1)" "rbldnsd saw the queries ($queries for nozone.bl)"
if [ "$RG_FAILED" -ne 0 ] || [ "$rc" -ne 0 ]; then
	echo "# driver log:"; sed 's/^/#   /' "$RUN/driver.log"
fi
rg_done
