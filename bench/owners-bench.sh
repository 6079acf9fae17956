#!/bin/sh
# owners-bench.sh - owners_db load at scale, numbers for doc/PERFORMANCE.md.
#
# Generates a RIPE-shaped split file in a temporary folder: N_ORG
# organisations, each with an abuse-c role, one ALLOCATED PA per
# organisation (org: to it) and ASSIGNED PA networks under it that name no
# contact of their own (they inherit the organisation's), as most of RIPE's
# end-user assignments do.  Then runs bench/bench_owners on it under
# /usr/bin/time -v: load time, lookups, peak RSS.
#
# usage: bench/owners-bench.sh BUILDDIR [N_OBJECTS]   (default 500000)
set -eu
BUILD=$(cd "${1:?usage: owners-bench.sh BUILDDIR [N_OBJECTS]}" && pwd)
N=${2:-500000}
DIR=$(mktemp -d /tmp/owners-bench.XXXXXX)
trap 'rm -rf "${DIR:?}"' EXIT
/usr/bin/python3 - "$DIR/ripe.db" "$N" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
orgs = max(1, n // 25)              # per organisation: its role, one allocation
per = (n - 3 * orgs) // orgs        # and this many assignments under it
with open(path, "w") as f:
    w = f.write
    for g in range(orgs):
        w("organisation:   ORG-B%d-RIPE\norg-name:       Bench %d B.V.\norg-type:       LIR\n"
          "abuse-c:        AB%d-RIPE\nmnt-by:         RIPE-NCC-HM-MNT\nsource:         RIPE\n\n" % (g, g, g))
        w("role:           Abuse desk %d\nnic-hdl:        AB%d-RIPE\nabuse-mailbox:  abuse@lir%d.example\n"
          "mnt-by:         LIR%d-MNT\nsource:         RIPE\n\n" % (g, g, g, g))
        hi = g * 16                     # a /20 per organisation, in /24 units
        x, y, z = 10 + (hi >> 16), (hi >> 8) & 255, hi & 255
        w("inetnum:        %d.%d.%d.0 - %d.%d.%d.255\nnetname:        LIR-%d\norg:            ORG-B%d-RIPE\n"
          "country:        NL\nstatus:         ALLOCATED PA\nmnt-by:         RIPE-NCC-HM-MNT\n"
          "source:         RIPE\n\n" % (x, y, z, x, y, z + 15, g, g))
        for k in range(per):            # /28 assignments, no contact of their own
            c, d = z + (k * 16) // 256, (k * 16) % 256
            w("inetnum:        %d.%d.%d.%d - %d.%d.%d.%d\nnetname:        CUST-%d-%d\ncountry:        NL\n"
              "status:         ASSIGNED PA\nmnt-by:         LIR%d-MNT\nsource:         RIPE\n\n"
              % (x, y, c, d, x, y, c, d + 15, g, k, g))
PY
ls -l "$DIR/ripe.db" | awk '{ printf "# owners file: %.0f MB\n", $5 / 1048576 }'
grep -c '^inetnum:' "$DIR/ripe.db" | sed 's/^/# inetnum objects: /'
/usr/bin/time -v "$BUILD/bench/bench_owners" "$DIR/ripe.db" 2>"$DIR/time.err"
grep -E "Maximum resident|Elapsed" "$DIR/time.err"
