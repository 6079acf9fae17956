#!/bin/sh
# instrumented.sh - in a build configured with --enable-fuzzing, every object
# file (the library archives, the fuzz targets and the sources they compile
# in) carries libFuzzer's coverage hooks, ASan and UBSan.  A fuzzer linked
# with an uninstrumented library sees only its own harness (the addr fuzzer
# then found 8 coverage points instead of 104) and no memory error inside
# the library, so such a build must fail here, not fuzz blind.
#
# Looks at the undefined symbols of every object: __sanitizer_cov_* (the
# coverage counters), __asan_* and, per archive or folder, __ubsan_handle_*
# (a tiny object may have nothing UBSan checks).  TAP, one test per archive
# and one per folder of loose objects.
set -u
top=$(cd "${top_builddir:-.}" && pwd) || exit 1
NM=${NM:-nm}

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "${tmp:?}"' EXIT INT TERM

# GROUP FILE NAME: one line per object, "group name cov asan ubsan" (0/1 each).
scan() {
	"$NM" -u "$2" 2>/dev/null | awk -v g="$1" -v o="$3" '
		/__sanitizer_cov_/ { c = 1 } /__asan_/ { a = 1 } /__ubsan_handle_/ { u = 1 }
		END { print g, o, c + 0, a + 0, u + 0 }'
}

for ar in $(find "$top" -name '*.a' ! -path '*/.libs/*' | sort); do
	mkdir -p "$tmp/x" && rm -f "$tmp/x"/*
	(cd "$tmp/x" && ar x "$ar") || continue
	for o in "$tmp"/x/*.o; do
		[ -f "$o" ] || continue
		scan "${ar#"$top"/}" "$o" "${ar#"$top"/}:${o##*/}" >>"$tmp/list"
	done
done
for o in $(find "$top" -name '*.o' ! -name 'conftest*' | sort); do
	rel=${o#"$top"/}
	scan "$(dirname "$rel")/*.o" "$o" "$rel" >>"$tmp/list"
done

if [ ! -s "$tmp/list" ]; then
	echo "1..1"
	echo "not ok 1 - no object files under $top (build first)"
	exit 1
fi
awk '
	{ g[$1] = 1; n[$1]++; u[$1] += $5
	  if (!$3) nocov[$1] = nocov[$1] " " $2
	  if (!$4) noasan[$1] = noasan[$1] " " $2 }
	END {
		count = 0
		for (k in g) order[++count] = k
		# stable output: sort the groups by name
		for (i = 1; i <= count; i++) for (j = i + 1; j <= count; j++)
			if (order[j] < order[i]) { t = order[i]; order[i] = order[j]; order[j] = t }
		print "1.." count
		bad = 0
		for (i = 1; i <= count; i++) {
			k = order[i]
			if (nocov[k] != "" || noasan[k] != "" || u[k] == 0) {
				bad++
				print "not ok " i " - " k ": " n[k] " objects, not all instrumented"
				if (nocov[k] != "") print "# no coverage hooks (-fsanitize=fuzzer-no-link):" nocov[k]
				if (noasan[k] != "") print "# no ASan:" noasan[k]
				if (u[k] == 0) print "# no UBSan check in any object"
			} else {
				print "ok " i " - " k ": " n[k] " objects with coverage hooks, ASan and UBSan"
			}
		}
		exit bad ? 1 : 0
	}' "$tmp/list"
