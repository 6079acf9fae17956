#!/bin/sh
# notify_install.sh - relayguard-notify works on a fresh install: `make
# install` puts the notice template where notify_template looks by default
# (and never over a file the site changed); with notify_template unset and
# nothing at the default path, the built-in template is used and that is
# logged; a configuration with only owners_db, a transport and a queue
# sends its notice.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
rg_require redis-server redis-cli make

NOTIFY="$RG_TOP_BUILDDIR/notify/relayguard-notify"
DEST="$RUN/dest"
# The install rule alone (the whole `make install` is checked by distcheck):
# without MAKEFLAGS, so that it does not join the jobserver of `make check`.
inst() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$RG_TOP_BUILDDIR" install-relayguard-site-files \
		DESTDIR="$DEST" >"$RUN/make.out" 2>&1
}
inst; rc=$?
rg_is "$rc" 0 "make install-relayguard-site-files DESTDIR=..."
tpl=$(find "$DEST" -path '*/relayguard/notice.txt' | head -1)
rg_like "$tpl" "/etc/relayguard/notice.txt$" "the template is installed under \$(sysconfdir)/relayguard/"
rg_ok "$(cmp -s "$tpl" "$RG_TOP_SRCDIR/conf/notice.txt"; echo $?)" "it is conf/notice.txt"
printf 'Hello from the site\n{table}\n' >"$tpl"
inst
rg_is "$(head -1 "$tpl")" "Hello from the site" "a second install does not overwrite the site's own template"
rg_like "$(cat "$RUN/make.out")" "exists: kept" "and says so"

PORT=$(rg_free_port)
rg_start_redis "$PORT"
printf 'inetnum: 192.0.2.0 - 192.0.2.255\nnetname: NET-A\nabuse-mailbox: abuse@net-a.example\n' >"$RUN/owners.db"
for a in 192.0.2.1 192.0.2.2 192.0.2.3; do
	redis-cli -p "$PORT" XADD i:reports '*' id "ev-$a" t "$(date +%s)" client "$a" host mx.test \
		lists 'bl.test%3D127.0.0.2' >/dev/null
done
# Only owners_db and a transport (and the queue; allow_root, as the tests run as root): notify_template is left
# at its default, $(sysconfdir)/relayguard/notice.txt of this build.
cat >"$RUN/min.conf" <<CONF
allow_root = yes
redis_server = 127.0.0.1:$PORT
redis_prefix = i:
owners_db = $RUN/owners.db
notify_transport = outbox:$RUN/outbox
CONF
default=$("$RG_TOP_BUILDDIR/ctl/relayguard-ctl" -c "$RUN/min.conf" show-config | sed -n 's/^notify_template *= *//p')
"$NOTIFY" -c "$RUN/min.conf" --once 2>"$RUN/min.err"; rc=$?
rg_is "$rc" 0 "relayguard-notify runs with only owners_db and a transport set"
rg_is "$(ls "$RUN/outbox" 2>/dev/null | grep -c '\.eml$')" 1 "and sends the notice"
if [ -e "$default" ]; then
	rg_skip 1 "$default exists on this machine: the built-in template is not needed"
else
	rg_like "$(cat "$RUN/min.err")" "notify_template $default does not exist: using the built-in template" \
		"the default path missing: the built-in template, and a log line that says so"
fi
rg_like "$(cat "$RUN/outbox"/*.eml)" "this is an automated notice from" "the notice has the template's text"

# notify_template = "" is the built-in template; the installed one is used when named.
printf 'notify_template =\nredis_prefix = j:\nnotify_transport = outbox:%s/outbox2\n' "$RUN" >>"$RUN/min.conf"
for a in 192.0.2.1 192.0.2.2 192.0.2.3; do
	redis-cli -p "$PORT" XADD j:reports '*' id "ev-$a" t "$(date +%s)" client "$a" host mx.test \
		lists 'bl.test%3D127.0.0.2' >/dev/null
done
"$NOTIFY" -c "$RUN/min.conf" --once 2>/dev/null; rc=$?
rg_is "$rc" 0 "notify_template = (empty): the built-in template"
rg_like "$(cat "$RUN/outbox2"/*.eml 2>/dev/null)" "this is an automated notice from" "with the built-in text"
printf 'notify_template = %s\nredis_prefix = k:\nnotify_transport = outbox:%s/outbox3\n' "$tpl" "$RUN" >>"$RUN/min.conf"
for a in 192.0.2.1 192.0.2.2 192.0.2.3; do
	redis-cli -p "$PORT" XADD k:reports '*' id "ev-$a" t "$(date +%s)" client "$a" host mx.test \
		lists 'bl.test%3D127.0.0.2' >/dev/null
done
"$NOTIFY" -c "$RUN/min.conf" --once 2>/dev/null
rg_like "$(cat "$RUN/outbox3"/*.eml 2>/dev/null)" "Hello from the site" "the installed (site's) template when notify_template names it"
printf 'notify_template = %s/missing.txt\n' "$RUN" >>"$RUN/min.conf"
"$NOTIFY" -c "$RUN/min.conf" --once 2>"$RUN/miss.err"; rc=$?
rg_is "$rc" 1 "a named template that does not exist is an error"
rg_like "$(cat "$RUN/miss.err")" "notify_template $RUN/missing.txt: cannot open" "with its path"

rg_done
