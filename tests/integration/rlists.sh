#!/bin/sh
# rlists.sh - range lists imported into a real redis-server with
# `relayguard-ctl import`, looked up by `relayguard-ctl check` (the engine),
# by the engine twice in one process (LRU), and by rlists directly while the
# list is re-imported under 10 concurrent lookups; `lists`, `drop`, bad files,
# and lists missing in Redis.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
rg_require redis-server redis-cli python3

CTL="$RG_TOP_BUILDDIR/ctl/relayguard-ctl"
DRIVER="$RG_TOP_BUILDDIR/tests/integration/rlists_driver"
REDIS_PORT=$(rg_free_port)
rg_start_redis "$REDIS_PORT"
SERVER="127.0.0.1:$REDIS_PORT"
PREFIX="rltest:"
rcli() { redis-cli -p "$REDIS_PORT" "$@"; }

cat >"$RUN/rg.conf" <<CONF
redis_server = $SERVER
redis_prefix = $PREFIX
redis_lists = v4.test*2, v6.test=127.0.0.[2..3], plain.test, missing.test
dnsbl_threshold = 2
dnsbl_timeout = 2s
dnsbl_probe_interval = 0
report_enable = no
CONF
printf 'redis_lists = v4.test\nreport_enable = no\n' >"$RUN/noredis.conf"

# Overlaps and exclusions as rbldnsd serves them (listfile.h): in ip4set
# the most specific octet boundary wins and an exclusion beats a listing of
# the same piece (192.0.2.200 stays excluded); in ip6trie the longest prefix.
cat >"$RUN/v4.ip4set" <<'EOF'
:3:Open relay $
192.0.2.0/24
!192.0.2.128/25
192.0.2.200 :5:inside the exclusion
198.51.100.0/24
!198.51.100.10-198.51.100.255
198.51.100.5 :6:more specific $
203.0.113
EOF
cat >"$RUN/v6.ip6trie" <<'EOF'
:2:v6 proxy $
2001:db8:64:1
2001:db8:100::/40
!2001:db8:100:ff::/64
2001:db8:100:fe::/64 :4:filtered out
EOF
cat >"$RUN/plain.cidr" <<'EOF'
# a plain list
203.0.113.64/26   # web proxies
2001:db8:abcd::/48
EOF
printf '::/0\n' >"$RUN/all6.ip6trie"
printf '' >"$RUN/empty.cidr"

out=$("$CTL" -c "$RUN/rg.conf" import v4.test "$RUN/v4.ip4set" 2>"$RUN/err"); rc=$?
rg_is "$rc" 0 "import an ip4set"
rg_like "$out" "^imported v4.test: 7 entries, [0-9]+ ranges, 2 texts, 0 bad lines skipped, [0-9.]+ s, [0-9.]+ [kM]?B in Redis" \
	"a one-line summary when stderr is not a terminal"
rg_is "$(wc -l <"$RUN/err")" 0 "and no progress bar on a file"
"$CTL" -c "$RUN/rg.conf" import v6.test "$RUN/v6.ip6trie" --format ip6trie >/dev/null; rc=$?
rg_is "$rc" 0 "import an ip6trie (options after the arguments)"
"$CTL" -c "$RUN/rg.conf" import plain.test "$RUN/plain.cidr" --format cidr >/dev/null; rc=$?
rg_is "$rc" 0 "import a plain CIDR list"
"$CTL" -c "$RUN/rg.conf" import all6.test "$RUN/all6.ip6trie" --format ip6trie >/dev/null; rc=$?
rg_is "$rc" 0 "import ::/0"
"$CTL" -c "$RUN/rg.conf" import empty.test "$RUN/empty.cidr" --format cidr >/dev/null; rc=$?
rg_is "$rc" 0 "import an empty list"


# answer ADDR LIST: "answer code text" of LIST in `relayguard-ctl check --json`.
answer() {
	"$CTL" -c "$RUN/rg.conf" check --json "$1" 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
for s in d["sources"]:
    if s["name"] == sys.argv[1]:
        print(" ".join(str(x) for x in (s["answer"], s["code"] or "-", s["txt"] or s["error"] or "")).strip())
' "$2"
}
# lookup ADDR LIST: the answer of rlists itself.
lookup() { "$DRIVER" lookup "$SERVER" "$PREFIX" "$1" "$2" | cut -d' ' -f2-; }

