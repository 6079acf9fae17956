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

# shellcheck disable=SC2086
"$PY" "$RG_TOP_SRCDIR/tests/integration/listfile_oracle.py" "$PORT" "$DRIVER" "$RUN" \
	--redis "127.0.0.1:$REDIS_PORT" $FILES
