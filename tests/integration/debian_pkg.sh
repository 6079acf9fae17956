#!/usr/bin/env bash
# debian_pkg.sh - the Debian packages, end to end, on this machine:
#   build them once with dpkg-buildpackage from a copy of the tree, check the
#   split and lintian (no errors), install them with apt-get, then start each
#   daemon the way its systemd unit does - its ExecStart= command line as its
#   User=/Group=, with its RuntimeDirectory=/StateDirectory= made first, no
#   capabilities, no new privileges, a clean environment - since no systemd
#   runs here.  Each must answer (policyd a policy request, the milter a
#   miltertest client, notify --once must finish), survive its ExecReload=,
#   and write nowhere its unit does not let it.  The units pass
#   `systemd-analyze verify`; their exposure score stays low.
#
# Needs root (it installs packages).  Run by ./quickstart.sh test, once, not
# by make check (two builds and distcheck would build the packages thrice).
# On exit the packages are purged, whatever happened; the system user
# relayguard stays, as Debian leaves system users.
#
# RG_DEB_DIR=DIR: use the packages already built in DIR (no build).
. "$(dirname "$0")/lib.sh"

rg_require dpkg-buildpackage dh lintian miltertest systemd-analyze setpriv python3 apt-get
[ "$(id -u)" -eq 0 ] || { [ -n "${CI:-}" ] && rg_bail "not root"; rg_skip_all "needs root to install packages"; }
PKGS="relayguard-common relayguard-policyd relayguard-milter relayguard-notify"
if dpkg-query -W -f='${Status}\n' $PKGS 2>/dev/null | grep -q "install ok installed"; then
	[ -n "${CI:-}" ] && rg_bail "relayguard packages already installed"
	rg_skip_all "relayguard packages already installed here: not touching them"
fi
UNITS=/lib/systemd/system
CLIENT="$RG_TOP_SRCDIR/tests/integration/policy_client.py"
DAEMON_PIDS=""
INSTALLED=""

apt_() { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -y -q "$@"; }

# Whatever happens: stop what we started, purge what we installed.
pkg_cleanup() {
	for pid in $DAEMON_PIDS; do kill "$pid" 2>/dev/null; done
	if [ -n "$INSTALLED" ]; then
		apt_ purge $PKGS >"$RUN/purge.log" 2>&1 || sed 's/^/# purge: /' "$RUN/purge.log"
	fi
	rg_cleanup
}
trap pkg_cleanup EXIT

# ---- build, once -----------------------------------------------------------
if [ -n "${RG_DEB_DIR:-}" ]; then
	DEBS=$RG_DEB_DIR
else
	DEBS=$RUN/deb
	mkdir -p "$DEBS/src"
	# The working tree as it is (edits included), without build folders.
	tar -C "$RG_TOP_SRCDIR" --exclude=./build --exclude='./build-*' --exclude=./.git \
		--exclude=./autom4te.cache -cf - . | tar -C "$DEBS/src" -xf -
	(cd "$DEBS/src" && dpkg-buildpackage -us -uc -b) >"$DEBS/build.log" 2>&1
	rc=$?
	rg_ok $rc "dpkg-buildpackage -us -uc -b builds the packages"
	[ $rc -eq 0 ] || { tail -n 40 "$DEBS/build.log" | sed 's/^/# /'; rg_bail "no packages"; }
fi

# The split: each package holds its program, man page and units.
contents() { dpkg-deb -c "$DEBS/$1"_*_*.deb 2>/dev/null | awk '{print $6}' | sed 's|^\.||' | sort | tr '\n' ' '; }
rg_like "$(contents relayguard-common)" \
	"/etc/relayguard/relayguard.conf .*/usr/sbin/relayguard-ctl .*relayguard.conf.5.gz .*relayguard-ctl.8.gz" \
	"relayguard-common: configuration, relayguard-ctl, their man pages"
rg_like "$(contents relayguard-policyd)" \
	"/lib/systemd/system/relayguard-policyd.service .*/usr/sbin/relayguard-policyd .*relayguard-policyd.8.gz" \
	"relayguard-policyd: program, unit, man page"
rg_like "$(contents relayguard-milter)" \
	"/lib/systemd/system/relayguard-milter.service .*/usr/sbin/relayguard-milter .*relayguard-milter.8.gz" \
	"relayguard-milter: program, unit, man page"
rg_like "$(contents relayguard-notify)" \
	"/etc/relayguard/notice.txt .*relayguard-notify.service .*relayguard-notify.timer .*/usr/sbin/relayguard-notify .*relayguard-notify.8.gz" \
	"relayguard-notify: program, notice template, service and timer, man page"