# Spamhaus DROP/DROPv6 as published: "; SBLnnnn" after the network is kept as
# the entry's text (it was refused with "text after the network").
cat >"$RUN/drop.txt" <<'EOF'
; Spamhaus DROP List 2026/12/06 - (c) 2026 The Spamhaus Project SLU
; Last-Modified: Sun, 06 Dec 2026 10:00:00 GMT
192.0.2.0/24 ; SBL256894
2001:db8:d00::/40 ; SBL301771
EOF
out=$("$CTL" -c "$RUN/rg.conf" import drop.test "$RUN/drop.txt" --format cidr 2>&1); rc=$?
rg_is "$rc" 0 "import a Spamhaus DROP file with --format cidr"
rg_like "$out" "^imported drop.test: 2 entries, 2 ranges, 2 texts, 0 bad lines" "both networks, each with its text"
rg_is "$(lookup 192.0.2.77 drop.test)" "listed 127.0.0.2 SBL256894" "the SBL reference is the entry's text"
rg_is "$(lookup 2001:db8:d00::1 drop.test)" "listed 127.0.0.2 SBL301771" "DROPv6 too"
# The JSON form of the same lists (drop_v4.json: one object a line, then a
# metadata object without "cidr").
cat >"$RUN/drop_v4.json" <<'EOF'
{"cidr":"192.0.2.0/24","sblid":"SBL256894","rir":"apnic"}
{"cidr":"198.51.100.0/24","sblid":"SBL283744","rir":"ripencc"}
{"type":"metadata","timestamp":1765000000,"size":134,"records":2,"copyright":"(c) 2026 The Spamhaus Project SLU","terms":"https://www.spamhaus.org/drop/terms/"}
EOF
out=$("$CTL" -c "$RUN/rg.conf" import drop.test "$RUN/drop_v4.json" --format cidr 2>&1); rc=$?
rg_is "$rc" 0 "import drop_v4.json with --format cidr"
rg_like "$out" "^imported drop.test: 2 entries, 2 ranges, 2 texts, 0 bad lines" "two networks, the metadata line skipped"
rg_is "$(lookup 198.51.100.1 drop.test)" "listed 127.0.0.2 SBL283744" "the JSON sblid is the entry's text"
"$CTL" -c "$RUN/rg.conf" drop drop.test >/dev/null 2>&1

while read -r addr list want; do
	rg_is "$(answer "$addr" "$list")" "$want" "check $addr in $list: $want"
done <<'EOF'
192.0.2.0 v4.test listed 127.0.0.3 Open relay 192.0.2.0
192.0.2.127 v4.test listed 127.0.0.3 Open relay 192.0.2.127
192.0.2.128 v4.test not-listed -
192.0.2.199 v4.test not-listed -
192.0.2.200 v4.test not-listed -
192.0.2.201 v4.test not-listed -
192.0.2.255 v4.test not-listed -
192.0.1.255 v4.test not-listed -
198.51.100.0 v4.test listed 127.0.0.3 Open relay 198.51.100.0
198.51.100.4 v4.test listed 127.0.0.3 Open relay 198.51.100.4
198.51.100.5 v4.test listed 127.0.0.6 more specific 198.51.100.5
198.51.100.6 v4.test listed 127.0.0.3 Open relay 198.51.100.6
198.51.100.9 v4.test listed 127.0.0.3 Open relay 198.51.100.9
198.51.100.10 v4.test not-listed -
203.0.112.255 v4.test not-listed -
203.0.113.0 v4.test listed 127.0.0.3 Open relay 203.0.113.0
203.0.113.255 v4.test listed 127.0.0.3 Open relay 203.0.113.255
203.0.114.0 v4.test not-listed -
2001:db8:64:1:: v6.test listed 127.0.0.2 v6 proxy 2001:db8:64:1::
2001:db8:64:1:ffff:ffff:ffff:ffff v6.test listed 127.0.0.2 v6 proxy 2001:db8:64:1:ffff:ffff:ffff:ffff
2001:db8:64:0:ffff:ffff:ffff:ffff v6.test not-listed -
2001:db8:64:2:: v6.test not-listed -
2001:db8:100:: v6.test listed 127.0.0.2 v6 proxy 2001:db8:100::
2001:db8:100:ff::1 v6.test not-listed -
2001:db8:100:fe::1 v6.test not-listed -
2001:db8:1ff:ffff:ffff:ffff:ffff:ffff v6.test listed 127.0.0.2 v6 proxy 2001:db8:1ff:ffff:ffff:ffff:ffff:ffff
2001:db8:200:: v6.test not-listed -
192.0.2.1 v6.test not-listed -
203.0.113.64 plain.test listed 127.0.0.2
203.0.113.127 plain.test listed 127.0.0.2
203.0.113.63 plain.test not-listed -
203.0.113.128 plain.test not-listed -
2001:db8:abcd:ffff:ffff:ffff:ffff:ffff plain.test listed 127.0.0.2
2001:db8:abce:: plain.test not-listed -
192.0.2.1 missing.test error - list missing.test missing in Redis
EOF

rg_is "$(lookup 2001:db8:100:fe::1 v6.test)" "listed 127.0.0.4 filtered out" \
	"without the engine the code the filter drops is there"
