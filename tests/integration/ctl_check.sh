#!/bin/sh
# ctl_check.sh - `relayguard-ctl check` explains real verdicts: a real
# rbldnsd, a real redis-server shared by two "mail servers", Redis killed.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
rg_require rbldnsd redis-server redis-cli

CTL="$RG_TOP_BUILDDIR/ctl/relayguard-ctl"
cp "$RG_TOP_SRCDIR"/tests/data/engine/* "$RUN/"
DNS_PORT=$(rg_free_port)
rg_start_rbldnsd "$DNS_PORT" \
	bl1.test:ip4set:bl1.ip4set bl1.test:ip6trie:bl1.ip6trie bl1.test:generic:common.generic \
	bl2.test:ip4set:bl2.ip4set wl.test:ip4set:wl.ip4set dom.test:dnset:dom.dnset
REDIS_PORT=$(rg_free_port)
rg_start_redis "$REDIS_PORT"

cat >"$RUN/rg.conf" <<CONF
dns_servers = 127.0.0.1:$DNS_PORT
dnsbl_sites = bl1.test=127.0.0.[2..4]*2, bl2.test, wl.test=127.0.10.[0..255]*-5
dnsbl_threshold = 2
dnsbl_timeout = 2s
dnsbl_probe_interval = 0
dnsbl_reply_map = bl1.test=First-List
redis_server = 127.0.0.1:$REDIS_PORT
redis_prefix = ctltest:
report_spool = $RUN/spool
stats_dir = $RUN/stats
stats_history_dir = $RUN/history
CONF

a_queries() { grep -c "$1.* A " "$RUN/rbldnsd.log"; }

out=$("$CTL" -c "$RUN/rg.conf" check 192.0.2.6); rc=$?
rg_is "$rc" 1 "a listed client: exit status 1"
rg_like "$out" "^bl1.test +dnsbl +listed +2 +127.0.0.3 +lookup" "the explanation shows bl1's answer, weight, code and layer"
rg_like "$out" "score 3 \(threshold 2\) -> reject" "the score and the action"
rg_like "$out" "reply: 550 5.7.1 Service unavailable; client \[192.0.2.6\] blocked using First-List: Open proxy 192.0.2.6 listed in bl1" \
	"the reply shows the mapped name and the TXT text"

before=$(a_queries 6.2.0.192.bl1.test)
out=$("$CTL" -c "$RUN/rg.conf" check --json 192.0.2.6); rc=$?
rg_is "$rc" 1 "the second check (another process) is listed too"
rg_like "$out" '"cache":"redis"' "and answered from Redis"
rg_is "$(a_queries 6.2.0.192.bl1.test)" "$before" "without a DNS query"
rg_like "$out" '^\{"client":"192.0.2.6","skip":null,"score":3,"action":"reject"' "--json prints one object"
rg_like "$("$CTL" -c "$RUN/rg.conf" check 192.0.2.6 --json)" '^\{"client":"192.0.2.6","skip":null,"score":3,' \
	"options may follow the address"
rg_like "$("$CTL" -c "$RUN/rg.conf" check 192.0.2.6 --helo x.example --json)" '^\{"client":"192.0.2.6",.*"score":3,' \
	"... several of them"
rg_is "$(printf '%s' "$out" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["sources"][0]["code"], d["score"])')" \
	"127.0.0.3 3" "the JSON parses, with codes and score"

key_ttl=$(redis-cli -p "$REDIS_PORT" ttl ctltest:v2:c:{192.0.2.6}:bl1.test)
rg_ok "$([ "${key_ttl:-0}" -ge 250 ] && [ "${key_ttl:-0}" -le 300 ] && echo 0 || echo 1)" \
	"a listing is kept in Redis for the zone's TTL (ttl $key_ttl, zone TTL 300)"
neg_ttl=$(redis-cli -p "$REDIS_PORT" ttl ctltest:v2:c:{192.0.2.6}:wl.test)
rg_ok "$([ "${neg_ttl:-0}" -ge 850 ] && [ "${neg_ttl:-0}" -le 900 ] && echo 0 || echo 1)" \
	"a negative answer is kept for dnsbl_negative_ttl (ttl $neg_ttl, 15m)"

rg_is "$(redis-cli -p "$REDIS_PORT" xlen ctltest:reports) $(cat "$RUN"/spool/* 2>/dev/null | wc -c)" "0 0" \
	"an operator's check is not reported (no stream entry, no journal entry)"

# An answer outside the zone's filter: the code it got, and why it does not count.
out=$("$CTL" -c "$RUN/rg.conf" check 192.0.2.30); rc=$?
rg_is "$rc" 0 "a code outside the filter: not listed (exit status 0)"
rg_like "$out" "^bl1.test +dnsbl +not-listed +2 +127\.0\.0\.10 +lookup .*filtered out: the code is outside the filter 127\.0\.0\.\[2\.\.4\]" \
	"the check shows the code it got and that the filter left it out"
out=$("$CTL" -c "$RUN/rg.conf" check --json 192.0.2.31)
rg_like "$out" '"answer":"not-listed","weight":2,"code":null,"filtered_code":null' \
	"an address the zone does not list has no filtered code"
printf 'dns_servers = 127.0.0.1:%s\ndnsbl_sites = bl1.test=127.0.0.[2..4]*2\ndnsbl_timeout = 2s\ndnsbl_probe_interval = 0\nreport_enable = no\nstats_dir =\n' \
	"$DNS_PORT" >"$RUN/nocache.conf"
rg_like "$("$CTL" -c "$RUN/nocache.conf" check --json 192.0.2.30)" '"code":null,"filtered_code":"127.0.0.10"' \
	"--json: filtered_code"

# The header line: only where a door adds a header (tag, quarantine).
out=$("$CTL" -c "$RUN/rg.conf" check 192.0.2.20); rc=$?
rg_like "$out" "score -2 \(threshold 2\), allowlisted -> pass" "an allowlisted client passes"
rg_ok "$(printf '%s\n' "$out" | grep -q '^header:' && echo 1 || echo 0)" "an allowlisted pass shows no header (no door adds one)"
rg_like "$("$CTL" -c "$RUN/rg.conf" check --json 192.0.2.20)" '"header":null' "... nor in --json"
sed 's/^dnsbl_threshold = 2$/dnsbl_threshold = 2\ndnsbl_action = tag/' "$RUN/rg.conf" >"$RUN/tag.conf"
out=$("$CTL" -c "$RUN/tag.conf" check 192.0.2.6)
rg_like "$out" "^header: X-Relayguard: " "tag: the header a door adds, with its name"
sed 's/^dnsbl_action = tag$/dnsbl_action = quarantine/' "$RUN/tag.conf" >"$RUN/quarantine.conf"
rg_like "$("$CTL" -c "$RUN/quarantine.conf" check 192.0.2.6)" "^header: X-Relayguard: " "quarantine: the header too"
rg_like "$("$CTL" -c "$RUN/quarantine.conf" check 192.0.2.6)" '^quarantine reason: relayguard: client \[192\.0\.2\.6\] listed in First-List$' \
	"quarantine: the reason both doors give, rendered by the engine"
rg_like "$("$CTL" -c "$RUN/quarantine.conf" check --json 192.0.2.6)" '"quarantine_reason":"relayguard: client \[192.0.2.6\] listed in ' \
	"... and in --json"
sed 's/^dnsbl_action = tag$/dnsbl_action = log/' "$RUN/tag.conf" >"$RUN/log.conf"
rg_ok "$("$CTL" -c "$RUN/log.conf" check 192.0.2.6 | grep -q '^header:' && echo 1 || echo 0)" \
	"log: no header (no door adds one)"

"$CTL" -c "$RUN/rg.conf" check 192.0.2.99 >/dev/null; rc=$?
rg_is "$rc" 0 "an unlisted client: exit status 0"
"$CTL" -c "$RUN/rg.conf" check not-an-address >/dev/null 2>&1; rc=$?
rg_is "$rc" 2 "a bad address: exit status 2"
out=$("$CTL" -c "$RUN/rg.conf" check 10.1.2.3); rc=$?
rg_is "$rc" 0 "a private address is skipped"
rg_like "$out" "skipped: special" "and the explanation says why"

# Redis goes away: checks go on with DNS.
rg_stop "$RG_REDIS_PID"
start=$(date +%s%N)
out=$("$CTL" -c "$RUN/rg.conf" check 192.0.2.5 2>"$RUN/ctl.err"); rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
rg_is "$rc" 1 "Redis down: a listed client is still listed"
rg_like "$out" "^bl1.test +dnsbl +listed .* lookup" "answered by DNS"
rg_ok "$([ "$ms" -lt 3000 ] && echo 0 || echo 1)" "without waiting long for Redis ($ms ms)"

# Redis comes back (empty, on the same port): answers are cached there again.
rg_start_redis "$REDIS_PORT"
"$CTL" -c "$RUN/rg.conf" check 192.0.2.5 >/dev/null
out=$("$CTL" -c "$RUN/rg.conf" check --json 192.0.2.5); rc=$?
rg_is "$rc" 1 "Redis restarted: still listed"
rg_like "$out" '"cache":"redis"' "and cached in the new Redis again"

# Broken configurations stop the check with a clear message.
printf 'dnsbl_sites = bl1.test=127.0.0.[2..300]\n' >"$RUN/bad.conf"
err=$("$CTL" -c "$RUN/bad.conf" check 192.0.2.5 2>&1); rc=$?
rg_is "$rc" 2 "a bad config: exit status 2"
rg_like "$err" "bad.conf:1:" "the error names file and line"
printf 'reject_message = blocked {clent}\n' >"$RUN/badtpl.conf"
err=$("$CTL" -c "$RUN/badtpl.conf" check 192.0.2.5 2>&1); rc=$?
rg_is "$rc" 2 "a bad template: exit status 2"
rg_like "$err" "reject_message: unknown field 'clent'" "the error names the setting and the field"

# The tag header at and past VERDICT_HEADER_LISTS_MAX (64) listed sources:
# every name reaches the header value (no silent cut at 64).
mkdir -p "$RUN/many"
lists=""
names=""
for i in $(seq -w 1 65); do
	echo "192.0.2.9" >"$RUN/many/f$i.txt"
	lists="$lists${lists:+, }f$i:$RUN/many/f$i.txt"
	names="$names${names:+,}f$i"
	if [ "$i" = 64 ]; then LISTS64=$lists; NAMES64=$names; fi
done
for n in 64 65; do
	if [ $n = 64 ]; then fl=$LISTS64; want=$NAMES64; else fl=$lists; want=$names; fi
	printf 'file_lists = %s\ndnsbl_action = tag\nmyhostname = mx.example\nreport_enable = no\nreport_spool = %s\nstats_dir = %s\n' \
		"$fl" "$RUN/spool" "$RUN/stats" >"$RUN/many.conf"
	rg_is "$("$CTL" -c "$RUN/many.conf" check 192.0.2.9 | grep '^header:')" \
		"header: X-Relayguard: listed action=tag score=$n lists=$want host=mx.example" \
		"$n listed file lists: all $n names in the tag header"
done

rg_done
