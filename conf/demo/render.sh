#!/bin/sh
# render.sh RUN_DIR [POLICY_PORT [MILTER_PORT]] - write the demo configuration
# RUN_DIR/relayguard-demo.conf from relayguard-demo.conf.in and print its path.
#
# file_lists wants absolute paths, so the file is made where it is used:
# the list stays in the source tree (conf/demo/demo.ip4set), run files go
# to RUN_DIR.  Ports default to 10040 (policy) and 10041 (milter), the
# programs' own defaults.  Used by ./quickstart.sh run and by
# tests/integration/quickstart_demo.sh, so that both run the same file.
set -eu
[ $# -ge 1 ] && [ $# -le 3 ] || { echo "usage: $0 RUN_DIR [POLICY_PORT [MILTER_PORT]]" >&2; exit 2; }
demo_dir=$(cd "$(dirname "$0")" && pwd)
mkdir -p "${1:?}"
run_dir=$(cd "$1" && pwd)
policy_port=${2:-10040}
milter_port=${3:-10041}
for p in "$policy_port" "$milter_port"; do
	case $p in
	'' | *[!0-9]*) echo "$0: not a port: '$p'" >&2; exit 2 ;;
	esac
done
case "$demo_dir$run_dir" in
*'|'* | *'&'* | *'\'*) echo "$0: a path with |, & or \\ cannot go into the configuration" >&2; exit 2 ;;
esac
sed -e "s|@DEMO_DIR@|$demo_dir|g" -e "s|@RUN_DIR@|$run_dir|g" \
	-e "s|@POLICY_PORT@|$policy_port|g" -e "s|@MILTER_PORT@|$milter_port|g" \
	"$demo_dir/relayguard-demo.conf.in" >"$run_dir/relayguard-demo.conf"
# The daemons refuse to keep root unless told: as root, the demo says so
# explicitly (a real setup sets user = relayguard instead).
if [ "$(id -u)" = 0 ]; then
	printf '\n# started as root by the demo: keep root (a real setup sets user)\nallow_root = yes\n' \
		>>"$run_dir/relayguard-demo.conf"
fi
chmod 644 "$run_dir/relayguard-demo.conf"
echo "$run_dir/relayguard-demo.conf"
