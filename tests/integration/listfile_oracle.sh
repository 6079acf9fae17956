#!/bin/sh
# listfile_oracle.sh - rbldnsd is the reference for its own dataset formats:
# every file of tests/data/listfile/ is served by a real rbldnsd (the dataset
# type is the file's extension) and read by relayguard (common/listfile, as
# file_lists and relayguard-ctl import read it); for sampled addresses the
# answers (listed, A code, TXT text) must agree, also once the file is
# imported into a real redis-server and looked up there.  The comparison and the
# documented differences are in listfile_oracle.py.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
rg_require rbldnsd dig redis-server

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
DRIVER="$RG_TOP_BUILDDIR/tests/integration/listfile_driver"
DATA="$RG_TOP_SRCDIR/tests/data/listfile"
[ -x "$DRIVER" ] || rg_bail "no $DRIVER"

# rbldnsd reads the files as its own user: copies under $RUN.  The types
# relayguard has and rbldnsd does not: "auto" is ip4set + ip6trie, "cidr"
# is ip4trie + ip6trie (one zone, two datasets).
mkdir -p "$RUN/data"
chmod 755 "$RUN/data"
set --
for f in "$DATA"/*.*; do
	base=$(basename "$f")
	zone=$(echo "$base" | tr . -).oracle
	ext=${base##*.}
	cp "$f" "$RUN/data/$base"
	case "$base" in
	*.crlf.*) tr -d '\r' <"$f" >"$RUN/data/$base.lf"; served="$RUN/data/$base.lf" ;;
	*) served="$RUN/data/$base" ;;
	esac
	chmod 644 "$RUN/data/$base" "$served"
	case "$ext" in
	auto)
		# relayguard reads a line of an auto file as one family (see
		# listfile_oracle.py, AUTO): rbldnsd's ip6trie copy leaves out the
		# lines that relayguard reads as IPv4.
		grep -v -E '^[[:space:]]*!?[[:space:]]*[^:[:space:]#;$]*[./-]' "$served" >"$served.v6"
		chmod 644 "$served.v6"
		set -- "$@" "$zone:ip4set:$served" "$zone:ip6trie:$served.v6" ;;
	cidr) set -- "$@" "$zone:ip4trie:$served" "$zone:ip6trie:$served" ;;
	*) set -- "$@" "$zone:$ext:$served" ;;
	esac
	FILES="${FILES:-} $RUN/data/$base"
done
PORT=$(rg_free_port)
rg_start_rbldnsd "$PORT" "$@"

REDIS_PORT=$(rg_free_port)
rg_start_redis "$REDIS_PORT"

# The corpus, one TAP line per file and path (listfile, then Redis).
# shellcheck disable=SC2086
"$PY" "$RG_TOP_SRCDIR/tests/integration/listfile_oracle.py" "$PORT" "$DRIVER" "$RUN" \
	--redis "127.0.0.1:$REDIS_PORT" $FILES >"$RUN/oracle.tap" 2>&1
grep -v '^1\.\.' "$RUN/oracle.tap"
RG_TESTS=$(grep -c -E '^(not )?ok ' "$RUN/oracle.tap")
RG_FAILED=$(grep -c '^not ok ' "$RUN/oracle.tap")
[ "$RG_TESTS" -gt 0 ] || rg_bail "listfile_oracle.py ran no test: $(cat "$RUN/oracle.tap")"

# End to end through file_lists and relayguard-ctl check: the dataset type
# named in file_lists decides, and agrees with rbldnsd serving that type.
# In ip4trie the /22 is the longest prefix; read as auto (ip4set) both
# lines are the same /24 pieces and the first wins.
printf '44.1.0.0/20 :4:twenty\n44.1.0.0/22 :5:twenty-two $\n' >"$RUN/e2e.ip4trie"
chmod 644 "$RUN/e2e.ip4trie"
rg_stop "$RG_RBLDNSD_PID"
rg_start_rbldnsd "$PORT" "trie.oracle:ip4trie:$RUN/e2e.ip4trie"
cat >"$RUN/rg.conf" <<CONF
file_lists = typed:ip4trie:$RUN/e2e.ip4trie, untyped:$RUN/e2e.ip4trie
report_enable = no
CONF
answer() {	# answer ADDR LIST: "answer code text" of LIST in check --json
	"$RG_TOP_BUILDDIR/ctl/relayguard-ctl" -c "$RUN/rg.conf" check --json "$1" 2>/dev/null | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
for s in d["sources"]:
    if s["name"] == sys.argv[1]:
        print(" ".join(str(x) for x in (s["answer"], s["code"] or "-", s["txt"] or "")).strip())
' "$2"
}
dns=$(dig @127.0.0.1 -p "$PORT" +short 5.1.1.44.trie.oracle A; dig @127.0.0.1 -p "$PORT" +short 5.1.1.44.trie.oracle TXT | tr -d '"')
rg_is "$(echo $dns)" "127.0.0.5 twenty-two 44.1.1.5" "rbldnsd (ip4trie) answers the /22"
rg_is "$(answer 44.1.1.5 typed)" "listed 127.0.0.5 twenty-two 44.1.1.5" \
	"file_lists NAME:ip4trie:/PATH gives rbldnsd's answer through relayguard-ctl check"
rg_is "$(answer 44.1.1.5 untyped)" "listed 127.0.0.4 twenty" \
	"the same file without a format is read as auto (ip4set): the first line wins"
rg_done