rg_is "$(lookup 192.0.2.1 all6.test)" "not-listed" "::/0 does not list IPv4 (::ffff:0:0/96 is cut out)"
rg_is "$(lookup ::fffe:ffff:ffff all6.test)" "listed 127.0.0.2 " "::/0 lists the address before ::ffff:0:0/96"
rg_is "$(lookup ::1:0:0:0 all6.test)" "listed 127.0.0.2 " "and the one after it"
rg_is "$(lookup 192.0.2.1 empty.test)" "not-listed" "an empty list answers not listed, not missing"
rg_is "$(lookup 192.0.2.1 nosuch.test)" "error list nosuch.test missing in Redis" "a list missing in Redis is an error"

out=$("$CTL" -c "$RUN/rg.conf" check 192.0.2.1 2>"$RUN/err"); rc=$?
rg_is "$rc" 1 "check: a client in v4.test (weight 2) is listed"
rg_like "$out" "^v4.test +redis-list +listed +2 +127.0.0.3 +lookup" "check explains the redis-list source"
rg_like "$out" "^missing.test +redis-list +error" "the missing list is an error in the explanation"
rg_is "$(grep -c 'missing.test is missing in Redis' "$RUN/err")" 1 "and logged once"

out=$("$DRIVER" engine "$RUN/rg.conf" 198.51.100.5 2>/dev/null)
rg_like "$out" "1 v4.test listed lookup 127.0.0.6" "engine: the first check asks Redis"
rg_like "$out" "2 v4.test listed memory 127.0.0.6" "engine: the second is answered by the in-process LRU"
rg_like "$out" "1 missing.test error lookup - list missing.test missing in Redis" "engine: a missing list is an error"
rg_like "$out" "2 missing.test error lookup" "engine: errors are not cached"
rg_like "$out" "1 score 2" "engine: scored with the weights"
rg_is "$(rcli --scan --pattern "${PREFIX}v2:c:*" | wc -l)" 0 "redis-list answers are not written to the Redis cache"

# Re-import under load: 10 lookups always in flight; the addresses are in both copies.
python3 - "$RUN" <<'PY'
import sys
run = sys.argv[1]
for name, extra in (("big1", 0), ("big2", 1)):
    with open(f"{run}/{name}.ip4set", "w") as f:
        f.write(":2:big\n")
        for i in range(150000):
            f.write(f"20.{i >> 8 & 255}.{i & 255}.{1 + 2 * (i >> 16)}\n")
        if extra:
            for i in range(50000):
                f.write(f"21.{i >> 8 & 255}.{i & 255}.1\n")
PY
"$CTL" -c "$RUN/rg.conf" import big.test "$RUN/big1.ip4set" >/dev/null || rg_bail "big import failed"
RLD_STOP_FILE="$RUN/stop" "$DRIVER" hammer "$SERVER" "$PREFIX" big.test 60000 20.0.0.1 20.0.255.1 20.100.7.3 20.255.255.3 20.1.1.5 \
	>"$RUN/hammer.out" 2>"$RUN/hammer.err" &
HAMMER=$!
rg_track "$HAMMER"
sleep 0.3
reimports=0
for f in big2 big1 big2; do
	"$CTL" -c "$RUN/rg.conf" import big.test "$RUN/$f.ip4set" >/dev/null && reimports=$((reimports + 1))
	rcli script flush >/dev/null	# EVALSHA gets NOSCRIPT: the lookup falls back to EVAL
done
sleep 0.3
: >"$RUN/stop"
wait "$HAMMER"
rg_is "$reimports" 3 "three re-imports while lookups run"
read -r _ lookups _ listed _ misses _ errors <"$RUN/hammer.out"
rg_ok "$([ "${lookups:-0}" -gt 1000 ] && echo 0 || echo 1)" "the 10 clients looked up all along ($lookups lookups)"
rg_is "$misses $errors" "0 0" "no lookup saw a miss or an error during the swaps and SCRIPT FLUSHes"
rg_is "$(rcli --scan --pattern "${PREFIX}*:tmp:*" | wc -l)" 0 "no temporary key is left"
rg_is "$(rcli zcard "${PREFIX}v2:{rl}:l:big.test")" 200000 "the last copy is the one in Redis"