lintian --fail-on error "$DEBS"/relayguard_*.changes >"$RUN/lintian.log" 2>&1
rc=$?
rg_ok $rc "lintian finds no errors"
grep -E '^[EW]:' "$RUN/lintian.log" | sed 's/^/# lintian: /'

# ---- install ---------------------------------------------------------------
INSTALLED=yes
(cd "$DEBS" && apt_ install ./relayguard-common_*.deb ./relayguard-policyd_*.deb \
	./relayguard-milter_*.deb ./relayguard-notify_*.deb) >"$RUN/install.log" 2>&1
rc=$?
rg_ok $rc "apt-get install ./*.deb"
[ $rc -eq 0 ] || { tail -n 30 "$RUN/install.log" | sed 's/^/# /'; rg_bail "not installed"; }

pw=$(getent passwd relayguard)
rg_like "$pw" "^relayguard:x:[0-9]+:[0-9]+:[^:]*:/var/lib/relayguard:/usr/sbin/nologin$" \
	"the system user relayguard exists, without a login shell"
uid=$(id -u relayguard 2>/dev/null || echo 99999)
rg_ok "$([ "$uid" -lt 1000 ] && echo 0 || echo 1)" "relayguard is a system user (uid $uid)"
rg_is "$(stat -c %U:%a /var/spool/relayguard 2>&1)" "relayguard:750" "the report spool belongs to relayguard"

# ---- the units -------------------------------------------------------------
# --man=no: a minimal image may keep no man pages (dpkg path-exclude); the
# pages named by Documentation= are checked against the packages instead.
systemd-analyze verify --man=no $UNITS/relayguard-policyd.service $UNITS/relayguard-milter.service \
	$UNITS/relayguard-notify.service $UNITS/relayguard-notify.timer >"$RUN/verify.log" 2>&1
rc=$?
rg_ok $rc "systemd-analyze verify: the installed units are valid"
[ $rc -eq 0 ] && [ ! -s "$RUN/verify.log" ] || sed 's/^/# /' "$RUN/verify.log"
all=$(for p in $PKGS; do contents "$p"; done)
missing=""
for page in $(sed -n 's/^Documentation=//p' $UNITS/relayguard-*.service $UNITS/relayguard-*.timer | tr ' ' '\n' |
	sed -n 's/^man:\(.*\)(\([0-9]\))$/\1.\2/p' | sort -u); do
	case "$all" in *"/man${page##*.}/$page.gz "*) ;; *) missing="$missing $page" ;; esac
