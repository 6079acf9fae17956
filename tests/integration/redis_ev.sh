#!/bin/sh
# redis_ev.sh - common/redis_ev (hiredis on libevent, one write per loop
# turn) against a real redis-server: replies in order, about one loop turn
# per round trip (hiredis' own adapter needs two: the bound is checked on it
# too, so the check can fail), a write larger than the socket takes, the
# context freed by hiredis inside our callbacks, and a free with a write
# pending.  The C side is tests/integration/redis_ev_driver.c.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }

rg_require redis-server redis-cli
DRIVER="$RG_TOP_BUILDDIR/tests/integration/redis_ev_driver"
[ -x "$DRIVER" ] || rg_bail "$DRIVER not built (make check builds it)"

PORT=$(rg_free_port)
rg_start_redis "$PORT"
CLOSED=$(rg_free_port)

# run ADAPTER: the driver's lines into TAP; TURNS and ROUNDS from its count
run() {
	"$DRIVER" "$PORT" "$CLOSED" "$1" >"$RUN/$1.out" 2>"$RUN/$1.err"
	rg_is "$?" 0 "$1: the driver exits 0 (no sanitizer report)"
	rg_is "$(grep -c -E 'AddressSanitizer|runtime error|LeakSanitizer' "$RUN/$1.err")" 0 "$1: no sanitizer report"
	while IFS= read -r _line; do
		case $_line in
		"ok - "*) rg_ok 0 "$1: ${_line#ok - }" ;;
		"not ok - "*) rg_ok 1 "$1: ${_line#not ok - }" ;;
		turns=*) TURNS=${_line#turns=}; TURNS=${TURNS%% *}; ROUNDS=${_line##*rounds=}; echo "# $1: $_line" ;;
		*) echo "# $_line" ;;
		esac
	done <"$RUN/$1.out"
}

run redis_ev
# Round trips chained from the reply callbacks: the write goes out in the
# turn that read the replies.  A margin for replies split over two reads
# on a loaded machine.
rg_ok "$([ "${TURNS:-0}" -gt 0 ] && [ "$TURNS" -le $((ROUNDS * 5 / 4)) ]; echo $?)" \
	"redis_ev: at most 1.25 loop turns per round trip ($TURNS for $ROUNDS)"

run hiredis
rg_ok "$([ "${TURNS:-0}" -ge $((ROUNDS * 7 / 4)) ]; echo $?)" \
	"hiredis' adapter: a write event per round trip, 1.75 turns or more ($TURNS for $ROUNDS): the bound above tells them apart"

rg_done