# A malformed file: bad lines reported as file:line, nothing swapped in.
cat >"$RUN/bad.ip4set" <<'EOF'
192.0.2.0/24
999.1.2.3
203.0.113.0/24
not-an-address
EOF
before=$(rcli zrange "${PREFIX}v2:{rl}:l:v4.test" 0 -1 | md5sum)
"$CTL" -c "$RUN/rg.conf" import v4.test "$RUN/bad.ip4set" >"$RUN/out" 2>"$RUN/err"; rc=$?
rg_is "$rc" 1 "a file with bad lines fails the import"
rg_like "$(cat "$RUN/err")" "bad.ip4set:2: " "the first bad line is reported with file:line"
rg_like "$(cat "$RUN/err")" "bad.ip4set:4: " "and the second"
rg_like "$(cat "$RUN/err")" "2 bad lines .*nothing imported" "the import says nothing was imported"
rg_is "$(rcli zrange "${PREFIX}v2:{rl}:l:v4.test" 0 -1 | md5sum)" "$before" "the live list is unchanged"
rg_is "$(answer 192.0.2.0 v4.test)" "listed 127.0.0.3 Open relay 192.0.2.0" "and still answers"
rg_is "$(rcli --scan --pattern "${PREFIX}*:tmp:*" | wc -l)" 0 "no temporary key is left"
"$CTL" -c "$RUN/rg.conf" import v4.test "$RUN/nonexistent" >/dev/null 2>"$RUN/err"; rc=$?
rg_is "$rc" 1 "a missing file fails the import"
rg_like "$(cat "$RUN/err")" "nonexistent: No such file" "with the reason"
"$CTL" -c "$RUN/rg.conf" import v4.test "$RUN/v4.ip4set" --format bogus >/dev/null 2>&1; rc=$?
rg_is "$rc" 2 "an unknown --format is a usage error"
"$CTL" -c "$RUN/rg.conf" import 'Bad:Name' "$RUN/v4.ip4set" >/dev/null 2>"$RUN/err"; rc=$?
rg_is "$rc" 1 "a list name with ':' is refused"
"$CTL" -c "$RUN/noredis.conf" import v4.test "$RUN/v4.ip4set" >/dev/null 2>"$RUN/err"; rc=$?
rg_is "$rc" 1 "import without redis_server fails"
rg_like "$(cat "$RUN/err")" "none of redis_server, redis_sentinels, redis_cluster_nodes is set" "with a clear message"

# --skip-bad-lines imports the rest; a re-import replaces the old copy entirely.
out=$("$CTL" -c "$RUN/rg.conf" import v4.test "$RUN/bad.ip4set" --skip-bad-lines 2>/dev/null); rc=$?
rg_is "$rc" 0 "--skip-bad-lines imports the good lines"
rg_like "$out" "2 bad lines skipped" "and counts the bad ones"
rg_is "$(answer 198.51.100.5 v4.test)" "not-listed -" "the old copy is gone after the swap"
rg_is "$(answer 203.0.113.7 v4.test)" "listed 127.0.0.2" "the new one answers"
rg_is "$(rcli hget "${PREFIX}v2:{rl}:l:v4.test:m" texts)" 0 "the new copy has no texts"
rg_is "$(rcli exists "${PREFIX}v2:{rl}:l:v4.test:t")" 0 "and the old texts are deleted"

# lists and drop
out=$("$CTL" -c "$RUN/rg.conf" lists); rc=$?
rg_is "$rc" 0 "lists"
rg_like "$out" "^list +entries +ranges +age +memory" "lists prints a header"
rg_like "$out" "big.test +200000 +200000 +[0-9]+[sm] +[0-9.]+ MB +auto +.*big2.ip4set" "with entries, ranges, age, memory, format and source"
rg_like "$out" "v6.test +4 +[0-9]+ +[0-9]+[sm]" "every list is there (its age in s, or in m on a slow machine)"
rg_is "$(printf '%s\n' "$out" | sed 1d | awk '{print $1}' | tr '\n' ' ')" \
	"all6.test big.test empty.test plain.test v4.test v6.test " "sorted by name"
"$CTL" -c "$RUN/rg.conf" drop plain.test >/dev/null; rc=$?
rg_is "$rc" 0 "drop a list"
rg_is "$(rcli --scan --pattern "${PREFIX}v2:{rl}:l:plain.test*" | wc -l)" 0 "every key of it is gone"
rg_ok "$("$CTL" -c "$RUN/rg.conf" lists | grep -q '^plain.test' && echo 1 || echo 0)" "lists no longer shows it"
rg_is "$(answer 203.0.113.64 plain.test)" "error - list plain.test missing in Redis" \
	"a dropped list that is still configured is an error, not not-listed"
"$CTL" -c "$RUN/rg.conf" drop plain.test >/dev/null 2>"$RUN/err"; rc=$?
rg_is "$rc" 1 "dropping it again fails"
rg_like "$(cat "$RUN/err")" "no list plain.test in Redis" "and says why"

# Redis down: an error for every redis-list source, never not-listed.
rg_stop "$RG_REDIS_PID"
rg_is "$(answer 192.0.2.1 v4.test)" "error - Redis unavailable" "Redis down: the source is an error"
"$CTL" -c "$RUN/rg.conf" lists >/dev/null 2>"$RUN/err"; rc=$?
rg_is "$rc" 1 "lists with Redis down fails"
rg_like "$(cat "$RUN/err")" "cannot connect" "with the reason"

rg_done
