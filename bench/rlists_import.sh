#!/bin/sh
# rlists_import.sh - import benchmark for Redis range lists: generate a list
# of N separate ranges (default 1,000,000; a quarter IPv6), import it into a
# throwaway redis-server with `relayguard-ctl import`, re-import it (the
# swap of a live list), and report seconds, ranges per second and Redis
# memory per range, plus the lookup latency of `relayguard-ctl check`.
#
# usage: bench/rlists_import.sh [N]    (run from a build folder, or set
#        top_builddir; top_srcdir defaults to this script's checkout)
set -u
N=${1:-1000000}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
export top_srcdir top_builddir
. "$top_srcdir/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
rg_require redis-server redis-cli python3

CTL="$top_builddir/ctl/relayguard-ctl"
[ -x "$CTL" ] || rg_bail "no $CTL: run from a build folder or set top_builddir"
PORT=$(rg_free_port)
rg_start_redis "$PORT"
cat >"$RUN/rg.conf" <<CONF
redis_server = 127.0.0.1:$PORT
redis_prefix = bench:
redis_lists = bench.test
report_enable = no
CONF

# N ranges that never touch: /32s and /30s in IPv4, /64s and /56s in IPv6,
# with three codes and texts, as a big real-world list has.
python3 - "$N" "$RUN/bench.ip4set" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
v6 = n // 4
with open(path, "w") as f:
    f.write(":2:Listed $\n")
    for i in range(n - v6):
        a = 0x0b000000 + i * 8			# from 11.0.0.0, a gap after each
        addr = f"{a >> 24}.{a >> 16 & 255}.{a >> 8 & 255}.{a & 255}"
        if i % 3 == 0:
            f.write(f"{addr}/30 :3:Proxy $\n")
        else:
            f.write(f"{addr}\n")
    for i in range(v6):
        w = 2 * i
        f.write(f"2001:db8:{w >> 16:x}:{w & 0xffff:x}::/64\n")
PY
echo "# $(wc -l <"$RUN/bench.ip4set") lines, $(du -h "$RUN/bench.ip4set" | cut -f1)"

for pass in first re-import; do
	start=$(date +%s.%N)
	out=$("$CTL" -c "$RUN/rg.conf" import bench.test "$RUN/bench.ip4set" 2>&1) || rg_bail "import failed: $out"
	end=$(date +%s.%N)
	echo "$pass: $out"
	echo "$pass: wall $(echo "$end - $start" | bc 2>/dev/null || python3 -c "print($end - $start)") s"
done
ranges=$(redis-cli -p "$PORT" zcard 'bench:v2:{rl}:l:bench.test')
used=$(redis-cli -p "$PORT" info memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p')
echo "ranges in Redis: $ranges; used_memory of the server: $used bytes ($(python3 -c "print(round($used / $ranges, 1))") bytes/range)"

start=$(date +%s%N)
for i in 1 2 3 4 5 6 7 8 9 10; do
	"$CTL" -c "$RUN/rg.conf" check 11.0.0.8 >/dev/null 2>&1
done
end=$(date +%s%N)
"$CTL" -c "$RUN/rg.conf" check 11.0.0.8 2>/dev/null | grep '^bench.test'
echo "relayguard-ctl check (process start included): $(( (end - start) / 10000000 )) ms each"
