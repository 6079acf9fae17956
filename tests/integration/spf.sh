#!/bin/sh
# spf.sh - the spf and spf_pool modules against a real rbldnsd.
#
# Serves tests/data/spf/spf.test.generic (zone spf.test: pass, fail,
# softfail, neutral, include:, a:, mx:, redirect=, ip6:, two records, a bad
# mechanism, exp= with control bytes, no SPF, lookup limits) on a free
# loopback port and runs tests/integration/spf_driver (TAP), which also
# makes its own never-answering server for the temperror and timeout cases.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }

DATA=$RG_TOP_SRCDIR/tests/data/spf
DRIVER=$RG_TOP_BUILDDIR/tests/integration/spf_driver
[ -x "$DRIVER" ] || rg_bail "$DRIVER not built"
rg_require rbldnsd

cp "$DATA/spf.test.generic" "$RUN/" || rg_bail "missing $DATA/spf.test.generic"
chmod 644 "${RUN:?}"/*

PORT=$(rg_free_port)
rg_start_rbldnsd "$PORT" spf.test:generic:spf.test.generic

# The driver prints TAP; its plan is ours.  Its stderr is the module's log.
"$DRIVER" "$PORT" 2>"$RUN/driver.log" >"$RUN/driver.tap"
rc=$?
grep -v '^1\.\.' "$RUN/driver.tap"
RG_TESTS=$(grep -c '^\(not \)\{0,1\}ok ' "$RUN/driver.tap")
RG_FAILED=$(grep -c '^not ok ' "$RUN/driver.tap")
rg_ok "$rc" "driver exit status $rc"

# Every lookup went to our rbldnsd, and no SPF-type (99) query was sent.
rg_like "$(cat "$RUN/rbldnsd.log")" 'pass\.spf\.test' "lookups reached the test server"
spf99=$(grep -ci ' type99 \| TYPE99 \| SPF ' "$RUN/rbldnsd.log")
rg_is "$spf99" 0 "no query of the obsolete SPF type"
# chain1..chain12: the limit stops the walk before the end of the chain
rg_is "$(grep -c 'chain12\.spf\.test' "$RUN/rbldnsd.log")" 0 "the lookup limit stops an include chain"
rg_done