done
rg_is "$missing" "" "every man page the units' Documentation= names is in the packages"
for u in policyd milter notify; do
	score=$(systemd-analyze security --offline=true "$UNITS/relayguard-$u.service" 2>/dev/null |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	rg_ok "$(awk -v s="${score:-99}" 'BEGIN { exit !(s <= 2.0) }'; echo $?)" \
		"relayguard-$u.service exposure ${score:-unknown} <= 2.0 (systemd-analyze security)"
done

# unit_get FILE KEY: the value of KEY= (the last one, as systemd reads most keys).
unit_get() { sed -n "s/^$2=//p" "$1" | tail -n 1; }

# unit_exec NAME: what systemd would do to start relayguard-NAME.service.
# It ends in exec (env and setpriv exec too): run it in a subshell or in the
# background, where the daemon then keeps the subshell's PID.
unit_exec() {
	local f=$UNITS/relayguard-$1.service user group d
	user=$(unit_get "$f" User)
	group=$(unit_get "$f" Group)
	for d in $(unit_get "$f" RuntimeDirectory); do
		install -d -o "$user" -g "$group" -m "$(unit_get "$f" RuntimeDirectoryMode)" "/run/$d"
	done
	for d in $(unit_get "$f" StateDirectory); do
		install -d -o "$user" -g "$group" -m "$(unit_get "$f" StateDirectoryMode)" "/var/lib/$d"
	done
	# shellcheck disable=SC2046 # ExecStart= is words without quotes here
	umask "$(unit_get "$f" UMask)"
	cd / || return 1
	exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		setpriv --reuid="$user" --regid="$group" --init-groups --no-new-privs \
		--inh-caps=-all --bounding-set=-all -- $(unit_get "$f" ExecStart) >"$RUN/$1.log" 2>&1
}

# unit_start NAME: unit_exec in the background; its PID in UNIT_PID.
unit_start() {
	unit_exec "$1" &
	UNIT_PID=$!
	DAEMON_PIDS="$DAEMON_PIDS $UNIT_PID"
}

# unit_reload NAME PID: ExecReload= with $MAINPID.
unit_reload() {
	local cmd
	cmd=$(unit_get "$UNITS/relayguard-$1.service" ExecReload)
	cmd=${cmd//\$MAINPID/$2}
	$cmd
}

# The shipped configuration listens on 10040 and 10041: when something else
# holds those here, move ours (the only change made to the shipped file).
PPORT=10040
MPORT=10041
if ss -Hltn "sport = :$PPORT" | grep -q . || ss -Hltn "sport = :$MPORT" | grep -q .; then
	PPORT=$(rg_free_port)
	MPORT=$(rg_free_port)
	printf 'policy_listen = inet:%s@127.0.0.1\nmilter_socket = inet:%s@127.0.0.1\n' "$PPORT" "$MPORT" \
		>>/etc/relayguard/relayguard.conf
	echo "# ports 10040/10041 are busy here: using $PPORT and $MPORT"
fi
out=$(setpriv --reuid=relayguard --regid=relayguard --init-groups relayguard-ctl check-config 2>&1)
rc=$?
rg_ok $rc "relayguard-ctl check-config accepts the shipped configuration"
[ $rc -eq 0 ] || echo "$out" | sed 's/^/# /'

# ---- policyd ---------------------------------------------------------------
ask() { /usr/bin/python3 "$CLIENT" ask "$PPORT" protocol_state=RCPT client_address=192.0.2.1 \
	helo_name=client.example sender=s@example.org recipient=r@example.net 2>&1; }
unit_start policyd
pid=$UNIT_PID
rg_wait_port "$PPORT"
rg_like "$(ask)" "^action=DUNNO" "relayguard-policyd, started as its unit does, answers a policy request"
rg_is "$(ps -o user= -p "$pid" 2>&1 | tr -d ' ')" relayguard "relayguard-policyd runs as relayguard"
rg_ok "$([ -f /run/relayguard/relayguard-policyd.pid ] && echo 0 || echo 1)" \
	"relayguard-policyd wrote its pid file in its RuntimeDirectory"
unit_reload policyd "$pid"
sleep 1
rg_like "$(ask)" "^action=DUNNO" "relayguard-policyd answers after its ExecReload="
rg_like "$(cat "$RUN/policyd.log")" "SIGHUP: reloading" "ExecReload= made relayguard-policyd reload"

# ---- milter ----------------------------------------------------------------
unit_start milter
mpid=$UNIT_PID
rg_wait_port "$MPORT"
mtest() { miltertest -s "$RG_TOP_SRCDIR/tests/data/debian/connect.lua" -D "PORT=$MPORT" >"$RUN/mt.out" 2>&1; }
mtest
rc=$?
rg_ok $rc "relayguard-milter, started as its unit does, lets a miltertest client through"
[ $rc -eq 0 ] || sed 's/^/# /' "$RUN/mt.out"
unit_reload milter "$mpid"
sleep 1
mtest
rg_ok $? "relayguard-milter answers after its ExecReload="
rg_like "$(cat "$RUN/milter.log")" "configuration reloaded" "ExecReload= made relayguard-milter reload"

# ---- notify ----------------------------------------------------------------
(unit_exec notify)
rc=$?
rg_ok $rc "relayguard-notify --once, started as its unit does, finds its template and finishes"
[ $rc -eq 0 ] || sed 's/^/# /' "$RUN/notify.log"

# ---- stop, by PID ----------------------------------------------------------
for p in $pid $mpid; do
	kill "$p"
	for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$p" 2>/dev/null
	rg_ok "$(( ! $? ))" "daemon $p stops on SIGTERM"
done
for f in policyd milter; do
	grep -E '(error|fatal|cannot)' "$RUN/$f.log" | sed "s/^/# $f: /"
	# One ident from the first line to the last (syslog_name/program).
	idents=$(sed -n 's/^[0-9T:.-]* \([^ []*\)\[.*/\1/p' "$RUN/$f.log" | sort -u | tr '\n' ' ')
	rg_is "$idents" "relayguard/$f " "relayguard-$f logs under one ident, relayguard/$f"
done

# Every file the services wrote is where their units let them write
# (ProtectSystem=strict: only RuntimeDirectory, StateDirectory, ReadWritePaths).
allowed="^(/run/relayguard|/var/lib/relayguard|/var/spool/relayguard)(/|$)"
stray=$(find /etc /var /run /usr /opt /srv /root -xdev -user relayguard 2>/dev/null | grep -Ev "$allowed")
rg_is "$stray" "" "the services wrote nothing outside their units' writable paths"

rg_done
