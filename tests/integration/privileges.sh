#!/bin/sh
# privileges.sh - the daemons and root, their umask, and files others may
# write: relayguard-policyd, relayguard-milter and relayguard-notify, the real
# programs, and relayguard-ctl check-config.  Prints TAP.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
POLICYD="$RG_TOP_BUILDDIR/policy/relayguard-policyd"
MILTER="$RG_TOP_BUILDDIR/milter/relayguard-milter"
NOTIFY="$RG_TOP_BUILDDIR/notify/relayguard-notify"
CTL="$RG_TOP_BUILDDIR/ctl/relayguard-ctl"
for p in "$POLICYD" "$MILTER" "$NOTIFY" "$CTL"; do [ -x "$p" ] || rg_bail "$p not built"; done

PORT=$(rg_free_port)
MPORT=$(rg_free_port)
# base FILE [EXTRA LINES...]: a configuration both daemons can run on, in $RUN
base() {
	_f=$1; shift
	{
		echo "dnsbl_probe_interval = 0"
		echo "report_enable = no"
		echo "report_spool = $RUN/spool"
		echo "stats_dir = $RUN/stats"
		echo "stats_history_dir = $RUN/history"
		echo "stats_interval = 1s"
		echo "policy_listen = inet:$PORT@127.0.0.1"
		echo "policy_pidfile = $RUN/policyd.pid"
		echo "milter_socket = inet:$MPORT@127.0.0.1"
		echo "milter_pidfile = $RUN/milter.pid"
		echo "notify_state_dir = $RUN/state"
		echo "notify_transport = outbox:$RUN/outbox"
		echo "notify_template = $RG_TOP_SRCDIR/conf/notice.txt"
		for line in "$@"; do echo "$line"; done
	} >"$_f"
	chmod 640 "$_f"
}

# --- root only when asked -----------------------------------------------------------
if [ "$(id -u)" = 0 ]; then
	base "$RUN/root.conf"
	for prog in "$POLICYD -f" "$MILTER -f" "$NOTIFY --once"; do
		name=$(basename "${prog%% *}")
		timeout 20 $prog -c "$RUN/root.conf" >"$RUN/root.out" 2>&1
		rc=$?
		rg_ok $(( rc == 0 || rc == 124 )) "$name as root, user empty, allow_root = no: refuses to start"
		rg_like "$(cat "$RUN/root.out")" "refusing to run as root: set user .* or, to keep root, allow_root = yes" \
			"$name says what to set"
	done
	rg_ok "$([ ! -e "$RUN/policyd.pid" ] && [ ! -e "$RUN/milter.pid" ]; echo $?)" "... before writing a pid file"
else
	rg_skip 7 "the root checks need root"
fi

# --- umask: what the daemons create is not for others -----------------------------
base "$RUN/ok.conf" "allow_root = yes"
(umask 000 && exec "$POLICYD" -f -c "$RUN/ok.conf" 2>"$RUN/policyd.log") &
PID=$!
rg_track "$PID"
rg_wait_port "$PORT" || rg_bail "relayguard-policyd did not start: $(cat "$RUN/policyd.log")"
for _ in $(seq 1 50); do ls "$RUN/stats" 2>/dev/null | grep -q stats && break; sleep 0.1; done
f=$(ls "$RUN"/stats/*.stats 2>/dev/null | head -1)
rg_is "$(stat -c %a "$f" 2>/dev/null)" 640 "policyd started under umask 000: stats file mode 0640"
rg_is "$(stat -c %a "$RUN/policyd.pid" 2>/dev/null)" 640 "... pid file 0640"
mkdir -p "$RUN/spool" && : >"$RUN/spool/reports.journal" && chmod 640 "$RUN/spool/reports.journal"
(umask 000 && exec "$NOTIFY" -c "$RUN/ok.conf" --once) >"$RUN/notify.out" 2>&1
rg_is "$?" 0 "notify --once under umask 000 runs"
rg_is "$(stat -c %a "$RUN/state/notify.state" 2>/dev/null)" 640 "... notify.state mode 0640 (was 0644)"

# --- files others may write ------------------------------------------------------------
echo "192.0.2.0/24" >"$RUN/list.txt"
chmod 664 "$RUN/list.txt"
base "$RUN/grp.conf" "allow_root = yes" "file_lists = local:$RUN/list.txt"
chmod 660 "$RUN/grp.conf"
out=$("$CTL" -c "$RUN/grp.conf" check-config 2>&1 >/dev/null)
rg_is "$?" 0 "check-config: group-writable files are accepted"
rg_like "$out" "warning: configuration file $RUN/grp.conf is writable by group [^ ]+ \\(mode 0660\\): chmod g-w" \
	"... with a warning naming the configuration file"
rg_like "$out" "warning: list file $RUN/list.txt is writable by group" "... and the list file"
chmod 666 "$RUN/list.txt"
out=$("$CTL" -c "$RUN/grp.conf" check-config 2>&1 >/dev/null)
rg_is "$?" 1 "check-config: a world-writable list file fails"
rg_like "$out" "error: list file $RUN/list.txt is writable by every user \\(mode 0666\\): refused; chmod o-w" \
	"... saying which and how to fix it"
"$POLICYD" -f -c "$RUN/grp.conf" >"$RUN/ww.out" 2>&1
rg_ok $(( $? == 0 )) "policyd refuses to start on a world-writable list file"
rg_like "$(cat "$RUN/ww.out")" "list file $RUN/list.txt is writable by every user" "... and says why"
"$MILTER" -f -c "$RUN/grp.conf" >"$RUN/ww.out" 2>&1
rg_ok $(( $? == 0 )) "milter refuses to start on a world-writable list file"
chmod 664 "$RUN/list.txt"
chmod 666 "$RUN/grp.conf"
"$POLICYD" -f -c "$RUN/grp.conf" >"$RUN/ww.out" 2>&1
rg_ok $(( $? == 0 )) "policyd refuses a world-writable configuration file"
rg_like "$(cat "$RUN/ww.out")" "configuration file $RUN/grp.conf is writable by every user" "... naming it"

# The running policyd (ok.conf): a group-writable list logged at reload, a world-writable one refused.
echo "file_lists = local:$RUN/list.txt" >>"$RUN/ok.conf"
kill -HUP "$PID"
for _ in $(seq 1 50); do grep -q 'config reloaded' "$RUN/policyd.log" && break; sleep 0.1; done
rg_like "$(cat "$RUN/policyd.log")" "warning: list file $RUN/list.txt is writable by group" "reload: a group-writable list file is a warning"
chmod 666 "$RUN/list.txt"
kill -HUP "$PID"
for _ in $(seq 1 50); do grep -q 'reload refused' "$RUN/policyd.log" && break; sleep 0.1; done
rg_like "$(cat "$RUN/policyd.log")" "reload refused, old config kept: a file is writable by every user" \
	"reload: a world-writable list file is refused, the old config kept"
rg_ok "$(kill -0 "$PID"; echo $?)" "policyd still runs"
rg_stop "$PID"
rg_done
