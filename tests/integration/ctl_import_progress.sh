#!/bin/sh
# ctl_import_progress.sh - `relayguard-ctl import` into a real redis-server
# draws its progress bar on a terminal (script(1) gives it a pty): while
# reading, lines read, bad lines and lines per second; while storing, ranges
# sent and their rate; the last reading line holds the file's exact counts.
# With standard error on a file or a pipe it draws nothing: only the
# one-line summary on standard output.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
rg_require redis-server redis-cli script
CTL="$RG_TOP_BUILDDIR/ctl/relayguard-ctl"
[ -x "$CTL" ] || rg_bail "$CTL not built"
REDIS_PORT=$(rg_free_port)
rg_start_redis "$REDIS_PORT"
printf 'redis_server = 127.0.0.1:%s\nredis_prefix = ip:\nreport_enable = no\n' "$REDIS_PORT" >"$RUN/rg.conf"

# 20000 addresses of 10.0.0.0/16 and 10.1.0.0/16, every 5000th line bad
awk 'BEGIN { for (i = 1; i <= 20000; i++) {
	if (i % 5000 == 0) print "not-an-address-" i; else printf "10.%d.%d.%d\n", int(i / 65536), int(i / 256) % 256, i % 256 } }' \
	>"$RUN/big.ip4set"

# On a terminal: script -q runs the command on a pty and copies what it wrote.
script -qec "'$CTL' -c '$RUN/rg.conf' import big.test '$RUN/big.ip4set' --skip-bad-lines" /dev/null \
	>"$RUN/tty.out" 2>&1
rg_ok $? "import on a terminal"
tr '\r' '\n' <"$RUN/tty.out" | sed 's/\x1b\[K//g' >"$RUN/tty.lines"
sed 's/^/# /' "$RUN/tty.lines" | grep -v '^# $' | tail -8
rg_like "$(grep 'reading' "$RUN/tty.lines" | tail -1)" \
	"^big\.test reading \[#{40}\] 100% 20000 lines, 4 bad, [0-9]+ lines/s" \
	"the reading bar: lines read, bad lines, rate (its last state: the whole file)"
rg_like "$(grep 'storing' "$RUN/tty.lines" | tail -1)" \
	"^big\.test storing \[#{40}\] 100% [0-9]+/[0-9]+ ranges, [0-9]+ ranges/s" "the storing bar: ranges and rate"
rg_like "$(cat "$RUN/tty.lines")" "imported big\.test: 19996 entries, .* 4 bad lines skipped" "then the summary"

# Not a terminal: nothing but the summary.
"$CTL" -c "$RUN/rg.conf" import big.test "$RUN/big.ip4set" --skip-bad-lines >"$RUN/file.out" 2>"$RUN/file.err"
rg_ok $? "import with standard error on a file"
rg_is "$(grep -c 'reading\|storing' "$RUN/file.err")" 0 "no progress bar on a file"
rg_is "$(tr -cd '\r' <"$RUN/file.err" | wc -c)" 0 "no carriage returns either"
rg_like "$(cat "$RUN/file.out")" "^imported big\.test: 19996 entries" "the summary on standard output"
"$CTL" -c "$RUN/rg.conf" import big.test "$RUN/big.ip4set" --skip-bad-lines 2>&1 | cat >"$RUN/pipe.out"
rg_is "$(grep -c 'reading\|storing' "$RUN/pipe.out")" 0 "no progress bar into a pipe"
rg_done
